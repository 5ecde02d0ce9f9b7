"""Facebook's ``signed_request``: ``<signature>.<payload>``, both base64url without padding.

The signature is HMAC-SHA256 over the payload *as sent*, keyed with the app secret.
https://developers.facebook.com/docs/games/gamesonfacebook/login#parsingsr
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from socialsite.encoding import b64url_decode, b64url_encode

MAX_AGE_SECONDS = 3600  # older requests are refused as stale (replays of old captures)
MAX_LENGTH = 8192


class InvalidSignedRequest(ValueError):
    """Forged, tampered, malformed, stale or using another algorithm."""


def _b64decode(value: str) -> bytes:
    try:
        return b64url_decode(value)
    except (binascii.Error, ValueError) as error:
        raise InvalidSignedRequest("not base64url") from error


def sign(payload: dict[str, Any], app_secret: str) -> str:
    """Build a signed_request the way Facebook does: ``<signature>.<payload>``, both base64url
    without padding, the signature an HMAC-SHA256 over the encoded payload keyed with the app
    secret. The sandbox's "Remove this app" callbacks and the tests sign with this.
    https://developers.facebook.com/docs/facebook-login/guides/advanced/deauth-callback
    """
    body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(app_secret.encode(), body.encode("ascii"), hashlib.sha256).digest()
    return f"{b64url_encode(signature)}.{body}"


def parse(signed_request: str, app_secret: str, *, now: float | None = None) -> dict[str, Any]:
    """The verified payload, or ``InvalidSignedRequest``."""
    if not signed_request or len(signed_request) > MAX_LENGTH or signed_request.count(".") != 1:
        raise InvalidSignedRequest("malformed")
    encoded_signature, encoded_payload = signed_request.split(".", 1)
    signature = _b64decode(encoded_signature)
    expected = hmac.new(app_secret.encode(), encoded_payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):  # constant time
        raise InvalidSignedRequest("bad signature")
    try:
        payload = json.loads(_b64decode(encoded_payload))
    except ValueError as error:
        raise InvalidSignedRequest("payload is not JSON") from error
    if not isinstance(payload, dict):
        raise InvalidSignedRequest("payload is not an object")
    if str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise InvalidSignedRequest("unexpected algorithm")
    issued_at = payload.get("issued_at")
    current = time.time() if now is None else now
    if (
        not isinstance(issued_at, int)
        or isinstance(issued_at, bool)
        or not (current - MAX_AGE_SECONDS <= issued_at <= current + 300)
    ):
        raise InvalidSignedRequest("stale or missing issued_at")
    user_id = payload.get("user_id")
    if not isinstance(user_id, str) or not user_id.isdigit():
        raise InvalidSignedRequest("missing user_id")
    return payload
