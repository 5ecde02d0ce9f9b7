"""The token vault: provider tokens sealed at rest, and opened only where the keys are.

Two modes, chosen by ``settings.TOKEN_VAULT``:

- ``shared`` (the default): Fernet through ``MultiFernet`` with ``TOKEN_ENCRYPTION_KEYS``
  (newest first). Every process holds the keys: it can seal and open.
- ``sealed``: libsodium sealed boxes (``accounts.vault_sealed``). Every process holds
  ``TOKEN_SEAL_PUBLIC_KEY`` and can seal; only the worker (``PROCESS_ROLE=worker``) holds
  ``TOKEN_SEAL_PRIVATE_KEYS`` and can open. A web process asked to open raises
  ``OpenRefused``: it never tries, so its inability is not a missing key.

This is the only module that imports ``cryptography`` for the accounts app. The two
ciphertext formats are told apart by their look: a sealed one begins ``s1.``, a Fernet
token ``gAAAAA``. Rotation and the shared-to-sealed migration rely on that.

Each ciphertext is bound to the identity it belongs to: the plaintext carries
``provider`` and ``uid``, and ``open_token`` refuses a ciphertext copied onto another
row. A ciphertext no key opens raises ``NoKeyOpens``; there is no plaintext fallback,
and no caller deletes a ciphertext because this process cannot open it (the key may only
be missing from this process's configuration).

``open_counts`` counts what this process opened and refused to open, so a test (or an
operator with a shell) can see that a web process opened nothing.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from accounts import vault_sealed
from accounts.exceptions import NoKeyOpens, OpenRefused, TokenUnreadable

logger = logging.getLogger(__name__)

SHARED = "shared"
SEALED = "sealed"
FERNET = "fernet"  # the scheme of a ciphertext (``scheme_of``); shared mode writes it

# What this process did, by outcome: "opened" and "refused" (sealed mode, not the worker).
_OPENS: Counter[str] = Counter()


class KeyConfigurationError(ValueError):
    """TOKEN_ENCRYPTION_KEYS is missing or holds something that is not a Fernet key."""


def generate_key() -> str:
    """A new random Fernet key, for `.env` or for rotation."""
    return Fernet.generate_key().decode()


def generate_keypair() -> tuple[str, str]:
    """A new sealed-mode ``(public, private)`` key pair."""
    return vault_sealed.generate_keypair()


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


# --- which mode, which process --------------------------------------------------------------


def mode() -> str:
    return SEALED if getattr(settings, "TOKEN_VAULT", SHARED) == SEALED else SHARED


def can_open() -> bool:
    """True when this process may open tokens: always in shared mode, only the worker in sealed."""
    return mode() == SHARED or getattr(settings, "PROCESS_ROLE", "web") == "worker"


def open_counts() -> dict[str, int]:
    """How many tokens this process opened, and refused to open, since it started."""
    return {"opened": _OPENS["opened"], "refused": _OPENS["refused"]}


def scheme_of(ciphertext: str) -> str:
    return SEALED if vault_sealed.is_sealed(ciphertext) else FERNET


def _refuse() -> None:
    if not can_open():
        _OPENS["refused"] += 1
        logger.error("vault: this process holds no private key and never opens a token (sealed mode)")
        raise OpenRefused("sealed mode: only the worker opens tokens")


# --- Fernet ----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    validate_keys(keys)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _fernet_keys() -> tuple[str, ...]:
    return tuple(getattr(settings, "TOKEN_ENCRYPTION_KEYS", None) or ())


def _fernet() -> MultiFernet:
    return _multifernet(_fernet_keys())


def _private_keys() -> tuple[str, ...]:
    return tuple(getattr(settings, "TOKEN_SEAL_PRIVATE_KEYS", None) or ())


@sensitive_variables("payload")
def _decrypt(ciphertext: str) -> bytes:
    """The payload of either scheme, with whatever keys this process holds."""
    if vault_sealed.is_sealed(ciphertext):
        opened = vault_sealed.open_position(ciphertext, _private_keys()) if _private_keys() else None
        if opened is None:
            raise NoKeyOpens("no configured private key opens this token")
        return opened[1]
    if not _fernet_keys():
        raise NoKeyOpens("no Fernet key is configured to open this token")
    try:
        return _fernet().decrypt(ciphertext.encode())
    except InvalidToken as error:
        raise NoKeyOpens("no configured key opens this token") from error


@sensitive_variables("payload")
def _encrypt(payload: bytes) -> str:
    if mode() == SEALED:
        return vault_sealed.seal(payload, settings.TOKEN_SEAL_PUBLIC_KEY)
    return _fernet().encrypt(payload).decode()


# --- the verbs -------------------------------------------------------------------------------


@sensitive_variables("token", "payload")
def seal_token(token: str, *, provider: str, uid: str) -> str:
    """Encrypt ``token`` under the newest key, bound to ``(provider, uid)``. Any process can."""
    payload = json.dumps({"p": provider, "u": uid, "t": token}, separators=(",", ":"))
    return _encrypt(payload.encode())


@sensitive_variables("payload", "data")
def open_token(ciphertext: str, *, provider: str, uid: str) -> str:
    """Decrypt a ciphertext written by ``seal_token`` for the same identity.

    Raises ``OpenRefused`` in a sealed-mode process other than the worker.
    """
    _refuse()
    payload = _decrypt(ciphertext)
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise TokenUnreadable("malformed token payload") from error
    if not isinstance(data, dict) or data.get("p") != provider or data.get("u") != uid:
        raise TokenUnreadable("this ciphertext belongs to another identity")
    token = data.get("t")
    if not isinstance(token, str):
        raise TokenUnreadable("malformed token payload")
    _OPENS["opened"] += 1
    return token


@sensitive_variables("payload")
def rotate_ciphertext(ciphertext: str) -> str:
    """Re-encrypt under the newest key of this mode (idempotent: already-newest stays readable).

    In sealed mode this also turns a Fernet ciphertext into a sealed one (the worker then
    needs TOKEN_ENCRYPTION_KEYS too): the payload, identity binding included, is kept as is.
    """
    if mode() == SHARED:
        if vault_sealed.is_sealed(ciphertext):
            raise NoKeyOpens("a sealed token cannot be rotated in shared mode")
        try:
            return _fernet().rotate(ciphertext.encode()).decode()
        except InvalidToken as error:
            raise NoKeyOpens("no configured key opens this token") from error
    _refuse()
    return vault_sealed.seal(_decrypt(ciphertext), settings.TOKEN_SEAL_PUBLIC_KEY)


def key_position(ciphertext: str) -> int | None:
    """Which configured key of the ciphertext's own scheme opens it: 0 for the newest, ``None``
    when none does. Read-only; this is how ``rotate_token_keys --check`` tells when an old key
    can go. A Fernet ciphertext is looked up in TOKEN_ENCRYPTION_KEYS, a sealed one in
    TOKEN_SEAL_PRIVATE_KEYS.
    """
    _refuse()
    if vault_sealed.is_sealed(ciphertext):
        opened = vault_sealed.open_position(ciphertext, _private_keys()) if _private_keys() else None
        return None if opened is None else opened[0]
    for position, key in enumerate(_fernet_keys()):
        try:
            Fernet(key.encode()).decrypt(ciphertext.encode())
        except InvalidToken:
            continue
        return position
    return None


def is_current(ciphertext: str) -> bool:
    """True when rotation has nothing to do for ``ciphertext``.

    Shared mode: the newest Fernet key opens it. Sealed mode: it is sealed under the newest
    public key, read from its key id without opening it (so any process can tell).
    """
    if mode() == SEALED:
        return vault_sealed.sealed_key_id(ciphertext) == vault_sealed.key_id(settings.TOKEN_SEAL_PUBLIC_KEY)
    if vault_sealed.is_sealed(ciphertext):
        return False
    newest = Fernet(settings.TOKEN_ENCRYPTION_KEYS[0].encode())
    try:
        newest.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
