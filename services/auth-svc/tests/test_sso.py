"""Single sign-on: one login serves every client until the session is ended (logout), expires or is revoked."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from oidc_fixtures import BASE_URL, POST_LOGOUT_URI, PublicClientMaker, UserMaker, query_of
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_oidc_flows import AUTHORIZE_URL, TOKEN_URL, authorize, oauth_client

from auth_svc.sessions.models import SsoSession
from auth_svc.tokens.service import digest
from svc_runtime.db import utc_now

pytest_plugins = ["auth_fixtures", "oidc_fixtures"]


async def bare_authorize(
    browser: httpx.AsyncClient, transport: httpx.ASGITransport, client_id: str, **params: str
) -> httpx.Response:
    client = oauth_client(transport, client_id)
    url, _ = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(48), **params)
    return await browser.get(url)


class TestSingleSignOn:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_second_client_gets_a_code_without_the_login_page(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user = await oidc_create_user()
        web_console, mobile_app = await oidc_create_client(), await oidc_create_client()
        web = oauth_client(oidc_transport, web_console)
        location, verifier, _ = await authorize(oidc_browser, web, user)
        web_token = await web.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        mobile = oauth_client(oidc_transport, mobile_app)
        location, verifier, nonce = await authorize(oidc_browser, mobile, None)
        mobile_token = await mobile.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        assert mobile_token["access_token"]
        web_info = (await web.get("/userinfo")).json()
        mobile_info = (await mobile.get("/userinfo")).json()
        assert web_info["sub"] == mobile_info["sub"] == str(user.id)
        import jwt

        web_id = jwt.decode(web_token["id_token"], options={"verify_signature": False})
        mobile_id = jwt.decode(mobile_token["id_token"], options={"verify_signature": False})
        assert web_id["sid"] == mobile_id["sid"]
        assert web_id["auth_time"] == mobile_id["auth_time"]
        assert mobile_id["nonce"] == nonce

    @pytest.mark.asyncio(loop_scope="session")
    async def test_prompt_login_shows_the_login_page_within_a_session(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        await authorize(oidc_browser, oauth_client(oidc_transport, client_id), user)

        forced = await bare_authorize(oidc_browser, oidc_transport, client_id, prompt="login")
        silent = await bare_authorize(oidc_browser, oidc_transport, client_id, prompt="none")

        assert forced.status_code == 200
        assert "password" in forced.text
        assert silent.status_code == 302
        assert "code" in query_of(silent.headers["location"])

    @pytest.mark.asyncio(loop_scope="session")
    async def test_logout_ends_the_session_for_every_client(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        auth_bootstrap: tuple[str, str],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, first, second = await oidc_create_user(), await oidc_create_client(), await oidc_create_client()
        web = oauth_client(oidc_transport, first)
        location, verifier, _ = await authorize(oidc_browser, web, user)
        web_token = await web.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        mobile = oauth_client(oidc_transport, second)
        location, verifier, _ = await authorize(oidc_browser, mobile, None)
        mobile_token = await mobile.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        response = await oidc_browser.get(
            "/logout",
            params={
                "id_token_hint": web_token["id_token"],
                "post_logout_redirect_uri": POST_LOGOUT_URI,
                "state": "bye",
            },
        )

        assert response.status_code == 302, response.text
        assert response.headers["location"] == f"{POST_LOGOUT_URI}?state=bye"
        assert "sso_session" not in oidc_browser.cookies
        # Both clients' refresh tokens and access tokens are revoked.
        for client, token in ((web, web_token), (mobile, mobile_token)):
            with pytest.raises(AuthlibOAuthError):
                await client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
            introspection = await oidc_http.post(
                "/introspect", auth=auth_bootstrap, data={"token": token["access_token"]}
            )
            assert introspection.json() == {"active": False}
        # The next authorization shows the login page again, and prompt=none says so.
        again = await bare_authorize(oidc_browser, oidc_transport, second)
        assert again.status_code == 200
        assert "password" in again.text
        silent = await bare_authorize(oidc_browser, oidc_transport, second, prompt="none")
        assert query_of(silent.headers["location"])["error"] == "login_required"

    @pytest.mark.asyncio(loop_scope="session")
    async def test_an_old_cookie_replayed_after_logout_does_not_sign_in(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        await authorize(oidc_browser, oauth_client(oidc_transport, client_id), user)
        stolen = oidc_browser.cookies["sso_session"]
        assert (await oidc_browser.get("/logout")).status_code == 200

        async with httpx.AsyncClient(
            transport=oidc_transport, base_url=BASE_URL, cookies={"sso_session": stolen}
        ) as thief:
            response = await bare_authorize(thief, oidc_transport, client_id)

        assert response.status_code == 200
        assert "password" in response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_an_expired_or_revoked_session_requires_a_new_login(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        await authorize(oidc_browser, oauth_client(oidc_transport, client_id), user)
        secret_hash = digest(oidc_browser.cookies["sso_session"])
        async with auth_sessionmaker() as session, session.begin():
            sso = await session.scalar(select(SsoSession).where(SsoSession.secret_hash == secret_hash))
            assert sso is not None
            sso.expires_at = utc_now() - timedelta(seconds=1)

        response = await bare_authorize(oidc_browser, oidc_transport, client_id)

        assert response.status_code == 200
        assert "password" in response.text

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_disabled_user_loses_single_sign_on(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        auth_sessionmaker: async_sessionmaker[AsyncSession],
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        from auth_svc.users.models import User

        user, client_id = await oidc_create_user(), await oidc_create_client()
        await authorize(oidc_browser, oauth_client(oidc_transport, client_id), user)
        async with auth_sessionmaker() as session, session.begin():
            row = await session.get(User, user.id)
            assert row is not None
            row.status = "disabled"

        response = await bare_authorize(oidc_browser, oidc_transport, client_id)

        assert response.status_code == 200


class TestLogoutRequests:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_unregistered_post_logout_redirect_is_refused_and_keeps_the_session(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        evil = await oidc_browser.get(
            "/logout",
            params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://evil.example.com/"},
        )
        no_client = await oidc_browser.get("/logout", params={"post_logout_redirect_uri": POST_LOGOUT_URI})
        forged = await oidc_browser.get("/logout", params={"id_token_hint": token["id_token"][:-4] + "AAAA"})

        for response in (evil, no_client, forged):
            assert response.status_code == 400
            assert "location" not in response.headers
        silent = await bare_authorize(oidc_browser, oidc_transport, client_id, prompt="none")
        assert "code" in query_of(silent.headers["location"])
        assert (await client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"]))["access_token"]

    @pytest.mark.asyncio(loop_scope="session")
    async def test_logout_by_id_token_hint_alone_ends_that_session(
        self,
        oidc_transport: httpx.ASGITransport,
        oidc_browser: httpx.AsyncClient,
        oidc_http: httpx.AsyncClient,
        oidc_create_user: UserMaker,
        oidc_create_client: PublicClientMaker,
    ) -> None:
        user, client_id = await oidc_create_user(), await oidc_create_client()
        client = oauth_client(oidc_transport, client_id)
        location, verifier, _ = await authorize(oidc_browser, client, user)
        token = await client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)

        # A mobile app's system browser may not share cookies: the ID token says which session to end.
        response = await oidc_http.post("/logout", data={"id_token_hint": token["id_token"]})

        assert response.status_code == 200
        with pytest.raises(AuthlibOAuthError):
            await client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
        silent = await bare_authorize(oidc_browser, oidc_transport, client_id, prompt="none")
        assert query_of(silent.headers["location"])["error"] == "login_required"
