"""Wire shapes of the OpenID Connect endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class DiscoveryDocument(BaseModel):
    """OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    revocation_endpoint: str
    introspection_endpoint: str
    end_session_endpoint: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    code_challenge_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    prompt_values_supported: list[str]
    authorization_response_iss_parameter_supported: bool
    frontchannel_logout_supported: bool = False
    backchannel_logout_supported: bool = False
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    claims_supported: list[str]


class JsonWebKey(BaseModel):
    """Public half of an RSA signing key (RFC 7517)."""

    kty: Literal["RSA"]
    kid: str
    use: Literal["sig"]
    alg: Literal["RS256"]
    n: str
    e: str


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]


class TokenResponse(BaseModel):
    """Successful access token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    scope: str = Field(description="Granted scopes, space-separated.")
    refresh_token: str | None = Field(default=None, description="Single-use; each refresh returns a new one.")
    id_token: str | None = Field(default=None, description="OpenID Connect ID token, when the scope has openid.")
    issued_token_type: str | None = Field(default=None, description="Token exchange (RFC 8693) only.")


class TokenErrorResponse(BaseModel):
    """Error response of the token endpoint (RFC 6749 section 5.2)."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str | None = None


class IntrospectionResponse(BaseModel):
    """Token introspection (RFC 7662): `active` and, when active, what the token says."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    username: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    nbf: int | None = None
    sub: str | None = None
    aud: str | None = None
    iss: str | None = None
    jti: str | None = None
    sid: str | None = None
    roles: list[str] | None = None
    region_code: str | None = None
    department_id: str | None = None
