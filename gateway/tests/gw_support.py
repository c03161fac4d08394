"""Test support: real upstream services (FastAPI on uvicorn, 127.0.0.1) with a real JWKS, and token minting."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.types import ASGIApp

ISSUER = "http://gateway.test/auth"
AUDIENCE = "supervision-platform"
KID = "test-key-1"
BIG_RESPONSE = 3 * 1024 * 1024
# What the shared `auth` fixture's token may do (the proxy tests are not about scopes).
DEFAULT_SCOPE = "catalog:read catalog:write credit:read credit:write risk:read risk:write auth:admin"
UNCOUNTED = {"/readyz", "/openapi.json", "/.well-known/jwks.json"}


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed_port_url() -> str:
    """A URL where nothing listens."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


class ServerThread:
    """A uvicorn server on its own thread and event loop, on a free port of 127.0.0.1."""

    def __init__(self, app: ASGIApp, *, uvloop: bool = False) -> None:
        self.sock = free_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            loop="uvloop" if uvloop else "asyncio",
            http="httptools",
            proxy_headers=False,  # the gateway's own X-Forwarded-* handling is under test, not uvicorn's
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Keys:
    private_pem: bytes
    public_pem: bytes
    jwks: dict[str, Any]
    other_private_pem: bytes

    @classmethod
    def generate(cls) -> Keys:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=KID, use="sig", alg="RS256")
        pem = serialization.PrivateFormat.PKCS8
        return cls(
            private_pem=key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption()),
            public_pem=key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            jwks={"keys": [jwk]},
            other_private_pem=other.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption()),
        )

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-42",
            "client_id": "web-console",
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
            "scope": DEFAULT_SCOPE,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}  # None: leave the claim out

    def token(self, **overrides: Any) -> str:
        return jwt.encode(self.claims(**overrides), self.private_pem, algorithm="RS256", headers={"kid": KID})

    def token_with_header(self, **header: Any) -> str:
        return jwt.encode(self.claims(), self.private_pem, algorithm="RS256", headers={"kid": KID, **header})

    def token_unknown_kid(self) -> str:
        return jwt.encode(self.claims(), self.other_private_pem, algorithm="RS256", headers={"kid": "rotated-away"})

    def token_forged_same_kid(self) -> str:
        return jwt.encode(self.claims(), self.other_private_pem, algorithm="RS256", headers={"kid": KID})

    def token_alg_none(self) -> str:
        return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{_b64(self.claims())}."

    def token_hs256_with_public_key(self) -> str:
        """The classic key-confusion attack: HMAC "signed" with the RSA public key as secret."""
        signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{_b64(self.claims())}"
        mac = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


class Item(BaseModel):
    id: str
    name: str


class ItemList(BaseModel):
    items: list[Item]


@dataclass
class Upstream:
    """One fake service: counts the requests it serves, and can be told it is not ready."""

    name: str
    keys: Keys | None = None  # the auth service serves the JWKS
    hits: int = 0
    ready: bool = True
    last_paths: list[str] = field(default_factory=list)
    app: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI(title=f"{self.name}-svc")
        me = self

        @app.middleware("http")
        async def count(request: Request, call_next: Any) -> Response:
            if request.url.path not in UNCOUNTED:
                me.hits += 1
                me.last_paths.append(request.url.path)
            response: Response = await call_next(request)
            return response

        @app.get("/readyz", include_in_schema=False)
        async def readyz() -> JSONResponse:
            return JSONResponse({"ready": me.ready}, status_code=200 if me.ready else 503)

        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]

        @app.api_route("/v1/echo", methods=methods, include_in_schema=False)
        @app.api_route("/v1/echo/{rest:path}", methods=methods, include_in_schema=False)
        async def echo(request: Request) -> JSONResponse:
            body = await request.body()
            return JSONResponse(
                {
                    "service": me.name,
                    "method": request.method,
                    "path": request.url.path,
                    "raw_path": request.scope["raw_path"].decode("latin-1"),
                    "query": request.scope["query_string"].decode("latin-1"),
                    "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]],
                    "body_len": len(body),
                    "body_sha256": hashlib.sha256(body).hexdigest(),
                }
            )

        @app.get("/v1/items", response_model=ItemList, tags=["items"])
        async def list_items() -> ItemList:
            return ItemList(items=[Item(id="1", name="first")])

        @app.get("/v1/items/{item_id}", response_model=Item, tags=["items"])
        async def get_item(item_id: str) -> Item:
            return Item(id=item_id, name="an item")

        @app.get("/v1/slow")
        async def slow() -> dict[str, str]:
            await asyncio.sleep(3)
            return {"status": "late"}

        @app.get("/v1/big")
        async def big() -> StreamingResponse:
            async def chunks() -> AsyncIterator[bytes]:
                block = bytes(range(256)) * 256  # 64 KiB
                for _ in range(BIG_RESPONSE // len(block)):
                    yield block

            return StreamingResponse(chunks(), media_type="application/octet-stream")

        @app.get("/v1/cookies")
        async def cookies() -> Response:
            response = Response(b"ok", media_type="text/plain")
            response.set_cookie("a", "1")
            response.set_cookie("b", "2")
            return response

        if self.keys is not None:
            keys = self.keys

            @app.get("/.well-known/jwks.json")
            async def jwks() -> dict[str, Any]:
                return keys.jwks

            @app.get("/.well-known/openid-configuration")
            async def discovery() -> dict[str, Any]:
                return {
                    "issuer": ISSUER,
                    "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
                    "token_endpoint": f"{ISSUER}/token",
                }

            @app.post("/token")
            async def token(request: Request) -> dict[str, Any]:
                form = parse_qs((await request.body()).decode())
                subject = form.get("client_id", ["x"])[0]
                return {"access_token": keys.token(sub=subject), "token_type": "Bearer"}

        return app
