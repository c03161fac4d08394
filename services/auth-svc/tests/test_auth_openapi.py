"""The OpenAPI document builds and places OIDC endpoints at the root, management under /v1."""

from __future__ import annotations

from auth_svc.main import create_app
from auth_svc.settings import AuthSettings


def test_openapi_lists_root_oidc_and_versioned_management_paths() -> None:
    paths = create_app(AuthSettings()).openapi()["paths"]

    assert {"/.well-known/openid-configuration", "/.well-known/jwks.json", "/token"} <= set(paths)
    assert {"/v1/clients", "/v1/keys", "/v1/keys/rotate"} <= set(paths)
    assert "application/x-www-form-urlencoded" in paths["/token"]["post"]["requestBody"]["content"]
