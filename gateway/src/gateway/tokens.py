"""The gateway's bearer-token check: RS256 JWTs verified with the cached JWKS keys, without PyJWT's overhead.

PyJWT costs ~90 µs per RS256 token here (header parsed twice, generic option handling); the
signature check itself (OpenSSL, RSA-2048 with e=65537) is ~22 µs. The gateway verifies every
token it has not seen before, so it parses the token once with orjson, verifies the signature
directly with `cryptography` on the public key object decoded once per JWKS fetch, and checks
the registered claims itself, with the same rules as `svc_runtime.auth.TokenVerifier`
(which this class extends for JWKS fetching, key rotation and the verified-token cache):

- alg must be exactly RS256 (so `none` and HMAC key confusion fail before a key is chosen);
  a `crit` header is refused (no extension is understood); the kid must name a JWKS key;
- exp, iat, sub, iss and aud are required; exp in the past, iat or nbf in the future
  (beyond the leeway), another issuer or an audience that does not include ours are refused.
"""

from __future__ import annotations

import binascii
import time
from base64 import urlsafe_b64decode
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from svc_runtime.auth import TokenVerifier
from svc_runtime.problems import Unauthorized

MAX_TOKEN_LENGTH = 16 * 1024
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_REQUIRED = ("exp", "iat", "sub", "iss", "aud")


def _b64(segment: str) -> bytes:
    return urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class GatewayTokenVerifier(TokenVerifier):
    """`TokenVerifier` with a lean RS256 path for tokens that are not in the verified-token cache."""

    async def verify(self, token: str) -> dict[str, Any]:
        """Claims of a valid token; raise Unauthorized otherwise."""
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        claims = await self.verify_uncached(token, now)
        self._cache[token] = (float(claims["exp"]), claims)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return claims

    async def verify_uncached(self, token: str, now: float | None = None) -> dict[str, Any]:
        """Full verification (signature and claims), bypassing the verified-token cache."""
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise Unauthorized("malformed token")
        header_b64, payload_b64, signature_b64 = token.split(".")
        try:
            header = orjson.loads(_b64(header_b64))
            signature = _b64(signature_b64)
        except (ValueError, binascii.Error) as exc:
            raise Unauthorized("malformed token") from exc
        if not isinstance(header, dict):
            raise Unauthorized("malformed token")
        if header.get("alg") != "RS256":
            raise Unauthorized("token algorithm not allowed")
        if "crit" in header:
            raise Unauthorized("token has critical header parameters this gateway does not understand")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("token has no key id")
        key = await self._key(kid)
        if not isinstance(key, RSAPublicKey):
            raise Unauthorized("token signed with an unknown key")
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"), _PKCS1, _SHA256)
        except (InvalidSignature, UnicodeEncodeError) as exc:
            raise Unauthorized("invalid token: signature verification failed") from exc
        try:
            claims = orjson.loads(_b64(payload_b64))
        except (ValueError, binascii.Error) as exc:
            raise Unauthorized("malformed token") from exc
        if not isinstance(claims, dict):
            raise Unauthorized("malformed token")
        self._check_claims(claims, time.time() if now is None else now)
        return claims

    def _check_claims(self, claims: dict[str, Any], now: float) -> None:
        for name in _REQUIRED:
            if name not in claims:
                raise Unauthorized(f'invalid token: token is missing the "{name}" claim')
        exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf")
        if not _numeric(exp) or not _numeric(iat) or (nbf is not None and not _numeric(nbf)):
            raise Unauthorized("invalid token: exp, iat and nbf must be numbers")
        if exp <= now - self._leeway:
            raise Unauthorized("invalid token: signature has expired")
        if iat > now + self._leeway:
            raise Unauthorized("invalid token: the token is not yet valid (iat)")
        if nbf is not None and nbf > now + self._leeway:
            raise Unauthorized("invalid token: the token is not yet valid (nbf)")
        if claims["iss"] != self.issuer:
            raise Unauthorized("invalid token: invalid issuer")
        aud = claims["aud"]
        if not (aud == self.audience or (isinstance(aud, list) and self.audience in aud)):
            raise Unauthorized("invalid token: audience does not match")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise Unauthorized("invalid token: sub must be a non-empty string")
