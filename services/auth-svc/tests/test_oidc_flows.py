"""The authorization code flow with PKCE, refresh rotation, revocation, introspection and userinfo,
driven by a third-party OIDC client library (authlib) against auth-svc in process."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken
from oidc_fixtures import (
    BASE_URL,
    REDIRECT_URI,
    PublicClientMaker,
    TestUser,
    UserMaker,
    query_of,
    submit_login,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.settings import AuthSettings
from auth_svc.tokens.models import AuthorizationCode, RefreshToken, RevokedToken, TokenFamily

pytest_plugins = ["auth_fixtures", "oidc_fixtures"]

AUTHORIZE_URL = f"{BASE_URL}/authorize"
TOKEN_URL = f"{BASE_URL}/token"
SCOPE = "openid profile email offline_access catalog:read"


def oauth_client(transport: httpx.ASGITransport, client_id: str, **kwargs: Any) -> AsyncOAuth2Client:
    options: dict[str, Any] = {"token_endpoint_auth_method": "none", **kwargs}
    return AsyncOAuth2Client(
        client_id=client_id,
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        transport=transport,
        base_url=BASE_URL,
        **options,
    )


async def authorize(
    browser: httpx.AsyncClient, client: AsyncOAuth2Client, user: TestUser | None, **params: str
) -> tuple[str, str, str]:
    """Run the front channel: (redirect location, code verifier, nonce); logs in when a user is given."""
    verifier, nonce = generate_token(48), generate_token(20)
    url, _state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier, nonce=nonce, **params)
    response = await browser.get(url)
    if user is not None:
        assert response.status_code == 200, response.text
        assert "统一身份认证" in response.text
        assert "Sign in" in response.text
        response = await submit_login(browser, response, user)
        assert response.status_code == 303, response.text
    else:
        assert response.status_code == 302, response.text
    return response.headers["location"], verifier, nonce


async def id_token_claims(
    http: httpx.AsyncClient, id_token: str, client_id: str, settings: AuthSettings, nonce: str
) -> Any:
    jwks = JsonWebKey.import_key_set((await http.get("/.well-known/jwks.json")).json())
    claims = JsonWebToken(["RS256"]).decode(
        id_token,
        jwks,
        claims_options={
            "iss": {"essential": True, "value": settings.auth_issuer},
            "aud": {"essential": True, "value": client_id},
            "nonce": {"essential": True, "value": nonce},
            "sub": {"essential": True},
            "auth_time": {"essential": True},
        },
    )
    claims.validate()
    return claims


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestCodeFlow:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_login_code_pkce_tokens_and_userinfo(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        oidc_settings: AuthSettings,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user = await oidc_create_user()
        client_id = await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)

        location, verifier, nonce = await authorize(oidc_browser, client, user, state="s-123")

        assert location.startswith(REDIRECT_URI + "?")
        assert query_of(location)["state"] == "s-123"
        assert query_of(location)["iss"] == oidc_settings.auth_issuer
        cookie = oidc_browser.cookies.get("sso_session")
        assert cookie
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        assert token["token_type"].lower() == "bearer"
        assert set(token["scope"].split()) == set(SCOPE.split())
        assert token["refresh_token"]
        claims = await id_token_claims(oidc_http, token["id_token"], client_id, oidc_settings, nonce)
        assert claims["sub"] == str(user.id)
        assert claims["sid"]
        assert claims["at_hash"]
        assert claims["preferred_username"] == user.username
        access = jwt.decode(token["access_token"], options={"verify_signature": False})
        assert access["sub"] == str(user.id)
        assert access["client_id"] == client_id
        assert access["region_code"] == "620423"
        assert access["roles"] == ["inspector"]
        assert access["sid"] == claims["sid"]
        info = await client.get("/userinfo")
        assert info.status_code == 200, info.text
        assert info.json()["sub"] == str(user.id)
        assert info.json()["email"] == f"{user.username}@example.gov.cn"
        assert info.json()["name"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_sets_a_secure_httponly_lax_cookie(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
        page = await oidc_browser.get(url)

        response = await submit_login(oidc_browser, page, user)

        header = next(v for v in response.headers.get_list("set-cookie") if v.startswith("sso_session="))
        attributes = {part.strip().lower() for part in header.split(";")}
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes

    @pytest.mark.asyncio(loop_scope="session")
    async def test_confidential_client_with_pkce_and_basic_auth(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        secret = secrets.token_urlsafe(32)
        user = await oidc_create_user()
        client_id = await oidc_create_client(secret=secret)
        client = oauth_client(
            oidc_transport, client_id, client_secret=secret, token_endpoint_auth_method="client_secret_basic"
        )

        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        assert token["access_token"]
        assert token["id_token"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_confidential_client_without_secret_is_invalid_client(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user = await oidc_create_user()
        client_id = await oidc_create_client(secret=secrets.token_urlsafe(32))
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)

        with pytest.raises(AuthlibOAuthError) as error:
            await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        assert error.value.error == "invalid_client"


class TestCodeAttacks:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_reused_code_is_refused_and_revokes_its_tokens(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        replay = await oidc_http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": query_of(location)["code"],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": client_id,
            },
        )

        assert replay.status_code == 400, replay.text
        assert replay.json()["error"] == "invalid_grant"
        assert "access_token" not in replay.json()
        introspection = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert introspection.json() == {"active": False}
        refresh = await oidc_http.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": client_id},
        )
        assert refresh.status_code == 400, refresh.text
        assert refresh.json()["error"] == "invalid_grant"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_wrong_pkce_verifier_is_refused_and_changes_nothing(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        families = await count(auth_sessionmaker, TokenFamily)

        with pytest.raises(AuthlibOAuthError) as error:
            await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=generate_token(48))
        missing = await oidc_http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": query_of(location)["code"],
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
            },
        )

        assert error.value.error == "invalid_grant"
        assert missing.json()["error"] == "invalid_grant"
        assert await count(auth_sessionmaker, TokenFamily) == families
        # The code is still good for the client that holds the right verifier.
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        assert token["access_token"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_code_is_bound_to_client_and_redirect_uri(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id, other_id = await oidc_create_user(), await oidc_create_client(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        code = query_of(location)["code"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }

        other_client = await oidc_http.post("/token", data={**form, "client_id": other_id})
        other_redirect = await oidc_http.post(
            "/token", data={**form, "client_id": client_id, "redirect_uri": f"{REDIRECT_URI}/{client_id}"}
        )

        assert other_client.json()["error"] == "invalid_grant"
        assert other_redirect.json()["error"] == "invalid_grant"
        assert (await oidc_http.post("/token", data={**form, "client_id": client_id})).status_code == 200

    @pytest.mark.asyncio(loop_scope="session")
    async def test_expired_code_is_refused(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        from datetime import timedelta

        from auth_svc.tokens.service import digest
        from svc_runtime.db import utc_now

        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        async with auth_sessionmaker() as session, session.begin():
            row = await session.get(AuthorizationCode, digest(query_of(location)["code"]))
            assert row is not None
            row.expires_at = utc_now() - timedelta(seconds=1)

        with pytest.raises(AuthlibOAuthError) as error:
            await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        assert error.value.error == "invalid_grant"


class TestAuthorizationRequestErrors:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
        self, oidc_browser: httpx.AsyncClient, oidc_create_client: PublicClientMaker
    ) -> None:
        client_id = await oidc_create_client()
        for uri in ("https://evil.example.com/cb", REDIRECT_URI + "/", REDIRECT_URI + "?x=1", REDIRECT_URI.upper()):
            response = await oidc_browser.get(
                "/authorize",
                params={
                    "client_id": client_id,
                    "redirect_uri": uri,
                    "response_type": "code",
                    "code_challenge": "a" * 43,
                    "code_challenge_method": "S256",
                },
            )

            assert response.status_code == 400, uri
            assert "location" not in response.headers
            assert "not registered" in response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_unknown_client_gets_an_error_page(self, oidc_browser: httpx.AsyncClient) -> None:
        response = await oidc_browser.get(
            "/authorize", params={"client_id": "nobody", "redirect_uri": REDIRECT_URI, "response_type": "code"}
        )

        assert response.status_code == 400
        assert "location" not in response.headers

    @pytest.mark.asyncio(loop_scope="session")
    @pytest.mark.parametrize(
        ("params", "error"),
        [
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"response_type": "code id_token"}, "unsupported_response_type"),
            ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
            ({"code_challenge_method": "plain"}, "invalid_request"),
            ({"code_challenge_method": None}, "invalid_request"),
            ({"code_challenge": "short"}, "invalid_request"),
            ({"scope": "openid auth:admin"}, "invalid_scope"),
            ({"prompt": "none login"}, "invalid_request"),
            ({"prompt": "none"}, "login_required"),
        ],
        ids=[
            "token",
            "hybrid",
            "no-pkce-public",
            "plain",
            "method-missing",
            "bad-challenge",
            "scope",
            "prompt",
            "prompt-none",
        ],
    )
    async def test_errors_after_the_redirect_uri_is_known_go_back_to_the_client(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_create_client: PublicClientMaker,
        params: dict[str, str | None],
        error: str,
    ) -> None:
        client_id = await oidc_create_client()
        query: dict[str, str | None] = {
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid",
            "state": "st",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            **params,
        }
        async with httpx.AsyncClient(transport=oidc_transport, base_url=BASE_URL) as fresh_browser:
            response = await fresh_browser.get("/authorize", params={k: v for k, v in query.items() if v is not None})

        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        assert query_of(location)["error"] == error
        assert query_of(location)["state"] == "st"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_repeated_and_oversized_parameters_are_refused(
        self, oidc_browser: httpx.AsyncClient, oidc_create_client: PublicClientMaker
    ) -> None:
        client_id = await oidc_create_client()

        repeated = await oidc_browser.get(
            f"/authorize?client_id={client_id}&client_id={client_id}&redirect_uri={REDIRECT_URI}&response_type=code"
        )
        oversized = await oidc_browser.get(
            "/authorize", params={"client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "x" * 5000}
        )

        assert repeated.status_code == 400
        assert oversized.status_code == 400
        assert "location" not in repeated.headers
        assert "location" not in oversized.headers


class TestLoginPage:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_wrong_password_and_unknown_user_get_the_same_message(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        from oidc_fixtures import TestUser as Person

        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
        page = await oidc_browser.get(url)
        codes = await count(auth_sessionmaker, AuthorizationCode)

        wrong = await submit_login(oidc_browser, page, Person(user.id, user.username, "wrong-password"))
        unknown = await submit_login(oidc_browser, page, Person(user.id, "no-such-user", "wrong-password"))

        assert wrong.status_code == unknown.status_code == 401
        assert "Incorrect user name or password" in wrong.text
        strip = lambda text, name: text.replace(name, "")  # noqa: E731
        assert strip(wrong.text, user.username) == strip(unknown.text, "no-such-user")
        assert "sso_session" not in oidc_browser.cookies
        assert await count(auth_sessionmaker, AuthorizationCode) == codes

    @pytest.mark.asyncio(loop_scope="session")
    async def test_login_without_the_csrf_cookie_is_refused(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48))
        page = await oidc_browser.get(url)

        async with httpx.AsyncClient(transport=oidc_transport, base_url=BASE_URL) as attacker:
            response = await submit_login(attacker, page, user)

        assert response.status_code == 403
        assert "sso_session" not in response.headers.get("set-cookie", "")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_malformed_login_form_is_refused(self, oidc_browser: httpx.AsyncClient) -> None:
        response = await oidc_browser.post(
            "/login", content=b"a=1&a=2", headers={"content-type": "application/x-www-form-urlencoded"}
        )

        assert response.status_code == 400


class TestRefreshTokens:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_rotation_returns_a_new_refresh_token_and_reuse_revokes_the_family(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        first = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        second = await client.refresh_token(TOKEN_URL, refresh_token=first["refresh_token"])
        third = await client.refresh_token(TOKEN_URL, refresh_token=second["refresh_token"])

        assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
        assert third["access_token"] != second["access_token"]
        with pytest.raises(AuthlibOAuthError) as error:
            await client.refresh_token(TOKEN_URL, refresh_token=first["refresh_token"])
        assert error.value.error == "invalid_grant"
        # The reuse revoked the whole family: the newest refresh token and every access token.
        with pytest.raises(AuthlibOAuthError):
            await client.refresh_token(TOKEN_URL, refresh_token=third["refresh_token"])
        for access in (first, second, third):
            response = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": access["access_token"]})
            assert response.json() == {"active": False}

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_refresh_token_of_another_client_is_refused_and_changes_nothing(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id, other = await oidc_create_user(), await oidc_create_client(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        revoked = await count(auth_sessionmaker, RevokedToken)

        response = await oidc_http.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": other}
        )

        assert response.json()["error"] == "invalid_grant"
        assert await count(auth_sessionmaker, RevokedToken) == revoked
        assert (await client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"]))["access_token"]


class TestRevocationAndIntrospection:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_revoked_access_token_is_inactive_and_refused_at_userinfo(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        before = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert before.json()["active"] is True
        assert before.json()["sub"] == str(user.id)
        assert before.json()["client_id"] == client_id

        revoked = await client.revoke_token(
            f"{BASE_URL}/revoke", token=token["access_token"], token_type_hint="access_token"
        )

        assert revoked.status_code == 200
        after = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert after.json() == {"active": False}
        info = await oidc_http.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert info.status_code == 401
        assert 'error="invalid_token"' in info.headers["www-authenticate"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_revoking_a_refresh_token_ends_its_grant(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        response = await client.revoke_token(
            f"{BASE_URL}/revoke", token=token["refresh_token"], token_type_hint="refresh_token"
        )

        assert response.status_code == 200
        with pytest.raises(AuthlibOAuthError):
            await client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
        introspection = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert introspection.json() == {"active": False}

    @pytest.mark.asyncio(loop_scope="session")
    async def test_unknown_tokens_are_answered_200_and_change_nothing(
        self,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        auth_sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        revoked = await count(auth_sessionmaker, RevokedToken)

        for token in ("not-a-token", "a.b.c", secrets.token_urlsafe(32)):
            response = await oidc_http.post("/revoke", auth=auth_bootstrap, data={"token": token})
            assert response.status_code == 200, response.text

        assert await count(auth_sessionmaker, RevokedToken) == revoked

    @pytest.mark.asyncio(loop_scope="session")
    async def test_revoke_and_introspect_require_client_authentication(self, oidc_http: httpx.AsyncClient) -> None:
        revoke = await oidc_http.post("/revoke", data={"token": "x"})
        introspect = await oidc_http.post("/introspect", data={"token": "x"})
        wrong = await oidc_http.post("/introspect", auth=("platform-bootstrap", "wrong" * 8), data={"token": "x"})

        assert revoke.status_code == introspect.status_code == wrong.status_code == 401
        assert introspect.json()["error"] == "invalid_client"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_public_clients_cannot_introspect(
        self, oidc_http: httpx.AsyncClient, oidc_create_client: PublicClientMaker
    ) -> None:
        client_id = await oidc_create_client()

        response = await oidc_http.post("/introspect", data={"token": "x", "client_id": client_id})

        assert response.status_code == 401

    @pytest.mark.asyncio(loop_scope="session")
    async def test_client_credentials_token_introspects_active(
        self, oidc_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        token = (await oidc_http.post("/token", auth=auth_bootstrap, data={"grant_type": "client_credentials"})).json()

        response = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})

        assert response.json()["active"] is True
        assert response.json()["client_id"] == auth_bootstrap[0]
        revoke = await oidc_http.post("/revoke", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert revoke.status_code == 200
        after = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": token["access_token"]})
        assert after.json() == {"active": False}


def _forged_tokens(settings: AuthSettings, real: dict[str, Any], kid: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    base = {**real, "iat": now, "nbf": now, "exp": now + 300}
    headers = {"kid": kid, "typ": "at+jwt"}
    unsigned = jwt.encode(base, None, algorithm="none", headers=headers)  # type: ignore[arg-type]
    return {
        "forged": jwt.encode(base, other_key, algorithm="RS256", headers=headers),
        "expired": jwt.encode(
            {**base, "iat": now - 900, "nbf": now - 900, "exp": now - 600},
            other_key,
            algorithm="RS256",
            headers=headers,
        ),
        "alg-none": unsigned,
        "hs256-with-public-key": jwt.encode(base, "k" * 64, algorithm="HS256", headers=headers),
        "garbage": "eyJhbGciOiJSUzI1NiJ9.not-json.sig",
    }


class TestRefusedTokens:
    """Forged, expired, not-yet-valid, wrong-audience, wrong-issuer and alg=none tokens at /userinfo and /introspect."""

    @pytest.mark.asyncio(loop_scope="session")
    async def test_are_refused_by_userinfo_and_inactive_at_introspection(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        oidc_settings: AuthSettings,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        from auth_svc.keys.models import SigningKey

        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        real = jwt.decode(token["access_token"], options={"verify_signature": False})
        kid = jwt.get_unverified_header(token["access_token"])["kid"]
        # Tokens signed with the real key but wrong in one claim (the key is read from the database).
        async with auth_sessionmaker() as session:
            pem = await session.scalar(select(SigningKey.private_key_pem).where(SigningKey.kid == kid))
        assert pem is not None
        now = int(time.time())
        headers = {"kid": kid, "typ": "at+jwt"}
        signed = {
            "not-yet-valid": {**real, "nbf": now + 600, "iat": now},
            "expired-real-key": {**real, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600},
            "wrong-audience": {**real, "aud": "another-platform"},
            "wrong-issuer": {**real, "iss": "https://evil.example.com"},
        }
        candidates = {
            name: jwt.encode(claims, pem, algorithm="RS256", headers=headers) for name, claims in signed.items()
        }
        candidates["id-token-as-access-token"] = token["id_token"]
        candidates.update(_forged_tokens(oidc_settings, real, kid))
        revoked = await count(auth_sessionmaker, RevokedToken)

        for name, candidate in candidates.items():
            info = await oidc_http.get("/userinfo", headers={"Authorization": f"Bearer {candidate}"})
            introspection = await oidc_http.post("/introspect", auth=auth_bootstrap, data={"token": candidate})

            assert info.status_code == 401, name
            assert 'error="invalid_token"' in info.headers["www-authenticate"], name
            assert introspection.status_code == 200, name
            assert introspection.json() == {"active": False}, name

        assert await count(auth_sessionmaker, RevokedToken) == revoked
        assert (
            await oidc_http.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
        ).status_code == 200

    @pytest.mark.asyncio(loop_scope="session")
    async def test_userinfo_needs_a_bearer_token_of_a_user_with_openid(
        self, oidc_http: httpx.AsyncClient, auth_bootstrap: tuple[str, str]
    ) -> None:
        missing = await oidc_http.get("/userinfo")
        client_token = (
            await oidc_http.post("/token", auth=auth_bootstrap, data={"grant_type": "client_credentials"})
        ).json()
        service = await oidc_http.get("/userinfo", headers={"Authorization": f"Bearer {client_token['access_token']}"})

        assert missing.status_code == 401
        assert service.status_code == 403
        assert 'error="insufficient_scope"' in service.headers["www-authenticate"]


class TestTokenRequestLimits:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_oversized_body_is_413_and_refresh_without_token_is_invalid_request(
        self,
        oidc_http: httpx.AsyncClient,
        oidc_create_client: PublicClientMaker,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        client_id = await oidc_create_client()
        tokens = await count(auth_sessionmaker, RefreshToken)

        oversized = await oidc_http.post(
            "/token", data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": "x" * 2_000_000}
        )
        missing = await oidc_http.post("/token", data={"grant_type": "refresh_token", "client_id": client_id})

        assert oversized.status_code == 413
        assert missing.status_code == 400
        assert missing.json()["error"] == "invalid_request"
        assert await count(auth_sessionmaker, RefreshToken) == tokens
