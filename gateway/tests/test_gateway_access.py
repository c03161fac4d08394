"""Per-route scopes (403 vs 200, platform administrators) and CORS for the web console."""

from __future__ import annotations

import httpx
import pytest

from conftest import WEB_ORIGIN, Suite

pytestmark = pytest.mark.asyncio(loop_scope="session")

ECHO = "/api/catalog/v1/echo"


def _bearer(suite: Suite, **claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.keys.token(**claims)}"}


class TestScopes:
    async def test_read_scope_reads_but_does_not_write(self, client: httpx.AsyncClient, suite: Suite) -> None:
        headers = _bearer(suite, scope="catalog:read")
        catalog = suite.upstreams["catalog"]
        assert (await client.get(ECHO, headers=headers)).status_code == 200
        before = catalog.hits
        head = await client.head(ECHO, headers=headers)
        assert head.status_code == 405  # the service's answer (echo has no HEAD): the gateway let it through
        assert catalog.hits == before + 1
        before = catalog.hits
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = await client.request(method, ECHO, headers=headers)
            assert response.status_code == 403, (method, response.text)
        assert catalog.hits == before, "a refused request must not reach the service"
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["status"] == 403
        assert problem["required_scope"] == "catalog:write"
        assert "catalog:write" in problem["detail"]
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]

    async def test_write_scope_writes(self, client: httpx.AsyncClient, suite: Suite) -> None:
        response = await client.post(ECHO, headers=_bearer(suite, scope="catalog:write"), json={"a": 1})
        assert response.status_code == 200, response.text

    async def test_scope_of_another_service_does_not_count(self, client: httpx.AsyncClient, suite: Suite) -> None:
        headers = _bearer(suite, scope="credit:read credit:write")
        assert (await client.get(ECHO, headers=headers)).status_code == 403
        assert (await client.get("/api/credit/v1/echo", headers=headers)).status_code == 200
        assert (await client.get(ECHO, headers=_bearer(suite, scope="catalog:readx"))).status_code == 403

    async def test_no_scope_at_all_is_refused(self, client: httpx.AsyncClient, suite: Suite) -> None:
        assert (await client.get(ECHO, headers=_bearer(suite, scope=""))).status_code == 403
        assert (await client.get(ECHO, headers=_bearer(suite, scope=["catalog:read"]))).status_code == 403

    async def test_platform_admin_passes_without_scopes(self, client: httpx.AsyncClient, suite: Suite) -> None:
        admin = _bearer(suite, scope="", roles=["platform_admin"])
        assert (await client.get(ECHO, headers=admin)).status_code == 200
        assert (await client.delete("/api/credit/v1/echo/x", headers=admin)).status_code == 200
        other_role = _bearer(suite, scope="", roles=["department_admin", "inspector"])
        assert (await client.get(ECHO, headers=other_role)).status_code == 403

    async def test_identity_administration_needs_auth_admin(self, client: httpx.AsyncClient, suite: Suite) -> None:
        assert (await client.get("/api/auth/v1/echo", headers=_bearer(suite, scope="catalog:read"))).status_code == 403
        assert (await client.get("/api/auth/v1/echo", headers=_bearer(suite, scope="auth:admin"))).status_code == 200

    async def test_public_routes_need_neither_token_nor_scope(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/auth/.well-known/jwks.json")).status_code == 200


class TestCors:
    async def test_preflight_is_answered_without_the_service(self, client: httpx.AsyncClient, suite: Suite) -> None:
        catalog = suite.upstreams["catalog"]
        before = catalog.hits
        response = await client.options(
            ECHO,
            headers={
                "Origin": WEB_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type, X-Request-ID",
            },
        )
        assert response.status_code == 204, response.text
        assert catalog.hits == before
        h = response.headers
        assert h["access-control-allow-origin"] == WEB_ORIGIN
        assert h["access-control-allow-credentials"] == "true"
        assert "POST" in h["access-control-allow-methods"]
        assert h["access-control-allow-headers"] == "authorization, content-type, x-request-id"
        assert int(h["access-control-max-age"]) > 0
        assert "Origin" in h["vary"]
        assert h["x-request-id"]

    async def test_actual_request_gets_cors_headers(self, client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        response = await client.get(ECHO, headers={**auth, "Origin": WEB_ORIGIN})
        assert response.status_code == 200
        h = response.headers
        assert h["access-control-allow-origin"] == WEB_ORIGIN
        assert h["access-control-allow-credentials"] == "true"
        exposed = h["access-control-expose-headers"]
        assert "x-request-id" in exposed
        assert "retry-after" in exposed
        assert "ratelimit-remaining" in exposed
        assert "Origin" in h.get_list("vary")

    async def test_errors_carry_cors_headers_too(self, client: httpx.AsyncClient) -> None:
        response = await client.get(ECHO, headers={"Origin": WEB_ORIGIN})
        assert response.status_code == 401
        assert response.headers["access-control-allow-origin"] == WEB_ORIGIN  # so the console can read the 401

    async def test_disallowed_origin(self, client: httpx.AsyncClient, auth: dict[str, str], suite: Suite) -> None:
        for origin in ("https://evil.example", "https://console.example.gov.cn.evil.example", "null"):
            preflight = await client.options(ECHO, headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
            assert preflight.status_code == 403, origin
            assert "access-control-allow-origin" not in preflight.headers
            assert preflight.headers["content-type"] == "application/problem+json"
            actual = await client.get(ECHO, headers={**auth, "Origin": origin})
            assert actual.status_code == 200  # served, but without CORS headers the browser hides it
            assert "access-control-allow-origin" not in actual.headers
            assert "access-control-allow-credentials" not in actual.headers
            assert "Origin" in actual.headers["vary"]

    async def test_preflight_refuses_unlisted_method_or_header(self, client: httpx.AsyncClient) -> None:
        method = await client.options(ECHO, headers={"Origin": WEB_ORIGIN, "Access-Control-Request-Method": "TRACE"})
        assert method.status_code == 403
        header = await client.options(
            ECHO,
            headers={
                "Origin": WEB_ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-admin-override",
            },
        )
        assert header.status_code == 403
        assert "x-admin-override" in header.json()["detail"]

    async def test_plain_options_without_preflight_headers_is_proxied(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        assert (await client.options(ECHO, headers={"Origin": WEB_ORIGIN})).status_code == 401  # needs a token
