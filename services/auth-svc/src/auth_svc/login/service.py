"""Authorization requests (RFC 6749 section 4.1, PKCE RFC 7636, OIDC Core 3.1.2): validation and responses.

A request is checked in two stages. Until the client and its exact redirect URI are known good, an
error is shown as a page and never redirected (an open redirector otherwise). After that, errors
go back to the client's redirect URI with `error` and `state`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.clients import service as client_service
from auth_svc.clients.service import GRANT_AUTHORIZATION_CODE, AuthenticatedClient
from auth_svc.oidc import service as oidc_service
from auth_svc.oidc.errors import OAuthError

CSRF_COOKIE = "login_csrf"
MAX_PARAMETERS = 30
MAX_VALUE_LENGTH = 2000
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_PROMPTS = {"none", "login", "consent", "select_account"}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


class AuthorizationPageError(Exception):
    """A request that cannot be answered by redirecting (unknown client, unregistered redirect URI)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthorizationRedirectError(Exception):
    """An error returned to the client at its (verified) redirect URI."""

    def __init__(self, redirect_uri: str, error: str, description: str, state: str | None) -> None:
        super().__init__(description)
        self.redirect_uri = redirect_uri
        self.error = error
        self.description = description
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client: AuthenticatedClient
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: frozenset[str] = field(default_factory=frozenset)
    max_age: int | None = None
    # The original parameters, carried through the login form and checked again on submission.
    encoded: str = ""

    def error(self, error: str, description: str) -> AuthorizationRedirectError:
        return AuthorizationRedirectError(self.redirect_uri, error, description, self.state)


def parse_parameters(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Request parameters; repeated, too many or oversized ones make the request malformed (a page error)."""
    if len(pairs) > MAX_PARAMETERS:
        raise AuthorizationPageError("The authorization request has too many parameters.")
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise AuthorizationPageError(f"The parameter {name[:40]} is repeated.")
        if len(value) > MAX_VALUE_LENGTH or len(name) > 100:
            raise AuthorizationPageError("A parameter of the authorization request is too long.")
        params[name] = value
    return {name: value for name, value in params.items() if value != ""}


def decode_parameters(encoded: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(encoded, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_PARAMETERS)
    except ValueError as exc:
        raise AuthorizationPageError("The authorization request is malformed.") from exc
    return parse_parameters(pairs)


async def validate(session: AsyncSession, params: dict[str, str]) -> AuthorizationRequest:
    """The authorization request these parameters make, or the error to show or redirect."""
    client_id = params.get("client_id")
    if client_id is None:
        raise AuthorizationPageError("client_id is missing.")
    client = await client_service.get_active_client(session, client_id)
    if client is None:
        raise AuthorizationPageError("The client is unknown or disabled.")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        raise AuthorizationPageError("redirect_uri is missing.")
    # Exact string comparison (no prefix, no normalisation): OAuth 2.0 Security BCP section 4.1.
    if redirect_uri not in client.redirect_uris:
        raise AuthorizationPageError("The redirect URI is not registered for this client.")
    state = params.get("state")

    def fail(error: str, description: str) -> AuthorizationRedirectError:
        return AuthorizationRedirectError(redirect_uri, error, description, state)

    if "request" in params or "request_uri" in params:
        raise fail("request_not_supported", "request objects are not supported")
    response_type = params.get("response_type")
    if response_type is None:
        raise fail("invalid_request", "response_type is required")
    if response_type != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if GRANT_AUTHORIZATION_CODE not in client.grant_types:
        raise fail("unauthorized_client", "the client may not use the authorization code grant")
    try:
        scopes = oidc_service.resolve_scopes(params.get("scope"), client.allowed_scopes)
    except OAuthError as exc:
        raise fail(exc.error.value, exc.description) from exc
    code_challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if code_challenge is None:
        if method is not None:
            raise fail("invalid_request", "code_challenge_method without code_challenge")
        if client.is_public:
            raise fail("invalid_request", "PKCE (code_challenge with S256) is required for public clients")
    else:
        # Without a method the challenge would be "plain" (RFC 7636 section 4.3), which is refused.
        if method != "S256":
            raise fail("invalid_request", "code_challenge_method must be S256")
        if not _CODE_CHALLENGE.match(code_challenge):
            raise fail("invalid_request", "malformed code_challenge")
    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= _PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise fail("invalid_request", "unsupported prompt value")
    max_age: int | None = None
    if "max_age" in params:
        if not params["max_age"].isdigit() or len(params["max_age"]) > 9:
            raise fail("invalid_request", "max_age must be a non-negative integer")
        max_age = int(params["max_age"])
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        nonce=params.get("nonce"),
        code_challenge=code_challenge,
        code_challenge_method=method if code_challenge is not None else None,
        prompt=prompt,
        max_age=max_age,
        encoded=urlencode(params),
    )


def with_parameters(uri: str, params: dict[str, str | None]) -> str:
    """The URI with these query parameters added (keeping any it already has)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((name, value) for name, value in params.items() if value is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def error_redirect_location(error: AuthorizationRedirectError, issuer: str) -> str:
    return with_parameters(
        error.redirect_uri,
        {"error": error.error, "error_description": error.description, "state": error.state, "iss": issuer},
    )


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie) and bool(submitted) and secrets.compare_digest(str(cookie), str(submitted))


def render_login(
    request: AuthorizationRequest,
    *,
    csrf_token: str,
    error: str | None = None,
    username: str = "",
    totp_required: bool = False,
) -> str:
    return templates.get_template("login.html").render(
        csrf_token=csrf_token,
        authorization_request=request.encoded,
        error=error,
        username=username,
        totp_required=totp_required,
    )


def render_message(title_zh: str, title_en: str, message: str) -> str:
    return templates.get_template("message.html").render(title_zh=title_zh, title_en=title_en, message=message)
