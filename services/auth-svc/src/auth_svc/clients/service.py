"""OAuth clients: look-up, bootstrap registration and secret authentication (with a short in-memory cache)."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc import hashing
from auth_svc.clients.models import OAuthClient

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@dataclass(frozen=True)
class AuthenticatedClient:
    """What token issuance needs to know about a client whose secret was just verified."""

    client_id: str
    grant_types: frozenset[str]
    allowed_scopes: tuple[str, ...]
    roles: tuple[str, ...]
    region_code: str | None
    department_id: str | None
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    is_public: bool = False

    @classmethod
    def from_model(cls, client: OAuthClient) -> AuthenticatedClient:
        return cls(
            client_id=client.client_id,
            grant_types=frozenset(client.grant_types),
            allowed_scopes=tuple(client.allowed_scopes),
            roles=tuple(client.roles),
            region_code=client.region_code,
            department_id=client.department_id,
            redirect_uris=tuple(client.redirect_uris),
            post_logout_redirect_uris=tuple(client.post_logout_redirect_uris),
            is_public=client.is_public,
        )


async def get_by_client_id(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


async def get_active_client(session: AsyncSession, client_id: str) -> AuthenticatedClient | None:
    """An active client by id, without checking any secret (authorization requests, public clients)."""
    client = await get_by_client_id(session, client_id)
    if client is None or not client.is_active:
        return None
    return AuthenticatedClient.from_model(client)


async def list_clients(session: AsyncSession) -> Sequence[OAuthClient]:
    return (await session.scalars(select(OAuthClient).order_by(OAuthClient.client_id))).all()


async def upsert_confidential(
    session: AsyncSession,
    *,
    client_id: str,
    name: str,
    secret: str,
    grant_types: Sequence[str],
    allowed_scopes: Sequence[str],
    roles: Sequence[str],
) -> OAuthClient:
    """Create or update a confidential client; the secret is re-hashed only when it changed."""
    client = await get_by_client_id(session, client_id)
    if client is None:
        client = OAuthClient(client_id=client_id)
        session.add(client)
    if (
        client.secret_hash is None
        or hashing.client_secret_needs_rehash(client.secret_hash)
        or not await hashing.verify_client_secret(client.secret_hash, secret)
    ):
        client.secret_hash = await hashing.hash_client_secret(secret)
    client.name = name
    client.grant_types = list(grant_types)
    client.allowed_scopes = list(allowed_scopes)
    client.roles = list(roles)
    client.is_active = True
    await session.flush()
    return client


async def upsert_public(
    session: AsyncSession,
    *,
    client_id: str,
    name: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str],
    allowed_scopes: Sequence[str],
) -> OAuthClient:
    """Create or update a public client (web console, mobile app): authorization code with PKCE and refresh."""
    client = await get_by_client_id(session, client_id)
    if client is None:
        client = OAuthClient(client_id=client_id, roles=[])
        session.add(client)
    client.name = name
    client.secret_hash = None
    client.grant_types = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
    client.allowed_scopes = list(allowed_scopes)
    client.redirect_uris = list(redirect_uris)
    client.post_logout_redirect_uris = list(post_logout_redirect_uris)
    client.is_active = True
    await session.flush()
    return client


class ClientAuthenticator:
    """Checks client credentials against the database, remembering successes for a short time.

    Argon2 is deliberately slow, so a client that asks for many tokens would otherwise pay for a
    hash check (and a database read) each time. Successes are cached in memory under the SHA-256
    of (client id, secret), never the secret itself; failures are never cached. A disabled client
    or changed secret therefore takes effect within `ttl_s` on every replica, unless `forget` is
    called on this one.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, ttl_s: float, max_entries: int = 10_000
    ) -> None:
        self._sessionmaker = sessionmaker
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._cache: OrderedDict[bytes, tuple[float, AuthenticatedClient]] = OrderedDict()

    @staticmethod
    def _cache_key(client_id: str, secret: str) -> bytes:
        material = f"{len(client_id)}:{client_id}:{secret}".encode()
        return hashlib.sha256(material).digest()

    async def authenticate(self, client_id: str, secret: str) -> AuthenticatedClient | None:
        """The client if the secret is right and the client active; None otherwise."""
        key = self._cache_key(client_id, secret)
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > time.monotonic():
                return cached[1]
            del self._cache[key]
        async with self._sessionmaker() as session:
            client = await get_by_client_id(session, client_id)
        hashed = client.secret_hash if client is not None and client.is_active else None
        # With no usable hash this still spends the time of a check, so it reveals nothing.
        if not await hashing.verify_client_secret(hashed, secret) or client is None or hashed is None:
            return None
        if hashing.client_secret_needs_rehash(hashed):
            await self._rehash(client_id, secret)
        result = AuthenticatedClient.from_model(client)
        if self._ttl_s > 0:
            self._cache[key] = (time.monotonic() + self._ttl_s, result)
            if len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return result

    async def _rehash(self, client_id: str, secret: str) -> None:
        new_hash = await hashing.hash_client_secret(secret)
        async with self._sessionmaker() as session, session.begin():
            client = await get_by_client_id(session, client_id)
            if client is not None:
                client.secret_hash = new_hash

    def forget(self, client_id: str) -> None:
        """Drop this client's cached verifications (after its secret or status changed)."""
        for key in [k for k, (_, c) in self._cache.items() if c.client_id == client_id]:
            del self._cache[key]
