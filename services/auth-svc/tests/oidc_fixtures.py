"""Fixtures of the OIDC flow tests: auth-svc in process with an upstream issuer configured, users, clients,
a cookie-keeping "browser", and the second (upstream, national) OIDC issuer served over HTTP on 127.0.0.1.

Loaded with `pytest_plugins = ["auth_fixtures", "oidc_fixtures"]`; fixture names start with "oidc".
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from auth_svc import hashing
from auth_svc.clients.models import OAuthClient
from auth_svc.main import create_app
from auth_svc.settings import AuthSettings
from auth_svc.users.models import User
from svc_runtime.testing import random_ref

BASE_URL = "https://test"
REDIRECT_URI = "https://console.example.gov.cn/oidc/callback"
POST_LOGOUT_URI = "https://console.example.gov.cn/signed-out"
USER_SCOPES = ("openid", "profile", "email", "offline_access", "catalog:read", "catalog:write")
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"


class UpstreamIdP:
    """An independent OIDC issuer (the national identity system): its own RSA and EC keys, discovery and JWKS."""

    def __init__(self) -> None:
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_kid, self.ec_kid = uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]
        self._server: ThreadingHTTPServer | None = None
        self.issuer = ""
        self.jwks_url = ""

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        rsa_jwk.update(kid=self.rsa_kid, use="sig", alg="RS256")
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec_key.public_key()))
        ec_jwk.update(kid=self.ec_kid, use="sig", alg="ES256")
        return {"keys": [rsa_jwk, ec_jwk]}

    def start(self) -> None:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": idp.issuer, "jwks_uri": idp.jwks_url}).encode()
                elif self.path == "/jwks":
                    body = json.dumps(idp.jwks()).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.jwks_url = f"{self.issuer}/jwks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def token(
        self,
        *,
        audience: str,
        algorithm: str = "RS256",
        key: Any = None,
        kid: str | None = None,
        issuer: str | None = None,
        ttl_s: int = 300,
        not_before_s: int = 0,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "sub": uuid.uuid4().hex,
            "iat": now,
            "nbf": now + not_before_s,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        if key is None:
            key = self.rsa_key if algorithm == "RS256" else self.ec_key
        if kid is None:
            kid = self.rsa_kid if algorithm == "RS256" else self.ec_kid
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


class _WithState:
    def __init__(self, app: FastAPI, state: dict[str, Any]) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def oidc_upstream() -> Iterator[UpstreamIdP]:
    idp = UpstreamIdP()
    idp.start()
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def oidc_settings(auth_settings: AuthSettings, oidc_upstream: UpstreamIdP) -> AuthSettings:
    """auth-svc's settings plus the upstream issuer (keys found through its discovery document)."""
    return auth_settings.model_copy(
        update={"auth_upstream_issuer": oidc_upstream.issuer, "auth_upstream_audience": "supervision-platform-sts"}
    )


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def oidc_transport(
    oidc_settings: AuthSettings, auth_http: httpx.AsyncClient
) -> AsyncIterator[httpx.ASGITransport]:
    """The ASGI transport of auth-svc in process (the same database as auth_http), for browsers and authlib."""
    app = create_app(oidc_settings)
    async with app.router.lifespan_context(app) as state:
        yield httpx.ASGITransport(app=_WithState(app, dict(state or {})))


@pytest_asyncio.fixture(loop_scope="session")
async def oidc_browser(oidc_transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: keeps cookies (over https, so Secure cookies are sent), never follows redirects."""
    async with httpx.AsyncClient(transport=oidc_transport, base_url=BASE_URL, follow_redirects=False) as browser:
        yield browser


@pytest_asyncio.fixture(loop_scope="session")
async def oidc_http(oidc_transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client without cookies (clients, resource servers, attackers)."""
    async with httpx.AsyncClient(transport=oidc_transport, base_url=BASE_URL) as http:
        yield http


@dataclass(frozen=True)
class TestUser:
    __test__ = False
    id: uuid.UUID
    username: str
    password: str


class UserMaker(Protocol):
    async def __call__(
        self, *, roles: Sequence[str] = ..., certificate_number: str | None = ..., status: str = ...
    ) -> TestUser: ...


class PublicClientMaker(Protocol):
    async def __call__(
        self, *, scopes: Sequence[str] = ..., grant_types: Sequence[str] = ..., secret: str | None = ...
    ) -> str: ...


@pytest.fixture
def oidc_create_user(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> UserMaker:
    async def create(
        *, roles: Sequence[str] = ("inspector",), certificate_number: str | None = None, status: str = "active"
    ) -> TestUser:
        username, password = random_ref("user"), secrets.token_urlsafe(12)
        user_id = uuid.uuid4()
        async with auth_sessionmaker() as session, session.begin():
            session.add(
                User(
                    id=user_id,
                    username=username,
                    display_name=f"检查员 {username}",
                    password_hash=await hashing.hash_password(password),
                    roles=list(roles),
                    status=status,
                    region_code="620423",
                    email=f"{username}@example.gov.cn",
                    failed_logins=0,
                    qualifications=[],
                    certificate_number=certificate_number,
                )
            )
        return TestUser(user_id, username, password)

    return create


@pytest.fixture
def oidc_create_client(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> PublicClientMaker:
    """Register a client for the code flow: public unless a secret is given; returns its id."""

    async def create(
        *,
        scopes: Sequence[str] = USER_SCOPES,
        grant_types: Sequence[str] = ("authorization_code", "refresh_token"),
        secret: str | None = None,
    ) -> str:
        client_id = random_ref("app")
        async with auth_sessionmaker() as session, session.begin():
            session.add(
                OAuthClient(
                    client_id=client_id,
                    name=client_id,
                    secret_hash=await hashing.hash_client_secret(secret) if secret else None,
                    grant_types=list(grant_types),
                    allowed_scopes=list(scopes),
                    roles=[],
                    redirect_uris=[REDIRECT_URI, f"{REDIRECT_URI}/{client_id}"],
                    post_logout_redirect_uris=[POST_LOGOUT_URI],
                )
            )
        return client_id

    return create


_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def hidden_fields(html: str) -> dict[str, str]:
    import html as html_lib

    return {name: html_lib.unescape(value) for name, value in _HIDDEN.findall(html)}


async def submit_login(
    browser: httpx.AsyncClient, login_page: httpx.Response, user: TestUser, **extra: str
) -> httpx.Response:
    """Fill in and post the login form of a rendered login page."""
    assert login_page.status_code in (200, 401), login_page.text
    fields = hidden_fields(login_page.text)
    assert set(fields) == {"csrf_token", "authorization_request"}, login_page.text
    return await browser.post("/login", data={**fields, "username": user.username, "password": user.password, **extra})


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
