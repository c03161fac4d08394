"""CORS for the web console: exact allowed origins with credentials, preflights answered by the gateway.

A preflight (OPTIONS with Origin and Access-Control-Request-Method) never reaches a service and
needs no token. An allowed origin gets Access-Control-Allow-Origin (its own value, never `*`,
since credentials are allowed) on preflights and on actual responses; any other origin gets no
CORS headers at all, so the browser keeps the response from the page. Every response carries
`Vary: Origin` while CORS is on, because what it says depends on the caller's origin.
"""

from __future__ import annotations

from gateway.settings import GatewaySettings

# Always allowed by browsers without a preflight entry (Fetch standard, CORS-safelisted request headers).
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


class CorsPolicy:
    def __init__(self, settings: GatewaySettings) -> None:
        self.origins = frozenset(o.encode() for o in settings.cors_allowed_origins)
        self.enabled = bool(self.origins)
        self.methods = frozenset(m.upper() for m in settings.cors_allowed_methods)
        self.allowed_headers = frozenset(h.lower() for h in settings.cors_allowed_headers) | _SAFELISTED
        self._methods_value = ", ".join(sorted(self.methods)).encode()
        self._expose_value = ", ".join(settings.cors_expose_headers).encode()
        self._max_age = str(settings.cors_max_age_s).encode()

    def allowed(self, origin: bytes) -> bool:
        return origin in self.origins

    def response_headers(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        """Headers added to an actual (non-preflight) response."""
        if origin is None or origin not in self.origins:
            return [(b"vary", b"Origin")]
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-expose-headers", self._expose_value),
            (b"vary", b"Origin"),
        ]

    def preflight(
        self, origin: bytes, method: bytes, request_headers: bytes | None
    ) -> tuple[bool, str, list[tuple[bytes, bytes]]]:
        """(allowed, reason if not, response headers) for a preflight request."""
        vary = (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        if origin not in self.origins:
            return False, "origin not allowed", [vary]
        if method.decode("latin-1").upper() not in self.methods:
            return False, f"method {method.decode('latin-1')} not allowed", [vary]
        requested = [h.strip().lower() for h in (request_headers or b"").decode("latin-1").split(",") if h.strip()]
        refused = [h for h in requested if h not in self.allowed_headers]
        if refused:
            return False, f"headers not allowed: {', '.join(refused)}", [vary]
        headers = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", self._methods_value),
            (b"access-control-max-age", self._max_age),
            vary,
        ]
        if requested:
            headers.append((b"access-control-allow-headers", ", ".join(requested).encode()))
        return True, "", headers
