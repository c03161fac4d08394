"""Mutual recognition (互认): verify a token of the upstream (national) issuer and map it to a local account.

The upstream's keys come from its JWKS (the configured URL, else the discovery document's jwks_uri),
cached by kid; an unknown kid refetches at most every few seconds, so junk tokens cannot make us
hammer the upstream. Only RS256 and ES256 are accepted, each only with a key of the matching type.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.federation.models import FederatedIdentity
from auth_svc.settings import AuthSettings
from auth_svc.users.models import User

_log = logging.getLogger("auth_svc.federation")

UPSTREAM_ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}
MAX_SUBJECT_TOKEN_LENGTH = 8192
_LEEWAY_S = 30
_REFETCH_INTERVAL_S = 5.0


class UpstreamTokenInvalid(Exception):
    """The subject token is not a valid token of the upstream issuer (the reason is logged, not returned)."""


class UpstreamIssuer:
    """The configured upstream OIDC issuer: its keys, and verification of its tokens."""

    def __init__(self, settings: AuthSettings, http: httpx.AsyncClient) -> None:
        self.issuer = settings.auth_upstream_issuer
        self.audience = settings.upstream_audience
        self._jwks_url = settings.auth_upstream_jwks_url
        self._http = http
        self._keys: dict[str, tuple[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return self.issuer is not None

    async def _jwks_uri(self) -> str:
        if self._jwks_url is not None:
            return self._jwks_url
        assert self.issuer is not None
        response = await self._http.get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        response.raise_for_status()
        document = response.json()
        if document.get("issuer") != self.issuer or not isinstance(document.get("jwks_uri"), str):
            raise ValueError("the upstream discovery document names another issuer or no jwks_uri")
        self._jwks_url = document["jwks_uri"]
        return self._jwks_url

    async def _fetch(self) -> None:
        response = await self._http.get(await self._jwks_uri())
        response.raise_for_status()
        keys: dict[str, tuple[str, Any]] = {}
        for jwk in response.json().get("keys", []):
            kid, kty = jwk.get("kid"), jwk.get("kty")
            if not isinstance(kid, str) or jwk.get("use", "sig") != "sig":
                continue
            for alg, key_type in UPSTREAM_ALGORITHMS.items():
                if kty == key_type and jwk.get("alg", alg) == alg and (kty != "EC" or jwk.get("crv") == "P-256"):
                    try:
                        keys[kid] = (alg, jwt.PyJWK(jwk, algorithm=alg).key)
                    except jwt.PyJWTError:
                        _log.warning("ignoring an unusable upstream key", extra={"kid": kid})
        self._keys = keys

    async def _key(self, kid: str) -> tuple[str, Any] | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= _REFETCH_INTERVAL_S:
                self._fetched_at = time.monotonic()
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError) as exc:
                    _log.warning("upstream keys unavailable", extra={"error": str(exc)})
        return self._keys.get(kid)

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid upstream token (signature, iss, aud, exp, nbf, iat checked)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise UpstreamTokenInvalid("malformed token") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in UPSTREAM_ALGORITHMS or not isinstance(kid, str):
            raise UpstreamTokenInvalid(f"algorithm {alg!r} or key id not allowed")
        found = await self._key(kid)
        if found is None:
            raise UpstreamTokenInvalid("token signed with an unknown key")
        key_alg, key = found
        if key_alg != alg:
            raise UpstreamTokenInvalid("token algorithm does not match the key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise UpstreamTokenInvalid(str(exc)) from exc
        return claims


async def map_identity(
    session: AsyncSession, *, issuer: str, subject_claim: str, claims: dict[str, Any]
) -> User | None:
    """The active local user the upstream identity maps to: the mapping table first, then the certificate number."""
    value = claims.get(subject_claim)
    if not isinstance(value, str) or not value or len(value) > 255:
        return None
    user = await session.scalar(
        select(User)
        .join(FederatedIdentity, FederatedIdentity.user_id == User.id)
        .where(FederatedIdentity.issuer == issuer, FederatedIdentity.subject == value)
    )
    if user is None and subject_claim == "certificate_number":
        user = await session.scalar(select(User).where(User.certificate_number == value))
    if user is None or not user.is_active:
        return None
    return user


async def link(session: AsyncSession, *, issuer: str, subject: str, user_id: Any) -> FederatedIdentity:
    """Map an upstream identity to a local user (administration and tests)."""
    identity = FederatedIdentity(issuer=issuer, subject=subject, user_id=user_id)
    session.add(identity)
    await session.flush()
    return identity
