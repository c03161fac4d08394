"""Mutual recognition: tokens of a second, independently configured OIDC issuer (the national identity
system, served over HTTP on 127.0.0.1 with its own keys) exchanged for local tokens (RFC 8693)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from oidc_fixtures import JWT_TOKEN_TYPE, TOKEN_EXCHANGE, UpstreamIdP, UserMaker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.federation import service as federation_service
from auth_svc.federation.service import UpstreamIssuer, UpstreamTokenInvalid
from auth_svc.settings import AuthSettings
from auth_svc.tokens.models import RevokedToken, TokenFamily
from svc_runtime.testing import random_ref

pytest_plugins = ["auth_fixtures", "oidc_fixtures"]

STS_AUDIENCE = "supervision-platform-sts"


@pytest_asyncio.fixture(loop_scope="session")
async def exchange_client(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[str, str]:
    """An agency system allowed to exchange upstream tokens."""
    from auth_svc import hashing
    from auth_svc.clients.models import OAuthClient

    client_id, secret = random_ref("agency"), secrets.token_urlsafe(32)
    async with auth_sessionmaker() as session, session.begin():
        session.add(
            OAuthClient(
                client_id=client_id,
                name=client_id,
                secret_hash=await hashing.hash_client_secret(secret),
                grant_types=[TOKEN_EXCHANGE],
                allowed_scopes=["catalog:read", "random-check:read"],
                roles=[],
            )
        )
    return client_id, secret


async def exchange(http: httpx.AsyncClient, auth: tuple[str, str], subject_token: str, **form: str) -> httpx.Response:
    return await http.post(
        "/token",
        auth=auth,
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": JWT_TOKEN_TYPE,
            **form,
        },
    )


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as session:
        families = await session.scalar(select(func.count()).select_from(TokenFamily))
        revoked = await session.scalar(select(func.count()).select_from(RevokedToken))
    return int(families or 0), int(revoked or 0)


class TestTokenExchange:
    @pytest.mark.asyncio(loop_scope="session")
    @pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
    async def test_exchanges_an_upstream_token_for_a_local_one(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_upstream: UpstreamIdP,
        oidc_settings: AuthSettings,
        oidc_create_user: UserMaker,
        exchange_client: tuple[str, str],
        algorithm: str,
    ) -> None:
        certificate = f"62{secrets.randbelow(10**12):012d}"
        user = await oidc_create_user(certificate_number=certificate)
        upstream = oidc_upstream.token(audience=STS_AUDIENCE, algorithm=algorithm, certificate_number=certificate)

        response = await exchange(oidc_http, exchange_client, upstream, scope="catalog:read")

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
        assert body["token_type"] == "Bearer"
        assert body["scope"] == "catalog:read"
        assert "refresh_token" not in body
        jwks = (await oidc_http.get("/.well-known/jwks.json")).json()
        key = jwt.PyJWK(jwks["keys"][0]).key
        claims = jwt.decode(
            body["access_token"],
            key,
            algorithms=["RS256"],
            audience=oidc_settings.auth_audience,
            issuer=oidc_settings.auth_issuer,
        )
        assert claims["sub"] == str(user.id)
        assert claims["client_id"] == exchange_client[0]
        assert claims["idp"] == oidc_upstream.issuer
        assert claims["region_code"] == "620423"
        assert claims["roles"] == ["inspector"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_maps_through_the_federated_identity_table(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_upstream: UpstreamIdP,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        exchange_client: tuple[str, str],
    ) -> None:
        user = await oidc_create_user()
        national_id = f"CN-{secrets.token_hex(6)}"
        async with auth_sessionmaker() as session, session.begin():
            await federation_service.link(session, issuer=oidc_upstream.issuer, subject=national_id, user_id=user.id)

        response = await exchange(
            oidc_http, exchange_client, oidc_upstream.token(audience=STS_AUDIENCE, certificate_number=national_id)
        )

        assert response.status_code == 200, response.text
        assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["sub"] == str(user.id)


class TestRefusedSubjectTokens:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_bad_and_invalid_upstream_tokens_are_invalid_grant_and_change_nothing(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_upstream: UpstreamIdP,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        exchange_client: tuple[str, str],
    ) -> None:
        certificate = f"62{secrets.randbelow(10**12):012d}"
        await oidc_create_user(certificate_number=certificate)
        other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other_ec = ec.generate_private_key(ec.SECP256R1())
        good: dict[str, Any] = {"audience": STS_AUDIENCE, "certificate_number": certificate}
        now = int(time.time())
        payload = {
            "iss": oidc_upstream.issuer,
            "aud": STS_AUDIENCE,
            "sub": "x",
            "iat": now,
            "exp": now + 300,
            "certificate_number": certificate,
        }
        candidates = {
            "bad-rsa-signature": oidc_upstream.token(key=other_rsa, **good),
            "bad-ec-signature": oidc_upstream.token(algorithm="ES256", key=other_ec, **good),
            "tampered": oidc_upstream.token(**good)[:-6] + "AAAAAA",
            "unknown-kid": oidc_upstream.token(kid="no-such-key", **good),
            "expired": oidc_upstream.token(ttl_s=-120, **good),
            "not-yet-valid": oidc_upstream.token(not_before_s=600, **good),
            "wrong-audience": oidc_upstream.token(audience="someone-else", certificate_number=certificate),
            "wrong-issuer": oidc_upstream.token(issuer="https://evil.example.com", **good),
            "alg-none": jwt.encode(payload, None, algorithm="none", headers={"kid": oidc_upstream.rsa_kid}),  # type: ignore[arg-type]
            "hs256": jwt.encode(payload, "s" * 64, algorithm="HS256", headers={"kid": oidc_upstream.rsa_kid}),
            "rs256-header-on-ec-key": oidc_upstream.token(kid=oidc_upstream.ec_kid, **good),
            "unknown-identity": oidc_upstream.token(audience=STS_AUDIENCE, certificate_number="99999999999999"),
            "unmapped-identity": oidc_upstream.token(audience=STS_AUDIENCE),
            "claim-not-a-string": oidc_upstream.token(audience=STS_AUDIENCE, certificate_number=12345),
            "not-a-jwt": "definitely-not-a-token",
        }
        before = await snapshot(auth_sessionmaker)

        for name, token in candidates.items():
            response = await exchange(oidc_http, exchange_client, token)

            assert response.status_code == 400, (name, response.text)
            assert response.json()["error"] == "invalid_grant", name
            assert "access_token" not in response.json()

        assert await snapshot(auth_sessionmaker) == before
        assert (await exchange(oidc_http, exchange_client, oidc_upstream.token(**good))).status_code == 200

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_disabled_account_is_refused(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_upstream: UpstreamIdP,
        oidc_create_user: UserMaker,
        exchange_client: tuple[str, str],
    ) -> None:
        certificate = f"62{secrets.randbelow(10**12):012d}"
        await oidc_create_user(certificate_number=certificate, status="left")

        response = await exchange(
            oidc_http, exchange_client, oidc_upstream.token(audience=STS_AUDIENCE, certificate_number=certificate)
        )

        assert response.json()["error"] == "invalid_grant"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_local_token_is_not_an_upstream_token(
        self, oidc_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str], exchange_client: tuple[str, str]
    ) -> None:
        local = (await oidc_http.post("/token", auth=auth_bootstrap, data={"grant_type": "client_credentials"})).json()

        response = await exchange(oidc_http, exchange_client, local["access_token"])

        assert response.json()["error"] == "invalid_grant"


class TestMalformedExchangeRequests:
    @pytest.mark.asyncio(loop_scope="session")
    @pytest.mark.parametrize(
        ("form", "status", "error"),
        [
            ({"subject_token_type": None}, 400, "invalid_request"),
            ({"subject_token": None}, 400, "invalid_request"),
            ({"subject_token_type": "urn:example:saml"}, 400, "invalid_request"),
            ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, 400, "invalid_request"),
            ({"actor_token": "x"}, 400, "invalid_request"),
            ({"subject_token": "x" * 20_000}, 400, "invalid_request"),
            ({"audience": "https://other.example.com"}, 400, "invalid_target"),
            ({"scope": "auth:admin"}, 400, "invalid_scope"),
        ],
        ids=["no-type", "no-token", "bad-type", "bad-requested", "actor", "oversized-token", "audience", "scope"],
    )
    async def test_are_refused(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_upstream: UpstreamIdP,
        exchange_client: tuple[str, str],
        form: dict[str, str | None],
        status: int,
        error: str,
    ) -> None:
        data: dict[str, str | None] = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": oidc_upstream.token(audience=STS_AUDIENCE, certificate_number="x"),
            "subject_token_type": JWT_TOKEN_TYPE,
            **form,
        }

        response = await oidc_http.post(
            "/token", auth=exchange_client, data={k: v for k, v in data.items() if v is not None}
        )

        assert response.status_code == status, response.text
        assert response.json()["error"] == error

    @pytest.mark.asyncio(loop_scope="session")
    async def test_oversized_body_is_413(self, oidc_http: httpx.AsyncClient, exchange_client: tuple[str, str]) -> None:
        response = await exchange(oidc_http, exchange_client, "x" * 1_100_000)

        assert response.status_code == 413

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_client_without_the_grant_is_unauthorized(
        self, oidc_http: httpx.AsyncClient, oidc_upstream: UpstreamIdP, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await exchange(oidc_http, auth_bootstrap, oidc_upstream.token(audience=STS_AUDIENCE))

        assert response.status_code == 400
        assert response.json()["error"] == "unauthorized_client"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_without_an_upstream_issuer_the_grant_is_refused(
        self, auth_http: httpx.AsyncClient, oidc_upstream: UpstreamIdP, exchange_client: tuple[str, str]
    ) -> None:
        # auth_http runs with the base settings: no upstream issuer configured.
        response = await exchange(auth_http, exchange_client, oidc_upstream.token(audience=STS_AUDIENCE))

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


class TestUpstreamKeys:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_configured_jwks_url_is_used_without_discovery(
        self, oidc_settings: AuthSettings, oidc_upstream: UpstreamIdP
    ) -> None:
        settings = oidc_settings.model_copy(update={"auth_upstream_jwks_url": oidc_upstream.jwks_url})
        async with httpx.AsyncClient() as http:
            issuer = UpstreamIssuer(settings, http)
            claims = await issuer.verify(oidc_upstream.token(audience=STS_AUDIENCE, algorithm="ES256"))

        assert claims["iss"] == oidc_upstream.issuer

    @pytest.mark.asyncio(loop_scope="session")
    async def test_an_unreachable_upstream_refuses_tokens(
        self, oidc_settings: AuthSettings, oidc_upstream: UpstreamIdP
    ) -> None:
        settings = oidc_settings.model_copy(update={"auth_upstream_jwks_url": "http://127.0.0.1:9/jwks"})
        async with httpx.AsyncClient(timeout=2.0) as http:
            issuer = UpstreamIssuer(settings, http)
            with pytest.raises(UpstreamTokenInvalid):
                await issuer.verify(oidc_upstream.token(audience=STS_AUDIENCE))
