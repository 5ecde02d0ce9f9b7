"""Sealed mode refuses to start when it would not be sealed: each error names the variable.

Called from the settings, before anything else loads. Keys are checked for their shape
(32 bytes, url-safe base64) here; whether the newest private key matches the public key is
checked too, on the worker, so a half-done rotation cannot seal what nobody can open.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from accounts.vault_sealed import SealKeyError, public_of, validate_private, validate_public


def check_sealed_settings(
    *,
    role: str,
    public_key: str,
    private_keys: list[str],
    fernet_keys: list[str],
    broker: str,
    tasks_inline: bool,
) -> None:
    if not public_key:
        raise ImproperlyConfigured(
            "TOKEN_SEAL_PUBLIC_KEY is not set; it is required on every process in sealed mode "
            "(make keypair prints a pair)."
        )
    if role != "worker" and private_keys:
        raise ImproperlyConfigured(
            f"TOKEN_SEAL_PRIVATE_KEYS is set on a {role} process in sealed mode: only the worker "
            "(PROCESS_ROLE=worker) may hold the private keys. Remove it from this process's environment."
        )
    if role != "worker" and fernet_keys:
        raise ImproperlyConfigured(
            f"TOKEN_ENCRYPTION_KEYS is set on a {role} process in sealed mode: it would let this "
            "process open tokens. Only the worker keeps it, while migrating (seal_stored_tokens)."
        )
    if not broker:
        raise ImproperlyConfigured(
            "Sealed mode needs a broker (REDIS_URL or CELERY_BROKER_URL): only the worker can open "
            "tokens, and without a broker no work reaches it."
        )
    if tasks_inline:
        raise ImproperlyConfigured(
            "TASKS_INLINE is on in sealed mode: tasks would run inside the web process, which "
            "cannot open tokens. Unset TASKS_INLINE and run the worker."
        )
    try:
        validate_public(public_key)
        if role == "worker":
            if not private_keys:
                raise ImproperlyConfigured(
                    "TOKEN_SEAL_PRIVATE_KEYS is not set on the worker in sealed mode: it could "
                    "open no token (newest first, make keypair prints a pair)."
                )
            validate_private(tuple(private_keys))
            if public_of(private_keys[0]) != public_key:
                raise ImproperlyConfigured(
                    "TOKEN_SEAL_PUBLIC_KEY is not the public half of the first TOKEN_SEAL_PRIVATE_KEYS "
                    "entry: give the worker the new pair (private key first in the list) before the web "
                    "gets the new public key."
                )
    except SealKeyError as error:
        raise ImproperlyConfigured(str(error)) from error
