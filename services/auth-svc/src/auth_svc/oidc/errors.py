"""OAuth 2.0 error responses (RFC 6749 section 5.2), which the token endpoint returns instead of problem details."""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request
from fastapi.responses import JSONResponse

NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    INVALID_TARGET = "invalid_target"


class OAuthError(Exception):
    """A token-endpoint error; invalid_client answers 401 with a Basic challenge, the others 400."""

    def __init__(self, error: OAuthErrorCode, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    @property
    def status_code(self) -> int:
        return 401 if self.error is OAuthErrorCode.INVALID_CLIENT else 400


def invalid_request(description: str) -> OAuthError:
    return OAuthError(OAuthErrorCode.INVALID_REQUEST, description)


def invalid_client(description: str = "client authentication failed") -> OAuthError:
    return OAuthError(OAuthErrorCode.INVALID_CLIENT, description)


async def oauth_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    headers = dict(NO_STORE_HEADERS)
    if exc.status_code == 401:
        settings = request.state.settings
        headers["WWW-Authenticate"] = f'Basic realm="{settings.auth_issuer}", charset="UTF-8"'
    return JSONResponse(
        {"error": exc.error.value, "error_description": exc.description},
        status_code=exc.status_code,
        headers=headers,
    )
