"""Google (OpenID Connect) and the People API: backend, token client, contacts client, emulator,
display facts, settings."""
