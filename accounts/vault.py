"""The token vault: Fernet encryption of provider tokens at rest.

This is the only module that imports ``cryptography`` for the accounts app. Keys come
from ``settings.TOKEN_ENCRYPTION_KEYS`` (newest first) through ``MultiFernet``, so rows
written under an older key stay readable while new writes use the newest one.

Each ciphertext is bound to the identity it belongs to: the plaintext carries
``provider`` and ``uid``, and ``open_token`` refuses a ciphertext copied onto another
row. A ciphertext no key opens raises ``TokenUnreadable``; there is no plaintext fallback,
and no caller deletes a ciphertext because this process cannot open it (the key may only
be missing from this process's configuration).
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from accounts.exceptions import NoKeyOpens, TokenUnreadable


class KeyConfigurationError(ValueError):
    """TOKEN_ENCRYPTION_KEYS is missing or holds something that is not a Fernet key."""


def generate_key() -> str:
    """A new random Fernet key, for `.env` or for rotation."""
    return Fernet.generate_key().decode()


@sensitive_variables("keys")
def validate_keys(keys: list[str] | tuple[str, ...]) -> None:
    if not keys:
        raise KeyConfigurationError("TOKEN_ENCRYPTION_KEYS is empty; give at least one Fernet key.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as error:
            raise KeyConfigurationError(
                f"TOKEN_ENCRYPTION_KEYS entry {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from error


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    validate_keys(keys)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _fernet() -> MultiFernet:
    return _multifernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


@sensitive_variables("token", "payload")
def seal_token(token: str, *, provider: str, uid: str) -> str:
    """Encrypt ``token`` under the newest key, bound to ``(provider, uid)``."""
    payload = json.dumps({"p": provider, "u": uid, "t": token}, separators=(",", ":"))
    return _fernet().encrypt(payload.encode()).decode()


@sensitive_variables("payload", "data")
def open_token(ciphertext: str, *, provider: str, uid: str) -> str:
    """Decrypt a ciphertext written by ``seal_token`` for the same identity."""
    try:
        payload = _fernet().decrypt(ciphertext.encode())
        data = json.loads(payload)
    except InvalidToken as error:
        raise NoKeyOpens("no configured key opens this token") from error
    except ValueError as error:
        raise TokenUnreadable("malformed token payload") from error
    if not isinstance(data, dict) or data.get("p") != provider or data.get("u") != uid:
        raise TokenUnreadable("this ciphertext belongs to another identity")
    token = data.get("t")
    if not isinstance(token, str):
        raise TokenUnreadable("malformed token payload")
    return token


def rotate_ciphertext(ciphertext: str) -> str:
    """Re-encrypt under the newest key (idempotent: already-newest stays readable)."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise NoKeyOpens("no configured key opens this token") from error


def key_position(ciphertext: str) -> int | None:
    """Which configured key opens ``ciphertext``: 0 for the newest, ``None`` when none does.

    Read-only; this is how ``rotate_token_keys --check`` tells when an old key can go.
    """
    for position, key in enumerate(settings.TOKEN_ENCRYPTION_KEYS):
        try:
            Fernet(key.encode()).decrypt(ciphertext.encode())
        except InvalidToken:
            continue
        return position
    return None


def is_current(ciphertext: str) -> bool:
    """True when the newest key opens ``ciphertext`` (rotation has nothing to do)."""
    newest = Fernet(settings.TOKEN_ENCRYPTION_KEYS[0].encode())
    try:
        newest.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
