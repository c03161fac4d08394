"""Gateway settings from environment variables (the launcher sets SERVICE_URLS, AUTH_*, REDIS_URL)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from svc_runtime.settings import ServiceSettings

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# The one place where routes that need no bearer token are listed (PUBLIC_PATHS overrides it).
# An entry ending in "/*" is a prefix (and also matches the prefix without the slash);
# any other entry is an exact path. Only requests the gateway forwards are checked against it:
# the gateway's own endpoints (/healthz, /readyz, /metrics, /openapi.json, /docs) are always open.
DEFAULT_PUBLIC_PATHS: tuple[str, ...] = (
    "/auth/*",  # the OIDC provider: discovery, JWKS, token, authorize (auth-svc checks its own clients)
    "/open311/v2/*",  # Open311 GeoReport v2 (complaint-svc): the public submits and queries without login
    "/api/complaint/v1/public/*",  # complaint status by tracking number, rating with the query code
    "/api/random-check/v1/public/*",  # 双随机、一公开: item list, plans, draw proofs, disclosed results
    "/api/credit/v1/public/*",  # credit disclosure (信用信息公示): legal persons' lists, penalties, commendations
)

# Public routes where credentials are tried: limited per caller IP (RATE_LIMIT_IP_PATHS overrides it).
DEFAULT_RATE_LIMIT_IP_PATHS: tuple[str, ...] = (
    "/auth/token",
    "/auth/login",
    "/auth/login/*",
    "/auth/authorize",
    "/auth/introspect",
    "/auth/revoke",
    "/open311/v2/*",
    "/api/complaint/v1/public/*",  # query codes are guessed here
)

# Public APIs served outside `/api/<service>`: the path prefix is forwarded unchanged to the service.
DEFAULT_PASSTHROUGH_ROUTES: dict[str, str] = {"/open311/v2": "complaint"}


class GatewaySettings(ServiceSettings):
    """Settings of the gateway process. It has no database: the database settings are unused."""

    service_name: str = "gateway"
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description='Where each service listens, JSON in SERVICE_URLS: {"catalog": "http://127.0.0.1:8001", ...}.',
    )
    auth_service: str = Field(default="auth", description="Key of SERVICE_URLS that `/auth/...` is forwarded to.")
    public_paths: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PUBLIC_PATHS),
        description='Forwarded paths that need no token, JSON in PUBLIC_PATHS: ["/auth/*", "/api/complaint/v1/public/*"].',
    )
    passthrough_routes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PASSTHROUGH_ROUTES),
        description='Path prefixes forwarded unchanged to a service, JSON in PASSTHROUGH_ROUTES: {"/open311/v2": "complaint"} '
        "(so `/open311/v2/services.json` reaches complaint-svc's `/open311/v2/services.json`).",
    )
    upstream_timeout_s: float = Field(default=30.0, description="Longest wait for each read from a service.")
    upstream_connect_timeout_s: float = Field(default=3.0, description="Longest wait to connect to a service.")
    upstream_pool_size: int = Field(default=400, description="Open connections to all services together.")
    upstream_pool_per_host: int = Field(default=100, description="Open connections to one service.")
    upstream_keepalive_s: float = Field(
        default=4.0,
        description="How long an idle pooled connection is kept; below the services' own keep-alive (uvicorn: 5 s).",
    )
    trust_forwarded_headers: bool = Field(
        default=False,
        description="Keep X-Forwarded-* from the caller (only behind a trusted ingress); otherwise they are replaced.",
    )
    rate_limit_enabled: bool = Field(default=True, description="Token-bucket rate limits in Redis (REDIS_URL).")
    rate_limit_client_per_s: float = Field(default=50.0, gt=0, description="Requests per second per OAuth client.")
    rate_limit_client_burst: int = Field(default=100, ge=1, description="Burst per OAuth client.")
    rate_limit_client_overrides: dict[str, tuple[float, int]] = Field(
        default_factory=dict,
        description='Per-client [rate, burst], JSON in RATE_LIMIT_CLIENT_OVERRIDES: {"web-console": [2000, 4000]}. '
        "Interactive clients used by many people at once (web console, mobile app) need more than the default, "
        "since every user's request also counts against the client.",
    )
    rate_limit_user_per_s: float = Field(default=20.0, gt=0, description="Requests per second per user (sub).")
    rate_limit_user_burst: int = Field(default=40, ge=1, description="Burst per user.")
    rate_limit_ip_per_s: float = Field(
        default=10.0, gt=0, description="Requests per second per caller IP on RATE_LIMIT_IP_PATHS."
    )
    rate_limit_ip_burst: int = Field(default=20, ge=1, description="Burst per caller IP on RATE_LIMIT_IP_PATHS.")
    rate_limit_ip_paths: list[str] = Field(
        default_factory=lambda: list(DEFAULT_RATE_LIMIT_IP_PATHS),
        description="Public routes limited per caller IP (exact, or prefix with /*), JSON in RATE_LIMIT_IP_PATHS.",
    )
    rate_limit_key_prefix: str = Field(default="gw:rl:", description="Prefix of the bucket keys in Redis.")
    rate_limit_redis_timeout_s: float = Field(
        default=0.25, gt=0, description="Longest wait for Redis (connect, answer, free pooled connection)."
    )
    rate_limit_redis_pool_size: int = Field(default=64, ge=1, description="Connections to Redis.")
    rate_limit_retry_s: float = Field(
        default=1.0, description="After Redis failed, how long requests pass unlimited before Redis is tried again."
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (exact match, with credentials), JSON in "
        'CORS_ALLOWED_ORIGINS: ["https://console.example.gov.cn"]. Empty: CORS is off.',
    )
    cors_allowed_methods: list[str] = Field(default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    cors_allowed_headers: list[str] = Field(
        default_factory=lambda: [
            "authorization",
            "content-type",
            "x-request-id",
            "traceparent",
            "tracestate",
            "if-match",
            "if-none-match",
            "idempotency-key",
        ],
        description="Request headers a browser may send (the CORS-safelisted ones are always allowed).",
    )
    cors_expose_headers: list[str] = Field(
        default_factory=lambda: [
            "x-request-id",
            "location",
            "etag",
            "content-disposition",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy",
        ]
    )
    cors_max_age_s: int = Field(default=600, ge=0, description="How long a browser may cache a preflight answer.")
    readiness_timeout_s: float = Field(default=1.5, description="Longest wait for one service's /readyz.")
    readiness_cache_s: float = Field(default=1.0, description="How long a readiness result is reused.")
    openapi_timeout_s: float = Field(
        default=10.0, description="Longest wait for one service's /openapi.json (a cold service builds it first)."
    )
    openapi_refresh_s: float = Field(default=60.0, description="How often the merged OpenAPI document is rebuilt.")
    openapi_retry_s: float = Field(default=5.0, description="How soon a service whose document was missing is retried.")

    @field_validator("service_urls")
    @classmethod
    def _clean_urls(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for name, url in value.items():
            if not _SERVICE_NAME.match(name):
                raise ValueError(f"service name {name!r} must be lower-case letters, digits and dashes")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"service {name!r}: URL {url!r} must start with http:// or https://")
            cleaned[name] = url.rstrip("/")
        return cleaned

    @field_validator("cors_allowed_origins")
    @classmethod
    def _exact_origins(cls, value: list[str]) -> list[str]:
        cleaned = []
        for origin in value:
            parts = urlsplit(origin)
            if origin in ("*", "null") or "*" in origin:
                raise ValueError("CORS origins are matched exactly (credentials are allowed): no wildcard, no 'null'")
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(f"CORS origin {origin!r} must be scheme://host[:port]")
            if parts.query or parts.fragment or "@" in parts.netloc:
                raise ValueError(f"CORS origin {origin!r} must be scheme://host[:port]")
            cleaned.append(f"{parts.scheme}://{parts.netloc}".lower())
        return cleaned

    @model_validator(mode="after")
    def _positive_overrides(self) -> GatewaySettings:
        for client, (rate, burst) in self.rate_limit_client_overrides.items():
            if rate <= 0 or burst < 1:
                raise ValueError(f"rate limit override of {client!r}: rate must be > 0 and burst >= 1")
        return self

    @field_validator("passthrough_routes")
    @classmethod
    def _passthrough(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix, service in value.items():
            if (
                not prefix.startswith("/")
                or prefix.endswith("/")
                or prefix.startswith(("/api/", "/auth"))
                or prefix == "/api"
            ):
                raise ValueError(
                    f"passthrough prefix {prefix!r} must start with '/', not end with '/', and not be under /api or /auth"
                )
            if not _SERVICE_NAME.match(service):
                raise ValueError(f"passthrough service {service!r} must be lower-case letters, digits and dashes")
        return value

    @field_validator("public_paths", "rate_limit_ip_paths")
    @classmethod
    def _absolute(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not entry.startswith("/"):
                raise ValueError(f"public path {entry!r} must start with '/'")
        return value
