"""OpenID Connect endpoints, served at the service root (the gateway maps {issuer}/<path> here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from auth_svc.clients.service import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_REFRESH_TOKEN,
    GRANT_TOKEN_EXCHANGE,
)
from auth_svc.dependencies import (
    ClientAuthenticatorDep,
    KeyringDep,
    SettingsDep,
    UpstreamIssuerDep,
)
from auth_svc.keys import service as key_service
from auth_svc.oidc import grants
from auth_svc.oidc import service as oidc_service
from auth_svc.oidc.errors import NO_STORE_HEADERS, OAuthError, OAuthErrorCode, invalid_request, oauth_error_handler
from auth_svc.oidc.schemas import DiscoveryDocument, JsonWebKeySet, TokenErrorResponse, TokenResponse
from auth_svc.scopes import OIDC_SCOPES, SUPPORTED_SCOPES
from auth_svc.tokens.service import GrantReplayed
from svc_runtime.db import SessionDep

router = APIRouter(tags=["oidc"])

GRANT_TYPES_SUPPORTED = [GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE]
AUTH_METHODS_SUPPORTED = ["client_secret_basic", "client_secret_post"]
# Public clients (web console, mobile app) send only client_id: "none" (with PKCE).
TOKEN_AUTH_METHODS_SUPPORTED = [*AUTH_METHODS_SUPPORTED, "none"]
CLAIMS_SUPPORTED = [
    "iss", "sub", "aud", "iat", "nbf", "exp", "jti", "client_id", "scope", "roles", "region_code", "department_id",
    "azp", "auth_time", "nonce", "sid", "at_hash", "amr", "name", "preferred_username", "email", "email_verified",
]  # fmt: skip
# Grants with which a public client (no secret) may call the token endpoint.
_PUBLIC_CLIENT_GRANTS = {GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE}

_TOKEN_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        oidc_service.FORM_CONTENT_TYPE: {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": GRANT_TYPES_SUPPORTED},
                    "scope": {"type": "string", "description": "Space-separated subset of the client's scopes."},
                    "code": {"type": "string", "description": "authorization_code: the code."},
                    "redirect_uri": {"type": "string", "description": "authorization_code: as in the request."},
                    "code_verifier": {"type": "string", "description": "authorization_code: the PKCE verifier."},
                    "refresh_token": {"type": "string", "description": "refresh_token: the current refresh token."},
                    "subject_token": {"type": "string", "description": "token exchange: the upstream token."},
                    "subject_token_type": {"type": "string", "description": "token exchange: its RFC 8693 type."},
                    "client_id": {"type": "string", "description": "With client_secret_post."},
                    "client_secret": {"type": "string", "description": "With client_secret_post."},
                },
            }
        }
    },
}


def _public_cache(response: Response, max_age_s: int) -> None:
    response.headers["Cache-Control"] = f"public, max-age={max_age_s}"


@router.get("/.well-known/openid-configuration", response_model=DiscoveryDocument)
async def discovery(response: Response, settings: SettingsDep) -> DiscoveryDocument:
    """Describe this OpenID provider: issuer, endpoints and what they support."""
    issuer = settings.auth_issuer.rstrip("/")
    _public_cache(response, settings.auth_jwks_max_age_s)
    return DiscoveryDocument(
        issuer=settings.auth_issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/token",
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        userinfo_endpoint=f"{issuer}/userinfo",
        revocation_endpoint=f"{issuer}/revoke",
        introspection_endpoint=f"{issuer}/introspect",
        end_session_endpoint=f"{issuer}/logout",
        grant_types_supported=GRANT_TYPES_SUPPORTED,
        token_endpoint_auth_methods_supported=TOKEN_AUTH_METHODS_SUPPORTED,
        revocation_endpoint_auth_methods_supported=TOKEN_AUTH_METHODS_SUPPORTED,
        introspection_endpoint_auth_methods_supported=AUTH_METHODS_SUPPORTED,
        response_types_supported=["code"],
        response_modes_supported=["query"],
        code_challenge_methods_supported=["S256"],
        prompt_values_supported=["none", "login", "consent", "select_account"],
        authorization_response_iss_parameter_supported=True,
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=[key_service.ALGORITHM],
        scopes_supported=[*OIDC_SCOPES, *SUPPORTED_SCOPES],
        claims_supported=CLAIMS_SUPPORTED,
    )


@router.get("/.well-known/jwks.json", response_model=JsonWebKeySet)
async def jwks(response: Response, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Publish the public signing keys: the active one and retired ones whose tokens may still be valid."""
    keys = await key_service.list_published(session)
    _public_cache(response, settings.auth_jwks_max_age_s)
    return {"keys": [key.public_jwk for key in keys]}


@router.post(
    "/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses={400: {"model": TokenErrorResponse}, 401: {"model": TokenErrorResponse}},
    openapi_extra={"requestBody": _TOKEN_REQUEST_BODY},
)
async def token(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    keyring: KeyringDep,
    authenticator: ClientAuthenticatorDep,
    upstream: UpstreamIssuerDep,
) -> TokenResponse | JSONResponse:
    """Issue tokens: authorization code (PKCE), refresh token (rotated), client credentials, token exchange."""
    form = oidc_service.parse_form(request.headers.get("content-type"), await request.body())
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise invalid_request("grant_type is required")
    if grant_type not in GRANT_TYPES_SUPPORTED:
        raise OAuthError(OAuthErrorCode.UNSUPPORTED_GRANT_TYPE, f"grant type {grant_type} is not supported")
    client = await oidc_service.authenticate_client(
        session,
        authenticator,
        request.headers.get("authorization"),
        form,
        allow_public=grant_type in _PUBLIC_CLIENT_GRANTS,
    )
    if grant_type not in client.grant_types:
        raise OAuthError(OAuthErrorCode.UNAUTHORIZED_CLIENT, f"client may not use the {grant_type} grant")
    response.headers.update(NO_STORE_HEADERS)
    if grant_type == GRANT_CLIENT_CREDENTIALS:
        scopes = oidc_service.resolve_scopes(form.get("scope"), client.allowed_scopes)
        return await oidc_service.issue_access_token(keyring, settings, client, scopes)
    try:
        if grant_type == GRANT_AUTHORIZATION_CODE:
            return await grants.authorization_code(session, keyring, settings, client, form)
        if grant_type == GRANT_REFRESH_TOKEN:
            return await grants.refresh_token(session, keyring, settings, client, form)
        return await grants.token_exchange(session, keyring, settings, upstream, client, form)
    except GrantReplayed as exc:
        # Returned, not raised: the revocation the replay triggered must be committed.
        return await oauth_error_handler(request, exc)
