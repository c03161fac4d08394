"""Settings of auth-svc (environment variables named after the fields, e.g. AUTH_BOOTSTRAP_CLIENT_SECRET)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from svc_runtime.settings import ServiceSettings

MIN_CLIENT_SECRET_LENGTH = 32
MIN_PRODUCTION_PASSWORD_LENGTH = 12


class AuthSettings(ServiceSettings):
    """ServiceSettings plus the OIDC provider's own: bootstrap identities, token lifetime, key rotation."""

    service_name: str = "auth-svc"
    auth_bootstrap_client_id: str = Field(
        default="platform-bootstrap", description="Client created at start-up with every scope and platform_admin."
    )
    auth_bootstrap_client_secret: SecretStr | None = Field(
        default=None, description="Secret of the bootstrap client; the client is seeded only when it is set."
    )
    auth_bootstrap_admin_username: str = Field(default="admin", description="User name of the bootstrap administrator.")
    auth_bootstrap_admin_password: SecretStr | None = Field(
        default=None, description="Password of the bootstrap administrator; the user is seeded only when it is set."
    )
    auth_access_token_ttl_s: int = Field(default=3600, gt=0, le=24 * 3600, description="Lifetime of access tokens.")
    auth_signing_key_rotate_after_s: int = Field(
        default=90 * 24 * 3600,
        ge=0,
        description="Age after which the active signing key is rotated automatically (0: only on request).",
    )
    auth_signing_key_refresh_s: float = Field(
        default=30.0,
        gt=0,
        description="How often a replica re-reads the active signing key, to follow a rotation made elsewhere.",
    )
    auth_jwks_max_age_s: int = Field(
        default=300, ge=0, description="Cache-Control max-age of the JWKS and discovery documents."
    )
    auth_client_cache_ttl_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a successful client-secret check is remembered in memory (0: never).",
    )
    auth_login_max_failures: int = Field(
        default=5, ge=1, description="Consecutive failed logins after which an account is locked."
    )
    auth_login_lockout_minutes: float = Field(
        default=15, gt=0, description="How long an account stays locked after too many failed logins."
    )
    auth_totp_encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts TOTP secrets at rest; "
        "without it a key is derived from AUTH_BOOTSTRAP_CLIENT_SECRET (set it in production).",
    )
    auth_import_max_rows: int = Field(
        default=10_000, gt=0, description="Most data rows in one CSV import (its size is bounded by MAX_BODY_BYTES)."
    )

    # Authorization code flow, single sign-on and refresh tokens.
    auth_authorization_code_ttl_s: int = Field(
        default=60, gt=0, le=600, description="Lifetime of authorization codes (single use)."
    )
    auth_refresh_token_ttl_s: int = Field(
        default=7 * 24 * 3600, gt=0, description="Lifetime of each refresh token (every use rotates it)."
    )
    auth_sso_session_ttl_s: int = Field(
        default=10 * 3600, gt=0, description="Lifetime of a single sign-on session (one login serves every client)."
    )
    auth_sso_cookie_secure: bool = Field(
        default=True, description="Send the sso_session cookie with Secure (browsers treat 127.0.0.1 as secure)."
    )
    auth_sso_cookie_path: str = Field(default="/", description="Path attribute of the sso_session cookie.")
    # Mutual recognition (互认): tokens of the national identity system exchanged for local ones (RFC 8693).
    auth_upstream_issuer: str | None = Field(
        default=None,
        description="Issuer (iss) of the trusted upstream OIDC provider; token exchange is off without it.",
    )
    auth_upstream_jwks_url: str | None = Field(
        default=None, description="JWKS of the upstream issuer; by default read from its discovery document."
    )
    auth_upstream_audience: str | None = Field(
        default=None, description="Audience upstream tokens must carry (default: this issuer)."
    )
    auth_upstream_subject_claim: str = Field(
        default="certificate_number",
        description="Claim of upstream tokens naming the local account: a federated-identity mapping, else users.certificate_number.",
    )
    # Public clients registered at start-up when their redirect URIs are set.
    auth_web_console_client_id: str = Field(default="web-console", description="Client id of the web console.")
    auth_web_console_redirect_uris: list[str] = Field(
        default_factory=list, description="Redirect URIs of the web console; the client is seeded only when set."
    )
    auth_web_console_post_logout_redirect_uris: list[str] = Field(default_factory=list)
    auth_mobile_client_id: str = Field(default="mobile-app", description="Client id of the mobile app.")
    auth_mobile_redirect_uris: list[str] = Field(
        default_factory=list, description="Redirect URIs of the mobile app; the client is seeded only when set."
    )
    auth_mobile_post_logout_redirect_uris: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _strong_bootstrap_secrets(self) -> AuthSettings:
        # Client secrets are hashed with cheap argon2 parameters (see auth_svc.hashing), which is
        # only sound for high-entropy secrets: refuse short ones everywhere.
        secret = self.auth_bootstrap_client_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_CLIENT_SECRET_LENGTH:
            raise ValueError(f"AUTH_BOOTSTRAP_CLIENT_SECRET must have at least {MIN_CLIENT_SECRET_LENGTH} characters")
        password = self.auth_bootstrap_admin_password
        if (
            self.environment == "production"
            and password is not None
            and len(password.get_secret_value()) < MIN_PRODUCTION_PASSWORD_LENGTH
        ):
            raise ValueError(
                f"AUTH_BOOTSTRAP_ADMIN_PASSWORD must have at least {MIN_PRODUCTION_PASSWORD_LENGTH} characters"
            )
        return self

    @property
    def signing_key_grace_s(self) -> int:
        """How long a retired key stays published: every token it signed must have expired by then.

        A replica may keep signing with the old key until its next refresh, and verifiers allow some
        clock leeway, so both are added to the token lifetime.
        """
        return self.auth_access_token_ttl_s + int(self.auth_signing_key_refresh_s) + 60

    @property
    def upstream_audience(self) -> str:
        return self.auth_upstream_audience or self.auth_issuer
