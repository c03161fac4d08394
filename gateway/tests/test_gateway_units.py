"""Pure functions: public path matching, trace context, header filtering, OpenAPI merging."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gateway.headers import downstream_headers, upstream_headers, valid_traceparent
from gateway.openapi import merge
from gateway.scopes import ROUTE_SCOPES, required_scope
from gateway.security import PublicPaths
from gateway.settings import GatewaySettings


def test_public_paths() -> None:
    public = PublicPaths(["/auth/*", "/api/complaint/v1/public/*", "/api/catalog/v1/ping"])
    assert public("/auth")
    assert public("/auth/token")
    assert public("/auth/.well-known/jwks.json")
    assert not public("/authx")
    assert public("/api/complaint/v1/public/reports")
    assert not public("/api/complaint/v1/reports")
    assert public("/api/catalog/v1/ping")
    assert not public("/api/catalog/v1/ping/x")


def test_random_check_public_interface_is_open_by_default() -> None:
    settings = GatewaySettings()
    public = PublicPaths(settings.public_paths)
    assert public("/api/random-check/v1/public/results")
    assert public("/api/random-check/v1/public/draws/0b6f2a9e-2f4f-4c53-9d55-6f9a1d3c1e11/verification")
    assert not public("/api/random-check/v1/plans")
    assert not public("/api/random-check/v1/draws/0b6f2a9e-2f4f-4c53-9d55-6f9a1d3c1e11/verify")
    assert settings.body_limit("/api/random-check/v1/evidence") == settings.max_upload_bytes
    assert settings.body_limit("/api/random-check/v1/plans") == settings.max_body_bytes


def test_credit_disclosure_is_open_by_default() -> None:
    public = PublicPaths(GatewaySettings().public_paths)
    assert public("/api/credit/v1/public/credit/91341602MA2N0XRL4C")
    assert public("/api/credit/v1/public/lists/serious_violation")
    assert not public("/api/credit/v1/grades")
    assert not public("/api/credit/v1/records")
    assert not public("/api/credit/v1/publicity")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_URLS", '{"catalog": "http://127.0.0.1:8001/", "auth": "http://127.0.0.1:8008"}')
    monkeypatch.setenv("PUBLIC_PATHS", '["/auth/*", "/api/complaint/v1/public/*"]')
    monkeypatch.setenv("UPSTREAM_TIMEOUT_S", "12.5")
    settings = GatewaySettings()
    assert settings.service_urls == {"catalog": "http://127.0.0.1:8001", "auth": "http://127.0.0.1:8008"}
    assert settings.public_paths == ["/auth/*", "/api/complaint/v1/public/*"]
    assert settings.upstream_timeout_s == 12.5
    assert settings.max_body_bytes == 1_048_576
    assert settings.service_name == "gateway"


def test_traceparent_validation() -> None:
    assert valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert not valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
    assert not valid_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert not valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
    assert valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
    assert not valid_traceparent("garbage")


def test_downstream_headers_drop_hop_by_hop() -> None:
    raw = (
        (b"Content-Type", b"application/json"),
        (b"Connection", b"keep-alive, X-Private"),
        (b"X-Private", b"1"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Server", b"uvicorn"),
    )
    headers, has_length = downstream_headers(raw)
    assert headers == [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]
    assert not has_length


def test_merge_rewrites_every_component_reference() -> None:
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "risk-svc"},
        "paths": {
            "/v1/warnings": {
                "parameters": [{"$ref": "#/components/parameters/Page"}],
                "post": {
                    "operationId": "create",
                    "security": [{"HTTPBearer": []}],
                    "requestBody": {"$ref": "#/components/requestBodies/Warning"},
                    "responses": {"201": {"$ref": "#/components/responses/Created"}},
                },
            }
        },
        "components": {
            "schemas": {
                "Warning": {
                    "oneOf": [{"$ref": "#/components/schemas/A"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"a": "#/components/schemas/A"}},
                },
                "A": {"type": "object"},
            },
            "parameters": {"Page": {"name": "page", "in": "query"}},
            "requestBodies": {"Warning": {"content": {}}},
            "responses": {"Created": {"description": "ok"}},
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    doc = merge({"risk": spec}, public=PublicPaths(["/auth/*"]), auth_service="auth")
    item = doc["paths"]["/api/risk/v1/warnings"]
    assert item["parameters"] == [{"$ref": "#/components/parameters/risk__Page"}]
    op = item["post"]
    assert op["operationId"] == "risk__create"
    assert "security" not in op
    assert op["requestBody"] == {"$ref": "#/components/requestBodies/risk__Warning"}
    warning = doc["components"]["schemas"]["risk__Warning"]
    assert warning["discriminator"]["mapping"] == {"a": "#/components/schemas/risk__A"}
    assert warning["oneOf"] == [{"$ref": "#/components/schemas/risk__A"}]
    assert list(doc["components"]["securitySchemes"]) == ["bearerAuth"]
    assert "/auth/token" in doc["paths"]  # documented even though auth-svc is absent
    assert spec["paths"]["/v1/warnings"]["post"]["operationId"] == "create"  # input left untouched


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {"headers": headers, "client": ("10.0.0.7", 5555), "scheme": "https"}


def test_forwarded_headers_replaced_unless_trusted() -> None:
    incoming = [
        (b"host", b"gw.example"),
        (b"x-forwarded-for", b"6.6.6.6"),
        (b"x-forwarded-proto", b"http"),
        (b"content-length", b"12"),
        (b"tracestate", b"orphan=1"),
    ]
    untrusted = dict(
        upstream_headers(_scope(incoming), request_id="r1", prefix="/api/x", trust_forwarded=False).headers
    )
    assert untrusted["x-forwarded-for"] == "10.0.0.7"
    assert untrusted["x-forwarded-proto"] == "https"
    assert untrusted["x-forwarded-host"] == "gw.example"
    assert "tracestate" not in untrusted  # dropped with the missing traceparent
    assert "host" not in untrusted
    out = upstream_headers(_scope(incoming), request_id="r1", prefix="/api/x", trust_forwarded=True)
    trusted = dict(out.headers)
    assert trusted["x-forwarded-for"] == "6.6.6.6, 10.0.0.7"
    assert trusted["x-forwarded-proto"] == "http"
    assert out.content_length == 12
    assert not out.chunked


def test_scope_table_covers_every_service_both_ways() -> None:
    services = {"catalog", "datahub", "random-check", "joint", "credit", "risk", "complaint", "auth"}
    assert {(s, a) for s in services for a in ("read", "write")} == set(ROUTE_SCOPES)
    assert required_scope("risk", "GET") == "risk:read"
    assert required_scope("risk", "OPTIONS") == "risk:read"
    assert required_scope("risk", "PATCH") == "risk:write"
    assert required_scope("nosuch", "GET") is None


@pytest.mark.parametrize("origin", ["*", "null", "https://*.example.gov.cn", "https://a.example/path", "a.example"])
def test_cors_origins_must_be_exact(origin: str) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(cors_allowed_origins=[origin])


def test_cors_and_rate_limit_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", '["https://Console.example.gov.cn/", "http://127.0.0.1:5173"]')
    monkeypatch.setenv("RATE_LIMIT_CLIENT_OVERRIDES", '{"web-console": [2000, 4000]}')
    settings = GatewaySettings()
    assert settings.cors_allowed_origins == ["https://console.example.gov.cn", "http://127.0.0.1:5173"]
    assert settings.rate_limit_client_overrides == {"web-console": (2000.0, 4000)}
    assert (settings.rate_limit_client_per_s, settings.rate_limit_client_burst) == (50.0, 100)
    assert (settings.rate_limit_user_per_s, settings.rate_limit_ip_per_s) == (20.0, 10.0)
    assert "/auth/token" in settings.rate_limit_ip_paths
    monkeypatch.setenv("RATE_LIMIT_CLIENT_OVERRIDES", '{"web-console": [0, 10]}')
    with pytest.raises(ValidationError):
        GatewaySettings()
