"""The token endpoint's user grants: authorization code, refresh token and token exchange (RFC 8693)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.clients.service import AuthenticatedClient
from auth_svc.federation import service as federation_service
from auth_svc.federation.service import UpstreamIssuer, UpstreamTokenInvalid
from auth_svc.keys.service import Keyring
from auth_svc.oidc import service as oidc_service
from auth_svc.oidc.errors import OAuthError, OAuthErrorCode, invalid_request
from auth_svc.oidc.schemas import TokenResponse
from auth_svc.sessions.models import SsoSession
from auth_svc.settings import AuthSettings
from auth_svc.tokens import service as token_service
from auth_svc.tokens.models import TokenFamily
from auth_svc.tokens.service import invalid_grant
from auth_svc.users import service as user_service
from auth_svc.users.models import User

_log = logging.getLogger("auth_svc.grants")

TOKEN_TYPE_ACCESS = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = {
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    TOKEN_TYPE_ACCESS,
}


def user_info_claims(user: User, scopes: set[str] | frozenset[str]) -> dict[str, object]:
    """UserInfo / ID token claims the granted scopes release (OIDC Core 5.4)."""
    claims: dict[str, object] = {"sub": str(user.id)}
    if "profile" in scopes:
        base = user_service.claims_for_user(user)
        claims.update({name: base[name] for name in ("name", "preferred_username") if name in base})
        claims.update({name: base[name] for name in ("roles", "region_code", "department_id") if name in base})
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = False
    return claims


async def _user_tokens(
    session: AsyncSession,
    keyring: Keyring,
    settings: AuthSettings,
    *,
    client: AuthenticatedClient,
    user: User,
    family: TokenFamily,
    amr: list[str],
    nonce: str | None,
    with_id_token: bool,
    narrowed: list[str] | None = None,
) -> TokenResponse:
    scopes = narrowed or family.scope.split()
    sid = str(family.session_id) if family.session_id is not None else None
    access = await token_service.mint_user_access_token(
        keyring,
        settings,
        subject=str(user.id),
        client_id=client.client_id,
        scopes=scopes,
        user_claims=user_service.claims_for_user(user),
        sid=sid,
        auth_time=family.auth_time,
    )
    await token_service.record_family_access_token(
        session, family_id=family.id, jti=access.jti, expires_at=access.expires_at
    )
    refresh = None
    if "refresh_token" in client.grant_types:
        refresh = await token_service.new_refresh_token(session, family, ttl_s=settings.auth_refresh_token_ttl_s)
    id_token = None
    if with_id_token and "openid" in scopes:
        id_token = await token_service.mint_id_token(
            keyring,
            settings,
            subject=str(user.id),
            client_id=client.client_id,
            nonce=nonce,
            auth_time=family.auth_time,
            sid=sid,
            access_token=access.token,
            amr=amr,
            profile_claims={k: v for k, v in user_info_claims(user, set(scopes)).items() if k != "sub"},
        )
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        scope=" ".join(scopes),
        refresh_token=refresh,
        id_token=id_token,
    )


async def _active_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await user_service.get(session, user_id)
    if user is None or not user.is_active:
        raise invalid_grant("the account is not active")
    return user


async def _live_session(session: AsyncSession, session_id: uuid.UUID | None) -> SsoSession | None:
    if session_id is None:
        return None
    sso = await session.get(SsoSession, session_id)
    if sso is None or sso.ended_at is not None:
        raise invalid_grant("the sign-in session has ended")
    return sso


async def authorization_code(
    session: AsyncSession,
    keyring: Keyring,
    settings: AuthSettings,
    client: AuthenticatedClient,
    form: dict[str, str],
) -> TokenResponse:
    """Redeem a code (once) for an access token, a refresh token and, with openid, an ID token."""
    code = form.get("code")
    if code is None:
        raise invalid_request("code is required")
    row = await token_service.redeem_code(
        session,
        code=code,
        client_id=client.client_id,
        redirect_uri=form.get("redirect_uri"),
        code_verifier=form.get("code_verifier"),
    )
    sso = await _live_session(session, row.session_id)
    user = await _active_user(session, row.user_id)
    family = await token_service.start_family(
        session,
        client_id=client.client_id,
        user_id=user.id,
        session_id=row.session_id,
        scopes=row.scope.split(),
        auth_time=row.auth_time,
    )
    row.family_id = family.id
    return await _user_tokens(
        session,
        keyring,
        settings,
        client=client,
        user=user,
        family=family,
        amr=list(sso.amr) if sso is not None else [],
        nonce=row.nonce,
        with_id_token=True,
    )


async def refresh_token(
    session: AsyncSession,
    keyring: Keyring,
    settings: AuthSettings,
    client: AuthenticatedClient,
    form: dict[str, str],
) -> TokenResponse:
    """Rotate a refresh token: the old one is spent, a new one returned; a spent one revokes its family."""
    token = form.get("refresh_token")
    if token is None:
        raise invalid_request("refresh_token is required")
    family = await token_service.rotate_refresh_token(session, token=token, client_id=client.client_id)
    # A narrower scope applies to this access token only; the family keeps its grant (RFC 6749 section 6).
    narrowed = oidc_service.resolve_scopes(form["scope"], family.scope.split()) if "scope" in form else None
    sso = await _live_session(session, family.session_id)
    user = await _active_user(session, family.user_id)
    return await _user_tokens(
        session,
        keyring,
        settings,
        client=client,
        user=user,
        family=family,
        amr=list(sso.amr) if sso is not None else [],
        nonce=None,
        with_id_token=True,
        narrowed=narrowed,
    )


async def token_exchange(
    session: AsyncSession,
    keyring: Keyring,
    settings: AuthSettings,
    upstream: UpstreamIssuer,
    client: AuthenticatedClient,
    form: dict[str, str],
) -> TokenResponse:
    """Exchange a token of the upstream (national) issuer for a local access token of the mapped account."""
    subject_token = form.get("subject_token")
    subject_token_type = form.get("subject_token_type")
    if subject_token is None or subject_token_type is None:
        raise invalid_request("subject_token and subject_token_type are required")
    if subject_token_type not in SUBJECT_TOKEN_TYPES:
        raise invalid_request("unsupported subject_token_type")
    if form.get("requested_token_type", TOKEN_TYPE_ACCESS) != TOKEN_TYPE_ACCESS:
        raise invalid_request("only access tokens can be requested")
    if "actor_token" in form:
        raise invalid_request("delegation (actor_token) is not supported")
    if len(subject_token) > federation_service.MAX_SUBJECT_TOKEN_LENGTH:
        raise invalid_request("subject_token is too large")
    for name in ("audience", "resource"):
        if name in form and form[name] not in (settings.auth_audience, settings.auth_issuer):
            raise OAuthError(OAuthErrorCode.INVALID_TARGET, f"{name} is not served by this issuer")
    scopes = oidc_service.resolve_scopes(form.get("scope"), client.allowed_scopes)
    if not upstream.configured:
        raise invalid_grant("no upstream issuer is configured")
    try:
        claims = await upstream.verify(subject_token)
    except UpstreamTokenInvalid as exc:
        _log.info("token exchange refused", extra={"reason": str(exc), "client_id": client.client_id})
        raise invalid_grant("the subject token is not a valid token of the upstream issuer") from exc
    assert upstream.issuer is not None
    user = await federation_service.map_identity(
        session, issuer=upstream.issuer, subject_claim=settings.auth_upstream_subject_claim, claims=claims
    )
    if user is None:
        _log.info("token exchange refused: identity not mapped", extra={"client_id": client.client_id})
        raise invalid_grant("the upstream identity is not recognised here")
    auth_time = claims.get("auth_time")
    access = await token_service.mint_user_access_token(
        keyring,
        settings,
        subject=str(user.id),
        client_id=client.client_id,
        scopes=scopes,
        user_claims=user_service.claims_for_user(user),
        sid=None,
        auth_time=datetime.fromtimestamp(auth_time, tz=UTC) if isinstance(auth_time, int) else None,
        extra={"idp": upstream.issuer, "amr": ["fed"]},
    )
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        scope=" ".join(scopes),
        issued_token_type=TOKEN_TYPE_ACCESS,
    )
