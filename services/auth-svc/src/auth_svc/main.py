"""ASGI entry point of auth-svc."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from auth_svc.audit.endpoints import router as audit_router
from auth_svc.auth import get_principal as local_principal
from auth_svc.bootstrap import bootstrap
from auth_svc.clients.endpoints import router as clients_router
from auth_svc.clients.service import ClientAuthenticator
from auth_svc.federation.service import UpstreamIssuer
from auth_svc.keys.endpoints import router as keys_router
from auth_svc.keys.service import Keyring
from auth_svc.login.endpoints import router as login_router
from auth_svc.oidc.endpoints import router as oidc_router
from auth_svc.oidc.errors import OAuthError, oauth_error_handler
from auth_svc.org.endpoints import router as org_router
from auth_svc.settings import AuthSettings
from auth_svc.tokens.endpoints import router as tokens_router
from auth_svc.users import service as user_service
from auth_svc.users.endpoints import router as users_router
from svc_runtime import auth as runtime_auth
from svc_runtime.app import ServiceSpec, State, create_service_app

spec = ServiceSpec(
    name="auth",
    title="auth-svc",
    description="Unified identity (统一身份认证): OpenID Connect provider, organisation tree, people, roles and data scope.",
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    routers=[clients_router, keys_router, org_router, users_router, audit_router],
    # The organisation tree and inspectors are published (supervision.auth.org, supervision.auth.staff).
    produces_events=True,
    api_prefix="/v1",
    openapi_tags=[
        {"name": "oidc", "description": "OpenID Connect discovery, keys and token endpoint (service root)."},
        {"name": "clients", "description": "Registered OAuth clients."},
        {"name": "keys", "description": "Token signing keys and their rotation."},
        {"name": "organisation", "description": "Administrative regions (GB/T 2260) and departments."},
        {"name": "users", "description": "Staff accounts, roles, inspectors' certificates, second factor."},
        {"name": "audit", "description": "The append-only, hash-chained audit log."},
    ],
)


class AuthState(State):
    keyring: Keyring
    client_authenticator: ClientAuthenticator
    upstream_issuer: UpstreamIssuer


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()
    app = create_service_app(spec, settings)
    # The OIDC endpoints live at the root, outside spec.api_prefix: {issuer}/token etc.
    app.include_router(oidc_router)
    app.include_router(login_router)
    app.include_router(tokens_router)
    app.add_exception_handler(OAuthError, oauth_error_handler)
    # auth-svc verifies bearer tokens against its own keyring, so the runtime's DataScopeDep (which
    # depends on svc_runtime.auth.get_principal) uses the local verification here.
    app.dependency_overrides[runtime_auth.get_principal] = local_principal
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with runtime_lifespan(app) as runtime_state:
            state: State = runtime_state  # type: ignore[assignment]
            sessionmaker = state["sessionmaker"]
            await bootstrap(sessionmaker, settings)
            user_service.use_settings(settings)
            keyring = Keyring(sessionmaker, settings)
            await keyring.refresh()
            authenticator = ClientAuthenticator(sessionmaker, ttl_s=settings.auth_client_cache_ttl_s)
            upstream = UpstreamIssuer(settings, state["http"])
            yield dict(
                AuthState(**state, keyring=keyring, client_authenticator=authenticator, upstream_issuer=upstream)
            )

    app.router.lifespan_context = lifespan
    return app


app = create_app()
