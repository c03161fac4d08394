"""Token endpoint logic: form parsing, client authentication input, scope resolution and token minting."""

from __future__ import annotations

import base64
import binascii
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.clients import service as client_service
from auth_svc.clients.service import AuthenticatedClient, ClientAuthenticator
from auth_svc.keys.service import ALGORITHM, Keyring
from auth_svc.oidc.errors import OAuthError, OAuthErrorCode, invalid_client, invalid_request
from auth_svc.oidc.schemas import TokenResponse
from auth_svc.settings import AuthSettings

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_FIELDS = 20
# scope-token = 1*( %x21 / %x23-5B / %x5D-7E )  (RFC 6749 section 3.3)
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """Parameters of a token request; empty values count as absent and none may repeat (RFC 6749 section 3.2)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise invalid_request(f"the request body must be {FORM_CONTENT_TYPE}")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid_request("the request body is not a valid form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"parameter {name} is repeated")
        form[name] = value
    return {name: value for name, value in form.items() if value != ""}


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str | None


def client_credentials(authorization: str | None, form: dict[str, str]) -> ClientCredentials:
    """The client's id and secret from HTTP Basic (client_secret_basic) or the form (client_secret_post)."""
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if authorization:
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            raise invalid_client("unsupported authentication scheme; use Basic or client_secret_post")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise invalid_client("malformed Basic credentials") from exc
        raw_id, colon, raw_secret = decoded.partition(":")
        if not colon or not raw_id:
            raise invalid_client("malformed Basic credentials")
        # RFC 6749 section 2.3.1: id and secret are form-encoded before Basic encoding.
        basic_id, basic_secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if form_secret is not None:
            raise invalid_request("use one client authentication method, not Basic and client_secret together")
        if form_id is not None and form_id != basic_id:
            raise invalid_request("client_id differs from the authenticated client")
        return ClientCredentials(basic_id, basic_secret or None)
    if form_id is None:
        raise invalid_client("client authentication is required")
    return ClientCredentials(form_id, form_secret)


def resolve_scopes(requested: str | None, allowed: Sequence[str]) -> list[str]:
    """Scopes to grant: all the client's when none are asked for, else the requested ones if all are allowed."""
    if requested is None:
        return list(allowed)
    wanted = list(dict.fromkeys(requested.split(" ")))
    if any(not _SCOPE_TOKEN.match(token) for token in wanted):
        raise OAuthError(OAuthErrorCode.INVALID_SCOPE, "malformed scope")
    refused = [token for token in wanted if token not in allowed]
    if refused:
        raise OAuthError(OAuthErrorCode.INVALID_SCOPE, f"scope not allowed for this client: {' '.join(refused)}")
    return wanted


async def issue_access_token(
    keyring: Keyring, settings: AuthSettings, client: AuthenticatedClient, scopes: Sequence[str]
) -> TokenResponse:
    """An RS256 access token for a client acting on its own behalf."""
    key = await keyring.signing_key()
    now = int(time.time())
    ttl = settings.auth_access_token_ttl_s
    claims: dict[str, Any] = {
        "iss": settings.auth_issuer,
        "sub": client.client_id,
        "aud": settings.auth_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "client_id": client.client_id,
        "scope": " ".join(scopes),
        "roles": list(client.roles),
    }
    if client.region_code is not None:
        claims["region_code"] = client.region_code
    if client.department_id is not None:
        claims["department_id"] = client.department_id
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "at+jwt"})
    return TokenResponse(access_token=token, expires_in=ttl, scope=claims["scope"])


async def authenticate_client(
    session: AsyncSession,
    authenticator: ClientAuthenticator,
    authorization: str | None,
    form: dict[str, str],
    *,
    allow_public: bool,
) -> AuthenticatedClient:
    """The calling client: a confidential one by its secret, a public one (no secret) by its id when allowed."""
    credentials = client_credentials(authorization, form)
    if credentials.secret is None:
        client = await client_service.get_active_client(session, credentials.client_id) if allow_public else None
        # A confidential client must always prove itself; only secret-less clients may omit the secret.
        if client is None or not client.is_public:
            raise invalid_client()
        return client
    authenticated = await authenticator.authenticate(credentials.client_id, credentials.secret)
    if authenticated is None:
        raise invalid_client()
    return authenticated
