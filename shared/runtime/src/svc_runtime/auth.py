"""Bearer-token verification against the auth service's JWKS, and the caller as a typed Principal.

Only RS256 is accepted (so `alg=none` and HMAC confusion are refused before any key is used).
Keys are cached by `kid`; an unknown `kid` triggers one refetch (rate-limited), which is how
rotated keys are picked up. Verified tokens are cached until they expire, which keeps the
per-request cost of authentication to a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from svc_runtime.problems import Forbidden, Unauthorized

ALLOWED_ALGORITHMS = ["RS256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or a client (agency system, service), with roles and data scope."""

    subject: str
    client_id: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    region_code: str | None = None
    department_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        scope = claims.get("scope") or ""
        return cls(
            subject=str(claims["sub"]),
            client_id=claims.get("client_id") or claims.get("azp"),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            roles=frozenset(claims.get("roles") or ()),
            region_code=claims.get("region_code"),
            department_id=claims.get("department_id"),
            claims=claims,
        )


class TokenVerifier:
    """Verifies RS256 access tokens issued by the platform's auth service."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audience: str,
        http: httpx.AsyncClient | None = None,
        refetch_interval_s: float = 5.0,
        cache_size: int = 10_000,
        leeway_s: int = 5,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self._http = http
        self._keys: dict[str, Any] = {}
        self._last_fetch = 0.0
        self._refetch_interval = refetch_interval_s
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size
        self._leeway = leeway_s

    async def _fetch_keys(self) -> None:
        client = self._http or httpx.AsyncClient(timeout=5.0)
        try:
            response = await client.get(self.jwks_url)
            response.raise_for_status()
            jwks = response.json()
        finally:
            if self._http is None:
                await client.aclose()
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        self._keys = keys
        self._last_fetch = time.monotonic()

    async def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._last_fetch >= self._refetch_interval:
                try:
                    await self._fetch_keys()
                except (httpx.HTTPError, ValueError) as exc:
                    raise Unauthorized("signing keys are not available") from exc
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("token signed with an unknown key")
        return key

    async def verify(self, token: str) -> dict[str, Any]:
        """Claims of a valid token; raise Unauthorized otherwise."""
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthorized("token algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("token has no key id")
        key = await self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        self._cache[token] = (float(claims["exp"]), claims)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return claims


def bearer_token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    verifier: TokenVerifier = request.state.verifier
    claims = await verifier.verify(bearer_token(request))
    return Principal.from_claims(claims)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class RequireScopes:
    """Dependency: the caller's token must hold every one of these scopes."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = frozenset(scopes)

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        missing = self.scopes - principal.scopes
        if missing:
            raise Forbidden(f"missing scope: {' '.join(sorted(missing))}")
        return principal
