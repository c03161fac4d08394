"""OIDC discovery, JWKS and the client-credentials token endpoint, against a real database."""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import pytest
from auth_helpers import ClientMaker, get_token
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.clients.models import OAuthClient
from auth_svc.keys.models import SigningKey
from auth_svc.scopes import SUPPORTED_SCOPES
from auth_svc.settings import AuthSettings
from svc_runtime.auth import Principal, TokenVerifier

JWKS_URL = "http://test/.well-known/jwks.json"

pytest_plugins = ["auth_fixtures"]


def verifier_for(auth_http: httpx.AsyncClient, settings: AuthSettings) -> TokenVerifier:
    return TokenVerifier(
        jwks_url=JWKS_URL, issuer=settings.auth_issuer, audience=settings.auth_audience, http=auth_http
    )


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"


class TestDiscovery:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_advertises_issuer_endpoints_and_capabilities(
        self, auth_http: httpx.AsyncClient, auth_settings: AuthSettings
    ) -> None:
        response = await auth_http.get("/.well-known/openid-configuration")

        assert response.status_code == 200, response.text
        doc = response.json()
        issuer = auth_settings.auth_issuer
        assert doc["issuer"] == issuer
        assert doc["token_endpoint"] == f"{issuer}/token"
        assert doc["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        assert doc["authorization_endpoint"] == f"{issuer}/authorize"
        assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
        assert doc["revocation_endpoint"] == f"{issuer}/revoke"
        assert doc["introspection_endpoint"] == f"{issuer}/introspect"
        assert doc["end_session_endpoint"] == f"{issuer}/logout"
        assert doc["grant_types_supported"] == [
            "authorization_code",
            "client_credentials",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ]
        assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]
        assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
        assert doc["response_types_supported"] == ["code"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["subject_types_supported"] == ["public"]
        assert set(doc["scopes_supported"]) == {"openid", "profile", "email", "offline_access", *SUPPORTED_SCOPES}
        assert {"sub", "nonce", "auth_time", "sid", "roles", "region_code"} <= set(doc["claims_supported"])
        assert "max-age" in response.headers["cache-control"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_is_served_at_the_root_not_under_the_api_prefix(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.get("/v1/.well-known/openid-configuration")

        assert response.status_code == 404


class TestJwks:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_publishes_public_rsa_keys_only(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.get("/.well-known/jwks.json")

        assert response.status_code == 200, response.text
        assert response.headers["cache-control"].startswith("public, max-age=")
        keys = response.json()["keys"]
        assert keys
        for key in keys:
            assert key["kty"] == "RSA"
            assert key["use"] == "sig"
            assert key["alg"] == "RS256"
            assert key["kid"]
            assert set(key) == {"kty", "kid", "use", "alg", "n", "e"}
            public = jwt.PyJWK(key).key
            assert public.key_size == 2048

    @pytest.mark.asyncio(loop_scope="session")
    async def test_first_key_is_the_active_one(
        self, auth_http: httpx.AsyncClient, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await auth_http.get("/.well-known/jwks.json")

        async with auth_sessionmaker() as session:
            active = await session.scalar(select(SigningKey).where(SigningKey.active.is_(True)))
        assert active is not None
        assert response.json()["keys"][0]["kid"] == active.kid


class TestClientCredentials:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_issues_a_verifiable_token_with_basic_auth(
        self, auth_http: httpx.AsyncClient, auth_settings: AuthSettings, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post("/token", auth=auth_bootstrap, data={"grant_type": "client_credentials"})

        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == auth_settings.auth_access_token_ttl_s
        assert body["scope"].split() == list(SUPPORTED_SCOPES)
        claims = await verifier_for(auth_http, auth_settings).verify(body["access_token"])
        assert claims["iss"] == auth_settings.auth_issuer
        assert claims["aud"] == auth_settings.auth_audience
        assert claims["sub"] == claims["client_id"] == auth_bootstrap[0]
        assert claims["roles"] == ["platform_admin"]
        assert claims["exp"] - claims["iat"] == auth_settings.auth_access_token_ttl_s
        assert claims["nbf"] == claims["iat"]
        assert claims["jti"]
        assert "region_code" not in claims
        principal = Principal.from_claims(claims)
        assert "platform_admin" in principal.roles
        assert principal.scopes == frozenset(SUPPORTED_SCOPES)

    @pytest.mark.asyncio(loop_scope="session")
    async def test_issues_a_token_with_client_secret_post(
        self, auth_http: httpx.AsyncClient, auth_settings: AuthSettings, auth_bootstrap: tuple[str, str]
    ) -> None:
        client_id, secret = auth_bootstrap
        response = await auth_http.post(
            "/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )

        assert response.status_code == 200, response.text
        claims = await verifier_for(auth_http, auth_settings).verify(response.json()["access_token"])
        assert claims["sub"] == client_id

    @pytest.mark.asyncio(loop_scope="session")
    async def test_basic_credentials_are_form_decoded(
        self, auth_http: httpx.AsyncClient, create_auth_client: ClientMaker
    ) -> None:
        client_id, secret = await create_auth_client()
        raw = f"{client_id}:{secret}".replace("-", "%2D").encode()
        header = "Basic " + base64.b64encode(raw).decode()

        response = await auth_http.post(
            "/token", headers={"Authorization": header}, data={"grant_type": "client_credentials"}
        )

        assert response.status_code == 200, response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_grants_a_requested_subset_of_scopes(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post(
            "/token", auth=auth_bootstrap, data={"grant_type": "client_credentials", "scope": "risk:read catalog:read"}
        )

        assert response.status_code == 200, response.text
        assert response.json()["scope"] == "risk:read catalog:read"
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["scope"] == "risk:read catalog:read"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_carries_the_clients_data_scope(
        self, auth_http: httpx.AsyncClient, auth_settings: AuthSettings, create_auth_client: ClientMaker
    ) -> None:
        auth = await create_auth_client(roles=["inspector"], region_code="330106", department_id="dept-42")

        token = await get_token(auth_http, auth)

        claims = await verifier_for(auth_http, auth_settings).verify(token)
        assert claims["region_code"] == "330106"
        assert claims["department_id"] == "dept-42"
        assert claims["roles"] == ["inspector"]
        assert claims["scope"] == "catalog:read catalog:write"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_header_names_the_signing_key(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        token = await get_token(auth_http, auth_bootstrap)

        header = jwt.get_unverified_header(token)
        kids = [key["kid"] for key in (await auth_http.get("/.well-known/jwks.json")).json()["keys"]]
        assert header["alg"] == "RS256"
        assert header["kid"] == kids[0]


class TestClientAuthenticationFailures:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_wrong_secret_is_invalid_client_and_changes_nothing(
        self,
        auth_http: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        auth_bootstrap: tuple[str, str],
    ) -> None:
        client_id, secret = auth_bootstrap

        async def snapshot() -> tuple[object, ...]:
            async with auth_sessionmaker() as session:
                row = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
                keys = (await session.scalars(select(SigningKey.kid).order_by(SigningKey.kid))).all()
            assert row is not None
            return row.secret_hash, row.modified_at, row.is_active, tuple(keys)

        before = await snapshot()

        response = await auth_http.post(
            "/token", auth=(client_id, secret + "x"), data={"grant_type": "client_credentials"}
        )

        assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic ")
        assert "access_token" not in response.json()
        assert await snapshot() == before
        await get_token(auth_http, auth_bootstrap)

    @pytest.mark.asyncio(loop_scope="session")
    async def test_wrong_secret_by_post_is_invalid_client(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post(
            "/token",
            data={"grant_type": "client_credentials", "client_id": auth_bootstrap[0], "client_secret": "nope"},
        )

        assert_oauth_error(response, 401, "invalid_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_unknown_client_is_invalid_client(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.post(
            "/token", auth=("no-such-client", "x" * 40), data={"grant_type": "client_credentials"}
        )

        assert_oauth_error(response, 401, "invalid_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_missing_credentials_are_invalid_client(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.post("/token", data={"grant_type": "client_credentials"})

        assert_oauth_error(response, 401, "invalid_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_client_id_without_secret_is_invalid_client(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post(
            "/token", data={"grant_type": "client_credentials", "client_id": auth_bootstrap[0]}
        )

        assert_oauth_error(response, 401, "invalid_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_disabled_client_is_invalid_client(
        self, auth_http: httpx.AsyncClient, create_auth_client: ClientMaker
    ) -> None:
        auth = await create_auth_client(is_active=False)

        response = await auth_http.post("/token", auth=auth, data={"grant_type": "client_credentials"})

        assert_oauth_error(response, 401, "invalid_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_malformed_basic_header_is_invalid_client(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.post(
            "/token", headers={"Authorization": "Basic %%%not-base64"}, data={"grant_type": "client_credentials"}
        )

        assert_oauth_error(response, 401, "invalid_client")


class TestTokenRequestErrors:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_unknown_grant_is_unsupported_grant_type(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post("/token", auth=auth_bootstrap, data={"grant_type": "password"})

        assert_oauth_error(response, 400, "unsupported_grant_type")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_missing_grant_type_is_invalid_request(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post("/token", auth=auth_bootstrap, data={"scope": "risk:read"})

        assert_oauth_error(response, 400, "invalid_request")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_scope_outside_the_clients_scopes_is_invalid_scope(
        self, auth_http: httpx.AsyncClient, create_auth_client: ClientMaker
    ) -> None:
        auth = await create_auth_client(scopes=["catalog:read"])

        response = await auth_http.post(
            "/token", auth=auth, data={"grant_type": "client_credentials", "scope": "catalog:read risk:write"}
        )

        assert_oauth_error(response, 400, "invalid_scope")
        assert "risk:write" in response.json()["error_description"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_malformed_scope_is_invalid_scope(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post(
            "/token", auth=auth_bootstrap, data={"grant_type": "client_credentials", "scope": 'risk:read "x"'}
        )

        assert_oauth_error(response, 400, "invalid_scope")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_client_without_the_grant_is_unauthorized_client(
        self, auth_http: httpx.AsyncClient, create_auth_client: ClientMaker
    ) -> None:
        auth = await create_auth_client(grant_types=["authorization_code"])

        response = await auth_http.post("/token", auth=auth, data={"grant_type": "client_credentials"})

        assert_oauth_error(response, 400, "unauthorized_client")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_json_body_is_invalid_request(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post("/token", auth=auth_bootstrap, json={"grant_type": "client_credentials"})

        assert_oauth_error(response, 400, "invalid_request")

    @pytest.mark.asyncio(loop_scope="session")
    @pytest.mark.parametrize(
        "body",
        [
            b"grant_type=client_credentials&grant_type=client_credentials",
            b"grant_type=client_credentials&\xff\xfe=1",
            b"grant_type",
            b"&&&",
            json.dumps({"grant_type": "client_credentials"}).encode(),
        ],
        ids=["repeated", "not-utf8", "no-equals", "empty-pairs", "json-as-form"],
    )
    async def test_malformed_form_is_a_client_error(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str], body: bytes
    ) -> None:
        response = await auth_http.post(
            "/token",
            auth=auth_bootstrap,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

        assert 400 <= response.status_code < 500, response.text
        assert response.json()["error"] in {"invalid_request", "unsupported_grant_type"}

    @pytest.mark.asyncio(loop_scope="session")
    async def test_basic_and_form_secret_together_is_invalid_request(
        self, auth_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        response = await auth_http.post(
            "/token",
            auth=auth_bootstrap,
            data={
                "grant_type": "client_credentials",
                "client_id": auth_bootstrap[0],
                "client_secret": auth_bootstrap[1],
            },
        )

        assert_oauth_error(response, 400, "invalid_request")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_get_is_not_allowed(self, auth_http: httpx.AsyncClient) -> None:
        response = await auth_http.get("/token")

        assert response.status_code == 405
