"""base64url without padding (RFC 4648 §5, as JWTs, PKCE and signed requests use it): the one helper."""

from __future__ import annotations

import base64


def b64url_encode(data: bytes) -> str:
    """``data`` in base64url, ``=`` padding stripped."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of base64url ``text``, padded or not. Raises ``ValueError`` (``binascii.Error``)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
