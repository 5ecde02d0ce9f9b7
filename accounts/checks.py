"""System checks: refuse to run with a token vault that cannot work."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from accounts.vault import KeyConfigurationError, validate_keys


@register()
def check_token_encryption_keys(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    keys = getattr(settings, "TOKEN_ENCRYPTION_KEYS", None)
    if not isinstance(keys, (list, tuple)):
        return [Error("TOKEN_ENCRYPTION_KEYS must be a list of Fernet keys.", id="accounts.E001")]
    if getattr(settings, "TOKEN_VAULT", "shared") == "sealed" and not keys:
        # Sealed mode: only a worker migrating from shared mode holds Fernet keys.
        return []
    try:
        validate_keys(list(keys))
    except KeyConfigurationError as error:
        return [Error(str(error), hint="Generate one with `make key`.", id="accounts.E001")]
    return []
