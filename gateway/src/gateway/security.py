"""Which forwarded paths are public, and the bearer-token check done before a service is called."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

from gateway.scopes import PLATFORM_ADMIN_ROLE
from svc_runtime.auth import TokenVerifier
from svc_runtime.problems import Problem, Unauthorized


class PublicPaths:
    """Matches paths against entries that are exact (`/a/b`) or prefixes (`/a/*`)."""

    def __init__(self, entries: Iterable[str]) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        for entry in entries:
            if entry.endswith("/*"):
                prefixes.append(entry[:-1])  # "/auth/*" -> "/auth/"
                exact.add(entry[:-2])  # and "/auth" itself
            else:
                exact.add(entry)
        self._exact = frozenset(exact)
        self._prefixes = tuple(prefixes)

    def __call__(self, path: str) -> bool:
        return path in self._exact or (bool(self._prefixes) and path.startswith(self._prefixes))


@dataclass(frozen=True)
class AuthFailure:
    detail: str
    challenge: bytes


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


async def authenticate(
    verifier: TokenVerifier, headers: list[tuple[bytes, bytes]]
) -> tuple[dict[str, Any] | None, AuthFailure | None]:
    """The token's claims, or why the request is refused (RFC 6750 challenge included)."""
    token = bearer_token(headers)
    if token is None:
        return None, AuthFailure("a bearer token is required", b'Bearer realm="supervision-platform"')
    try:
        return await verifier.verify(token), None
    except (Unauthorized, Problem) as exc:
        detail = exc.detail or "invalid token"
        return None, AuthFailure(detail, b'Bearer realm="supervision-platform", error="invalid_token"')


def permitted(claims: dict[str, Any], required: str | None) -> bool:
    """Whether the token holds the route's scope (platform administrators hold every one)."""
    roles = claims.get("roles")
    if isinstance(roles, list) and PLATFORM_ADMIN_ROLE in roles:
        return True
    if required is None:
        return False
    granted = claims.get("scope")
    return isinstance(granted, str) and required in granted.split()


def caller_ip(scope: Scope, *, trust_forwarded: bool) -> str:
    """The caller's address: the socket peer, or behind a trusted ingress the last X-Forwarded-For hop."""
    if trust_forwarded:
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                last = value.decode("latin-1").rsplit(",", 1)[-1].strip()
                if last:
                    return last
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
