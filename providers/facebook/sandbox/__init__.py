"""Facebook's emulator: the Login dialog, Graph's token, profile, permissions and friends endpoints."""
