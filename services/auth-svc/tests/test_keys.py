"""Signing key rotation and the management API that triggers it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from auth_helpers import ClientMaker, get_token
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.keys.models import SigningKey
from auth_svc.settings import AuthSettings
from svc_runtime.auth import TokenVerifier

JWKS_URL = "http://test/.well-known/jwks.json"

pytest_plugins = ["auth_fixtures"]


async def published_kids(auth_http: httpx.AsyncClient) -> list[str]:
    response = await auth_http.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    return [key["kid"] for key in response.json()["keys"]]


class TestRotateEndpoint:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_requires_a_bearer_token(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.post("/v1/keys/rotate")

        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_refuses_a_forged_token(self, auth_http: httpx.AsyncClient, auth_settings: AuthSettings) -> None:
        forged = jwt.encode(
            {"iss": auth_settings.auth_issuer, "sub": "x", "roles": ["platform_admin"]},
            "secret-secret-secret-secret-secret",
            algorithm="HS256",
        )

        response = await auth_http.post("/v1/keys/rotate", headers={"Authorization": f"Bearer {forged}"})

        assert response.status_code == 401, response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_requires_the_platform_admin_role(
        self, auth_http: httpx.AsyncClient, create_auth_client: ClientMaker
    ) -> None:
        token = await get_token(auth_http, await create_auth_client(roles=["inspector"]))

        response = await auth_http.post("/v1/keys/rotate", headers={"Authorization": f"Bearer {token}"})

        assert response.status_code == 403, response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_rotation_keeps_old_keys_published_and_old_tokens_valid(
        self,
        auth_http: httpx.AsyncClient,
        auth_settings: AuthSettings,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        auth_bootstrap: tuple[str, str],
    ) -> None:
        old_token = await get_token(auth_http, auth_bootstrap)
        old_kid = jwt.get_unverified_header(old_token)["kid"]
        # A verifier that has only seen the old key, as other services have before a rotation.
        verifier = TokenVerifier(
            jwks_url=JWKS_URL,
            issuer=auth_settings.auth_issuer,
            audience=auth_settings.auth_audience,
            http=auth_http,
            refetch_interval_s=0.0,
        )
        await verifier.verify(old_token)

        response = await auth_http.post("/v1/keys/rotate", headers={"Authorization": f"Bearer {old_token}"})

        assert response.status_code == 200, response.text
        body = response.json()
        new_kid = body["active"]["kid"]
        assert new_kid != old_kid
        assert body["retired"]["kid"] == old_kid
        kids = await published_kids(auth_http)
        assert kids[0] == new_kid
        assert old_kid in kids
        new_token = await get_token(auth_http, auth_bootstrap)
        assert jwt.get_unverified_header(new_token)["kid"] == new_kid
        assert (await verifier.verify(new_token))["sub"] == auth_bootstrap[0]
        fresh_verifier = TokenVerifier(
            jwks_url=JWKS_URL, issuer=auth_settings.auth_issuer, audience=auth_settings.auth_audience, http=auth_http
        )
        assert (await fresh_verifier.verify(old_token))["sub"] == auth_bootstrap[0]
        async with auth_sessionmaker() as session:
            retired = await session.get(SigningKey, old_kid)
            active = (await session.scalars(select(SigningKey).where(SigningKey.active.is_(True)))).all()
        assert [key.kid for key in active] == [new_kid]
        assert retired is not None
        assert retired.retired_at is not None
        assert retired.expires_at is not None
        lifetime = retired.expires_at - retired.retired_at
        assert lifetime >= timedelta(seconds=auth_settings.auth_access_token_ttl_s)
        assert lifetime == timedelta(seconds=auth_settings.signing_key_grace_s)

    @pytest.mark.asyncio(loop_scope="session")
    async def test_expired_keys_are_no_longer_published(
        self,
        auth_http: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        auth_bootstrap: tuple[str, str],
    ) -> None:
        token = await get_token(auth_http, auth_bootstrap)
        rotated = await auth_http.post("/v1/keys/rotate", headers={"Authorization": f"Bearer {token}"})
        assert rotated.status_code == 200, rotated.text
        retired_kid = rotated.json()["retired"]["kid"]
        async with auth_sessionmaker() as session, session.begin():
            retired = await session.get(SigningKey, retired_kid)
            assert retired is not None
            assert retired.expires_at is not None
            retired.expires_at = retired.expires_at - timedelta(days=1)

        assert retired_kid not in await published_kids(auth_http)


class TestListEndpoints:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_admin_lists_keys_without_private_material(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        token = await get_token(auth_http, auth_bootstrap)

        response = await auth_http.get("/v1/keys", headers={"Authorization": f"Bearer {token}"})

        assert response.status_code == 200, response.text
        keys = response.json()
        assert keys[0]["active"] is True
        assert all("private_key_pem" not in key for key in keys)

    @pytest.mark.asyncio(loop_scope="session")
    async def test_admin_lists_clients_without_secrets(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        token = await get_token(auth_http, auth_bootstrap)

        response = await auth_http.get("/v1/clients", headers={"Authorization": f"Bearer {token}"})

        assert response.status_code == 200, response.text
        clients = {c["client_id"]: c for c in response.json()}
        bootstrap = clients[auth_bootstrap[0]]
        assert bootstrap["grant_types"] == ["client_credentials"]
        assert bootstrap["roles"] == ["platform_admin"]
        assert all("secret_hash" not in c for c in clients.values())
