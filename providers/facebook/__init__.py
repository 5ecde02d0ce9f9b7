"""Facebook Login and Graph: backend, token client, friends client, emulator, display facts, settings."""
