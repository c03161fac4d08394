"""The token check happens in the gateway, before any service is called."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from gw_support import AUDIENCE, ISSUER, KID

from conftest import Suite
from gateway.tokens import GatewayTokenVerifier
from svc_runtime.auth import TokenVerifier
from svc_runtime.problems import Unauthorized

pytestmark = pytest.mark.asyncio(loop_scope="session")

ECHO = "/api/catalog/v1/echo"


async def test_valid_token_is_forwarded_unchanged(client: httpx.AsyncClient, suite: Suite) -> None:
    token = suite.keys.token()
    response = await client.get(ECHO, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    seen = dict(response.json()["headers"])
    assert seen["authorization"] == f"Bearer {token}"


async def test_valid_variants_are_accepted(client: httpx.AsyncClient, suite: Suite) -> None:
    now = int(time.time())
    for token in (
        suite.keys.token(aud=["another-api", "supervision-platform"]),
        suite.keys.token(nbf=now - 10, iat=now - 10),
        suite.keys.token(iat=now + 2),  # clock skew within the leeway
    ):
        response = await client.get(ECHO, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


# Token cases both verifiers must refuse (string_exp: PyJWT converts it; the gateway insists on a number).
BEARER_CASES = (
    "malformed",
    "expired",
    "not_yet_valid",
    "issued_in_the_future",
    "missing_exp",
    "audience_list_without_ours",
    "missing_sub",
    "critical_extension",
    "wrong_issuer",
    "wrong_audience",
    "alg_none",
    "hs256_with_public_key",
    "unknown_kid",
    "forged_signature",
)


def _bad_tokens(suite: Suite) -> dict[str, dict[str, str]]:
    keys = suite.keys
    bearer = {
        "malformed": "not-a-jwt",
        "expired": keys.token(exp=1_000_000_000, iat=999_999_000),
        "not_yet_valid": keys.token(nbf=int(time.time()) + 300),
        "issued_in_the_future": keys.token(iat=int(time.time()) + 300),
        "missing_exp": keys.token(exp=None),
        "string_exp": keys.token(exp="9999999999"),
        "audience_list_without_ours": keys.token(aud=["someone-else", "another"]),
        "missing_sub": keys.token(sub=None),
        "critical_extension": keys.token_with_header(crit=["exp-ext"], **{"exp-ext": 1}),
        "wrong_issuer": keys.token(iss="http://evil.example/auth"),
        "wrong_audience": keys.token(aud="someone-else"),
        "alg_none": keys.token_alg_none(),
        "hs256_with_public_key": keys.token_hs256_with_public_key(),
        "unknown_kid": keys.token_unknown_kid(),
        "forged_signature": keys.token_forged_same_kid(),
    }
    cases = {name: {"Authorization": f"Bearer {token}"} for name, token in bearer.items()}
    cases["missing"] = {}
    cases["basic_scheme"] = {"Authorization": "Basic dXNlcjpwYXNz"}
    cases["empty_bearer"] = {"Authorization": "Bearer"}
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "basic_scheme",
        "empty_bearer",
        "malformed",
        "expired",
        "not_yet_valid",
        "issued_in_the_future",
        "missing_exp",
        "string_exp",
        "audience_list_without_ours",
        "missing_sub",
        "critical_extension",
        "wrong_issuer",
        "wrong_audience",
        "alg_none",
        "hs256_with_public_key",
        "unknown_kid",
        "forged_signature",
    ],
)
async def test_bad_tokens_are_refused_before_the_service(client: httpx.AsyncClient, suite: Suite, case: str) -> None:
    catalog = suite.upstreams["catalog"]
    before = catalog.hits
    response = await client.post(ECHO, headers=_bad_tokens(suite)[case], json={"x": 1})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    assert catalog.hits == before, "the service must not be called with a bad token"


async def test_public_auth_paths_need_no_token(client: httpx.AsyncClient, suite: Suite) -> None:
    auth = suite.upstreams["auth"]
    discovery = await client.get("/auth/.well-known/openid-configuration")
    assert discovery.status_code == 200
    assert discovery.json()["issuer"].endswith("/auth")
    jwks = await client.get("/auth/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.json()["keys"][0]["kid"] == "test-key-1"
    token = await client.post("/auth/token", data={"grant_type": "client_credentials", "client_id": "agency-1"})
    assert token.status_code == 200
    assert token.json()["token_type"] == "Bearer"
    assert auth.last_paths[-2:] == ["/.well-known/openid-configuration", "/token"]


async def test_auth_api_under_api_prefix_needs_a_token(client: httpx.AsyncClient, suite: Suite) -> None:
    before = suite.upstreams["auth"].hits
    response = await client.get("/api/auth/v1/echo")
    assert response.status_code == 401
    assert suite.upstreams["auth"].hits == before
    ok = await client.get("/api/auth/v1/echo", headers={"Authorization": f"Bearer {suite.keys.token()}"})
    assert ok.status_code == 200
    assert ok.json()["path"] == "/v1/echo"


async def test_lean_verifier_agrees_with_the_runtime_verifier(suite: Suite) -> None:
    """The gateway's own RS256 path refuses what svc_runtime's PyJWT-based verifier refuses."""
    keys = suite.keys
    key = jwt.PyJWK(keys.jwks["keys"][0], algorithm="RS256").key
    verifiers = []
    for cls in (GatewayTokenVerifier, TokenVerifier):
        verifier = cls(jwks_url="http://127.0.0.1:9/unused", issuer=ISSUER, audience=AUDIENCE)
        verifier._keys = {KID: key}
        verifier._last_fetch = float("inf")  # never fetch: unknown kids are unknown
        verifiers.append(verifier)
    cases = _bad_tokens(suite)
    tokens = [v["Authorization"].partition(" ")[2] for k, v in cases.items() if k.startswith(BEARER_CASES)]
    for token in tokens:
        outcomes = []
        for verifier in verifiers:
            try:
                await verifier.verify(token)
                outcomes.append("accepted")
            except Unauthorized:
                outcomes.append("refused")
        assert outcomes == ["refused", "refused"], token
    good = keys.token()
    assert await verifiers[0].verify(good) == await verifiers[1].verify(good)
    assert await verifiers[0].verify_uncached(good) == await verifiers[0].verify(good)
