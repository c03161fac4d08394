"""Codes, refresh-token families, the revocation list, and minting and checking of user tokens.

Resource servers verify access tokens locally against the JWKS (svc_runtime.auth.TokenVerifier), so
they only see a revocation through introspection (RFC 7662) or once the short-lived token expires;
the revocation list here is what /introspect and /userinfo consult.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import DateTime, String, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.keys.service import ALGORITHM, Keyring
from auth_svc.oidc.errors import OAuthError, OAuthErrorCode
from auth_svc.settings import AuthSettings
from auth_svc.tokens.models import AuthorizationCode, FamilyAccessToken, RefreshToken, RevokedToken, TokenFamily
from svc_runtime.auth import ALLOWED_ALGORITHMS
from svc_runtime.db import utc_now

ACCESS_TOKEN_TYP = "at+jwt"
_LEEWAY_S = 5


def digest(secret: str) -> str:
    """What is stored of a code, refresh token or session cookie: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 section 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def invalid_grant(description: str) -> OAuthError:
    return OAuthError(OAuthErrorCode.INVALID_GRANT, description)


class GrantReplayed(OAuthError):
    """A used code or rotated refresh token came back: refused, and the revocation it caused is kept.

    The token endpoint returns this error as a response rather than raising it, so that the request's
    transaction (which revoked the grant's tokens) commits.
    """

    def __init__(self, description: str) -> None:
        super().__init__(OAuthErrorCode.INVALID_GRANT, description)


# Authorization codes


async def create_code(
    session: AsyncSession,
    *,
    client_id: str,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    redirect_uri: str,
    scopes: Sequence[str],
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    auth_time: datetime,
    ttl_s: int,
) -> str:
    """A new single-use authorization code (only its hash is stored)."""
    code = new_secret()
    now = utc_now()
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=client_id,
            user_id=user_id,
            session_id=session_id,
            redirect_uri=redirect_uri,
            scope=" ".join(scopes),
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            auth_time=auth_time,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    await session.flush()
    return code


async def redeem_code(
    session: AsyncSession, *, code: str, client_id: str, redirect_uri: str | None, code_verifier: str | None
) -> AuthorizationCode:
    """The code's grant, marked used; every refusal leaves the code as it was, except a replay.

    A code presented again after it was redeemed means it leaked: the tokens issued for it are revoked
    (RFC 6749 section 4.1.2) and GrantReplayed is raised.
    """
    row = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code)).with_for_update()
    )
    if row is None or row.client_id != client_id:
        raise invalid_grant("the authorization code is invalid")
    if row.used_at is not None:
        if row.family_id is not None:
            await revoke_family(session, row.family_id, reason="code_replayed")
        raise GrantReplayed("the authorization code was already used; the tokens issued for it are revoked")
    if row.expires_at <= utc_now():
        raise invalid_grant("the authorization code has expired")
    if redirect_uri != row.redirect_uri:
        raise invalid_grant("redirect_uri differs from the authorization request")
    if row.code_challenge is not None:
        if code_verifier is None:
            raise invalid_grant("code_verifier is required")
        if not hmac.compare_digest(s256(code_verifier), row.code_challenge):
            raise invalid_grant("code_verifier does not match the code challenge")
    elif code_verifier is not None:
        raise invalid_grant("code_verifier given but the authorization request had no code challenge")
    row.used_at = utc_now()
    await session.flush()
    return row


# Families and refresh tokens


async def start_family(
    session: AsyncSession,
    *,
    client_id: str,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    scopes: Sequence[str],
    auth_time: datetime,
) -> TokenFamily:
    family = TokenFamily(
        id=uuid.uuid4(),
        client_id=client_id,
        user_id=user_id,
        session_id=session_id,
        scope=" ".join(scopes),
        auth_time=auth_time,
        created_at=utc_now(),
    )
    session.add(family)
    await session.flush()
    return family


async def new_refresh_token(session: AsyncSession, family: TokenFamily, *, ttl_s: int) -> str:
    token = new_secret()
    now = utc_now()
    session.add(
        RefreshToken(
            token_hash=digest(token), family_id=family.id, created_at=now, expires_at=now + timedelta(seconds=ttl_s)
        )
    )
    await session.flush()
    return token


@dataclass(frozen=True)
class RefreshTokenState:
    token: RefreshToken
    family: TokenFamily

    @property
    def active(self) -> bool:
        return self.token.used_at is None and self.family.revoked_at is None and self.token.expires_at > utc_now()


async def find_refresh_token(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> RefreshTokenState | None:
    statement = (
        select(RefreshToken, TokenFamily)
        .join(TokenFamily, TokenFamily.id == RefreshToken.family_id)
        .where(RefreshToken.token_hash == digest(token))
    )
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).first()
    return RefreshTokenState(row[0], row[1]) if row is not None else None


async def rotate_refresh_token(session: AsyncSession, *, token: str, client_id: str) -> TokenFamily:
    """The family of a live refresh token, which is now used up; a rotated one coming back revokes the family."""
    state = await find_refresh_token(session, token, for_update=True)
    if state is None or state.family.client_id != client_id:
        raise invalid_grant("the refresh token is invalid")
    if state.family.revoked_at is not None:
        raise invalid_grant("the refresh token was revoked")
    if state.token.used_at is not None:
        await revoke_family(session, state.family.id, reason="refresh_token_reused")
        raise GrantReplayed("the refresh token was already used; its whole family is revoked")
    if state.token.expires_at <= utc_now():
        raise invalid_grant("the refresh token has expired")
    state.token.used_at = utc_now()
    await session.flush()
    return state.family


# Revocation


async def revoke_access_token(session: AsyncSession, *, jti: str, expires_at: datetime, reason: str) -> None:
    await session.execute(
        pg_insert(RevokedToken)
        .values(jti=jti, expires_at=expires_at, revoked_at=utc_now(), reason=reason)
        .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
    )


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, *, reason: str) -> None:
    """Revoke a grant: its refresh tokens stop working and its unexpired access tokens join the revocation list."""
    now = utc_now()
    await session.execute(
        update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    live = select(
        FamilyAccessToken.jti,
        FamilyAccessToken.expires_at,
        literal(now, DateTime(timezone=True)),
        literal(reason, String()),
    ).where(FamilyAccessToken.family_id == family_id, FamilyAccessToken.expires_at > now)
    await session.execute(
        pg_insert(RevokedToken)
        .from_select(["jti", "expires_at", "revoked_at", "reason"], live)
        .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
    )


async def revoke_session_families(session: AsyncSession, session_id: uuid.UUID, *, reason: str) -> None:
    family_ids = (
        await session.scalars(
            select(TokenFamily.id).where(TokenFamily.session_id == session_id, TokenFamily.revoked_at.is_(None))
        )
    ).all()
    for family_id in family_ids:
        await revoke_family(session, family_id, reason=reason)


async def is_revoked(session: AsyncSession, jti: str) -> bool:
    return await session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None


async def record_family_access_token(
    session: AsyncSession, *, family_id: uuid.UUID, jti: str, expires_at: datetime
) -> None:
    await session.execute(insert(FamilyAccessToken).values(jti=jti, family_id=family_id, expires_at=expires_at))


# Minting and checking


@dataclass(frozen=True)
class MintedToken:
    token: str
    jti: str
    expires_at: datetime
    expires_in: int


def _at_hash(access_token: str) -> str:
    digest_ = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest_[: len(digest_) // 2]).rstrip(b"=").decode()


async def mint_user_access_token(
    keyring: Keyring,
    settings: AuthSettings,
    *,
    subject: str,
    client_id: str,
    scopes: Sequence[str],
    user_claims: dict[str, Any],
    sid: str | None,
    auth_time: datetime | None,
    extra: dict[str, Any] | None = None,
) -> MintedToken:
    """An RS256 access token for a user acting through a client."""
    key = await keyring.signing_key()
    now = int(time.time())
    ttl = settings.auth_access_token_ttl_s
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        **user_claims,
        "iss": settings.auth_issuer,
        "sub": subject,
        "aud": settings.auth_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": jti,
        "client_id": client_id,
        "scope": " ".join(scopes),
        **(extra or {}),
    }
    if sid is not None:
        claims["sid"] = sid
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYP})
    return MintedToken(token, jti, datetime.fromtimestamp(now + ttl, tz=UTC), ttl)


async def mint_id_token(
    keyring: Keyring,
    settings: AuthSettings,
    *,
    subject: str,
    client_id: str,
    nonce: str | None,
    auth_time: datetime,
    sid: str | None,
    access_token: str,
    amr: Sequence[str],
    profile_claims: dict[str, Any],
) -> str:
    """An OpenID Connect ID token (RS256) for the client (aud) with nonce, auth_time, sid and at_hash."""
    key = await keyring.signing_key()
    now = int(time.time())
    claims: dict[str, Any] = {
        **profile_claims,
        "iss": settings.auth_issuer,
        "sub": subject,
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + settings.auth_access_token_ttl_s,
        "auth_time": int(auth_time.timestamp()),
        "at_hash": _at_hash(access_token),
    }
    if amr:
        claims["amr"] = list(amr)
    if nonce is not None:
        claims["nonce"] = nonce
    if sid is not None:
        claims["sid"] = sid
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "JWT"})


class InvalidToken(Exception):
    """A token this provider did not issue, or one that is malformed, expired or not yet valid."""


async def verify_local_token(
    keyring: Keyring,
    settings: AuthSettings,
    token: str,
    *,
    audience: str | None = None,
    typ: str | None = ACCESS_TOKEN_TYP,
    verify_exp: bool = True,
) -> dict[str, Any]:
    """Claims of a token signed by one of this provider's published keys (RS256 only, so never alg=none)."""
    if len(token) > 8192:
        raise InvalidToken("token too large")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
        raise InvalidToken("token algorithm or key id not allowed")
    if typ is not None and header.get("typ") != typ:
        raise InvalidToken("wrong token type")
    key = await keyring.verification_key(kid)
    if key is None:
        raise InvalidToken("token signed with an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGORITHMS,
            audience=audience or settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": verify_exp},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    return claims


def datetime_from_epoch(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)
