"""Sealed mode's cipher: libsodium sealed boxes (PyNaCl), public key to seal, private keys to open.

A sealed box (X25519 + XSalsa20-Poly1305, with a fresh ephemeral key pair per message) lets
anyone holding the public key seal, and only the holder of the private key open:
https://libsodium.gitbook.io/doc/public-key_cryptography/sealed_boxes
https://pynacl.readthedocs.io/en/latest/public/#nacl-public-sealedbox
Nothing here is hand-assembled: ``SealedBox`` does the whole construction.

A sealed ciphertext reads ``s1.<key id>.<box, url-safe base64>``. The prefix tells it from a
Fernet token (which always begins ``gAAAAA``), so rotation and the shared-to-sealed migration
can tell the schemes apart. The key id is the first bytes of a hash of the public key that
sealed it: any process can tell whether a ciphertext is under the newest public key without
opening it, and the worker knows which private key to try first.

Only ``accounts.vault`` calls this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

PREFIX = "s1."


class SealKeyError(ValueError):
    """A configured seal key is not a 32-byte url-safe base64 X25519 key."""


def generate_keypair() -> tuple[str, str]:
    """A new ``(public, private)`` pair, url-safe base64, for TOKEN_SEAL_PUBLIC_KEY and _PRIVATE_KEYS."""
    private = PrivateKey.generate()
    return _encode(bytes(private.public_key)), _encode(bytes(private))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _decode_key(value: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError) as error:
        raise SealKeyError(f"{name} is not url-safe base64 (make keypair prints a valid pair).") from error
    if len(raw) != 32:
        raise SealKeyError(f"{name} must be 32 bytes, url-safe base64 (make keypair prints a valid pair).")
    return raw


def key_id(public_key: str) -> str:
    """A short, stable name for a public key (not secret: it is written beside each ciphertext)."""
    return hashlib.sha256(_decode_key(public_key, "public key")).hexdigest()[:12]


@lru_cache(maxsize=8)
def _public_box(public_key: str) -> tuple[str, SealedBox]:
    raw = _decode_key(public_key, "TOKEN_SEAL_PUBLIC_KEY")
    return key_id(public_key), SealedBox(PublicKey(raw))


@lru_cache(maxsize=8)
def _private_boxes(private_keys: tuple[str, ...]) -> tuple[tuple[str, SealedBox], ...]:
    boxes = []
    for position, value in enumerate(private_keys, start=1):
        private = PrivateKey(_decode_key(value, f"TOKEN_SEAL_PRIVATE_KEYS entry {position}"))
        boxes.append((key_id(_encode(bytes(private.public_key))), SealedBox(private)))
    return tuple(boxes)


def validate_public(public_key: str) -> None:
    _public_box(public_key)


def validate_private(private_keys: tuple[str, ...]) -> None:
    _private_boxes(private_keys)


def public_of(private_key: str) -> str:
    return _encode(bytes(PrivateKey(_decode_key(private_key, "private key")).public_key))


def is_sealed(ciphertext: str) -> bool:
    return ciphertext.startswith(PREFIX)


def sealed_key_id(ciphertext: str) -> str | None:
    """The key id written in a sealed ciphertext, or ``None`` when it is not one."""
    if not is_sealed(ciphertext):
        return None
    kid, _, _ = ciphertext[len(PREFIX) :].partition(".")
    return kid or None


def seal(plaintext: bytes, public_key: str) -> str:
    kid, box = _public_box(public_key)
    return f"{PREFIX}{kid}.{_encode(box.encrypt(plaintext))}"


def open_position(ciphertext: str, private_keys: tuple[str, ...]) -> tuple[int, bytes] | None:
    """``(position of the private key that opens it, plaintext)``, or ``None`` when none does.

    The key named by the ciphertext's key id is tried first, then the others: a damaged
    key id must not make a readable token unreadable.
    """
    kid = sealed_key_id(ciphertext)
    if kid is None:
        return None
    try:
        box_bytes = base64.urlsafe_b64decode(ciphertext.rsplit(".", 1)[-1].encode())
    except (binascii.Error, ValueError):
        return None
    boxes = list(enumerate(_private_boxes(private_keys)))
    boxes.sort(key=lambda entry: entry[1][0] != kid)
    for position, (_kid, box) in boxes:
        try:
            return position, box.decrypt(box_bytes)
        except CryptoError:
            continue
    return None
