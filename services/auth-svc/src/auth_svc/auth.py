"""Bearer-token checks for auth-svc's own management API, verified against the local signing keys.

Other services verify through svc_runtime.auth.TokenVerifier, which fetches the JWKS over HTTP;
auth-svc owns the keys, so it reads them from its keyring instead of calling itself.
"""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from auth_svc.dependencies import KeyringDep, SettingsDep
from auth_svc.scopes import PLATFORM_ADMIN_ROLE
from svc_runtime.auth import ALLOWED_ALGORITHMS, Principal, bearer_token
from svc_runtime.problems import Forbidden, Unauthorized

_LEEWAY_S = 5


async def get_principal(request: Request, keyring: KeyringDep, settings: SettingsDep) -> Principal:
    """The caller of a management endpoint, from a token this service signed."""
    token = bearer_token(request)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
        raise Unauthorized("token algorithm or key id not allowed")
    key = await keyring.verification_key(kid)
    if key is None:
        raise Unauthorized("token signed with an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGORITHMS,
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    return Principal.from_claims(claims)


LocalPrincipal = Annotated[Principal, Depends(get_principal)]


class RequireRole:
    """Dependency: the caller must hold this role."""

    def __init__(self, role: str) -> None:
        self.role = role

    async def __call__(self, principal: LocalPrincipal) -> Principal:
        if self.role not in principal.roles:
            raise Forbidden(f"role {self.role} is required")
        return principal


PlatformAdmin = Annotated[Principal, Depends(RequireRole(PLATFORM_ADMIN_ROLE))]
