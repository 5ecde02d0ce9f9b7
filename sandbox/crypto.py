"""Key material and signatures for the emulated providers.

The only sandbox module that imports ``cryptography``. JWTs are produced with PyJWT so the
sandbox signs exactly the way the relying party's verifier (PyJWT too) expects.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from socialsite.encoding import b64url_encode


def generate_private_pem() -> str:
    """A fresh 2048-bit RSA private key as PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def _load(private_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("sandbox signing keys are RSA keys")
    return key


def public_jwk(private_pem: str) -> dict[str, str]:
    """The public half as a JWK with only the RSA members (``kty``, ``n``, ``e``)."""
    jwk = json.loads(RSAAlgorithm.to_jwk(_load(private_pem).public_key()))
    return {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint, used as the ``kid``: stable for a key, unique across keys."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def sign_rs256(claims: dict[str, Any], *, private_pem: str, kid: str) -> str:
    """A compact JWS (RS256) carrying ``kid`` in its header, as Google's id_tokens do."""
    return jwt.encode(claims, _load(private_pem), algorithm="RS256", headers={"kid": kid})


def sign_with_throwaway_key(claims: dict[str, Any], *, kid: str) -> str:
    """RS256 with a key nobody publishes, under a published ``kid``: a forged signature."""
    return sign_rs256(claims, private_pem=generate_private_pem(), kid=kid)


def unsigned(claims: dict[str, Any], *, kid: str) -> str:
    """An ``alg: none`` JWT (empty signature), the classic downgrade attack."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, claims))
    return ".".join(b64url_encode(part) for part in parts) + "."


def at_hash(access_token: str) -> str:
    """OIDC ``at_hash`` for RS256: left half of SHA-256 of the token, base64url, unpadded.

    https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken
    """
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url_encode(digest[: len(digest) // 2])


def pkce_s256(code_verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL(SHA256(ASCII(code_verifier)))``."""
    return b64url_encode(hashlib.sha256(code_verifier.encode("ascii")).digest())


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
