"""Revocation (RFC 7009), introspection (RFC 7662) and UserInfo (OIDC Core 5.3), at the service root."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from auth_svc.dependencies import ClientAuthenticatorDep, KeyringDep, SettingsDep
from auth_svc.oidc import grants
from auth_svc.oidc import service as oidc_service
from auth_svc.oidc.errors import NO_STORE_HEADERS, invalid_request
from auth_svc.oidc.schemas import IntrospectionResponse
from auth_svc.tokens import service as token_service
from auth_svc.tokens.service import InvalidToken
from auth_svc.users import service as user_service
from svc_runtime.db import SessionDep

router = APIRouter(tags=["oidc"])

_TOKEN_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            oidc_service.FORM_CONTENT_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": {"type": "string"},
                        "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
                    },
                }
            }
        },
    }
}
_INTROSPECTED_CLAIMS = ("scope", "client_id", "exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sid", "roles")
_INTROSPECTED_CLAIMS_OPTIONAL = ("region_code", "department_id", "preferred_username")


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def _bearer_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6750 section 3: the error in WWW-Authenticate and in the body."""
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"WWW-Authenticate": challenge, **NO_STORE_HEADERS},
    )


async def _form(request: Request) -> dict[str, str]:
    form = oidc_service.parse_form(request.headers.get("content-type"), await request.body())
    if "token" not in form:
        raise invalid_request("token is required")
    return form


@router.post("/revoke", status_code=200, openapi_extra=_TOKEN_FORM)
async def revoke(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    keyring: KeyringDep,
    authenticator: ClientAuthenticatorDep,
) -> Response:
    """Revoke an access or refresh token of the calling client (unknown tokens are answered 200 too)."""
    form = await _form(request)
    client = await oidc_service.authenticate_client(
        session, authenticator, request.headers.get("authorization"), form, allow_public=True
    )
    token = form["token"]
    if _looks_like_jwt(token):
        try:
            claims = await token_service.verify_local_token(keyring, settings, token)
        except InvalidToken:
            claims = None
        if claims is not None and claims.get("client_id") == client.client_id and isinstance(claims.get("jti"), str):
            await token_service.revoke_access_token(
                session,
                jti=claims["jti"],
                expires_at=token_service.datetime_from_epoch(claims["exp"]),
                reason="revoked_by_client",
            )
    else:
        state = await token_service.find_refresh_token(session, token)
        # Revoking a refresh token ends its whole grant, access tokens included (RFC 7009 section 2.1).
        if state is not None and state.family.client_id == client.client_id:
            await token_service.revoke_family(session, state.family.id, reason="revoked_by_client")
    return Response(status_code=200, headers=NO_STORE_HEADERS)


@router.post(
    "/introspect", response_model=IntrospectionResponse, response_model_exclude_none=True, openapi_extra=_TOKEN_FORM
)
async def introspect(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    keyring: KeyringDep,
    authenticator: ClientAuthenticatorDep,
) -> IntrospectionResponse:
    """Say whether a token is active (signature, expiry and the revocation list) and what it grants."""
    form = await _form(request)
    client = await oidc_service.authenticate_client(
        session, authenticator, request.headers.get("authorization"), form, allow_public=False
    )
    response.headers.update(NO_STORE_HEADERS)
    token = form["token"]
    if _looks_like_jwt(token):
        try:
            claims = await token_service.verify_local_token(keyring, settings, token)
        except InvalidToken:
            return IntrospectionResponse(active=False)
        jti = claims.get("jti")
        if not isinstance(jti, str) or await token_service.is_revoked(session, jti):
            return IntrospectionResponse(active=False)
        fields = {name: claims.get(name) for name in _INTROSPECTED_CLAIMS}
        fields.update({name: claims[name] for name in _INTROSPECTED_CLAIMS_OPTIONAL if name in claims})
        username = fields.pop("preferred_username", None)
        return IntrospectionResponse(active=True, token_type="Bearer", username=username, **fields)
    state = await token_service.find_refresh_token(session, token)
    # A refresh token is described only to the client it was issued to.
    if state is None or not state.active or state.family.client_id != client.client_id:
        return IntrospectionResponse(active=False)
    return IntrospectionResponse(
        active=True,
        token_type="refresh_token",
        scope=state.family.scope,
        client_id=state.family.client_id,
        sub=str(state.family.user_id),
        iat=int(state.token.created_at.timestamp()),
        exp=int(state.token.expires_at.timestamp()),
        iss=settings.auth_issuer,
        sid=str(state.family.session_id) if state.family.session_id else None,
    )


@router.get("/userinfo", response_model=None, operation_id="userinfo_get")
@router.post("/userinfo", response_model=None, operation_id="userinfo_post")
async def userinfo(request: Request, session: SessionDep, settings: SettingsDep, keyring: KeyringDep) -> JSONResponse:
    """Claims about the signed-in user that the access token's scopes release."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "a bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": f'Bearer realm="{settings.auth_issuer}"'},
        )
    try:
        claims = await token_service.verify_local_token(keyring, settings, token)
    except InvalidToken:
        return _bearer_error(401, "invalid_token", "the access token is invalid or expired")
    jti = claims.get("jti")
    if not isinstance(jti, str) or await token_service.is_revoked(session, jti):
        return _bearer_error(401, "invalid_token", "the access token was revoked")
    scopes = frozenset(str(claims.get("scope") or "").split())
    if "openid" not in scopes:
        return _bearer_error(403, "insufficient_scope", "the openid scope is required")
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        return _bearer_error(403, "insufficient_scope", "the token does not represent a user")
    user = await user_service.get(session, user_id)
    if user is None or not user.is_active:
        return _bearer_error(401, "invalid_token", "the user is no longer active")
    return JSONResponse(grants.user_info_claims(user, scopes), headers=NO_STORE_HEADERS)
