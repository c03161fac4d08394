"""One OpenAPI document for the whole platform, merged from every service's `/openapi.json`.

Service paths are prefixed with `/api/<service>` (the auth service's protocol endpoints, those
outside `/v1`, with `/auth`), component names with the service (`$ref`s rewritten), operations
tagged by service, and one bearer security scheme applies except on public paths. Documents are
fetched on first use and refreshed; a service that is down is left out until it answers.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from gateway.security import PublicPaths

_log = logging.getLogger("gateway.openapi")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_COMPONENT_REF = re.compile(r"^#/components/([A-Za-z]+)/(.+)$")
BEARER = "bearerAuth"

# Documented even while auth-svc is down, so clients can always find how to get a token.
_AUTH_FALLBACK: dict[str, dict[str, Any]] = {
    "/.well-known/openid-configuration": {
        "get": {"summary": "OpenID Connect discovery document", "responses": {"200": {"description": "Discovery"}}}
    },
    "/.well-known/jwks.json": {
        "get": {"summary": "Signing keys (JWKS)", "responses": {"200": {"description": "JSON Web Key Set"}}}
    },
    "/token": {
        "post": {
            "summary": "Token endpoint (client credentials, authorization code with PKCE, refresh token)",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "Tokens"}, "400": {"description": "OAuth error"}},
        }
    },
}


def _ident(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", service)


def _rewrite_refs(node: Any, prefix: str) -> Any:
    """A copy of `node` with every local component reference pointed at the prefixed name."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = _prefixed_ref(value, prefix)
            elif key == "mapping" and isinstance(value, dict):  # discriminator mapping values are refs too
                out[key] = {k: _prefixed_ref(v, prefix) if isinstance(v, str) else v for k, v in value.items()}
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node


def _prefixed_ref(ref: str, prefix: str) -> str:
    match = _COMPONENT_REF.match(ref)
    if match is None:
        return ref
    kind, name = match.groups()
    return f"#/components/{kind}/{prefix}{name}"


def gateway_path(service: str, path: str, auth_service: str, passthrough: dict[str, str] | None = None) -> str:
    for prefix, owner in (passthrough or {}).items():  # public APIs forwarded unchanged (Open311)
        if owner == service and (path == prefix or path.startswith(prefix + "/")):
            return path
    if service == auth_service and not (path == "/v1" or path.startswith("/v1/")):
        return "/auth" + path
    return f"/api/{service}" + path


def merge(
    specs: dict[str, dict[str, Any]],
    *,
    public: PublicPaths,
    auth_service: str,
    unavailable: list[str] | None = None,
    passthrough: dict[str, str] | None = None,
) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {"securitySchemes": {}}
    tags: list[dict[str, str]] = []
    for service in sorted(specs):
        spec = specs[service]
        prefix = _ident(service) + "__"
        info = spec.get("info", {})
        tags.append({"name": service, "description": str(info.get("title") or service)})
        for kind, entries in (spec.get("components") or {}).items():
            if kind == "securitySchemes" or not isinstance(entries, dict):
                continue  # the gateway's own scheme replaces the services'
            target = components.setdefault(kind, {})
            for name, value in entries.items():
                target[prefix + name] = _rewrite_refs(value, prefix)
        for path, item in (spec.get("paths") or {}).items():
            full = gateway_path(service, path, auth_service, passthrough)
            new_item: dict[str, Any] = {}
            for key, value in _rewrite_refs(item, prefix).items():
                if key in _METHODS and isinstance(value, dict):
                    op = value
                    if op.get("tags"):
                        op["x-service-tags"] = op["tags"]
                    op["tags"] = [service]
                    if "operationId" in op:
                        op["operationId"] = f"{_ident(service)}__{op['operationId']}"
                    op.pop("security", None)
                    if public(full):
                        op["security"] = []
                new_item[key] = value
            paths[full] = new_item
    if auth_service not in specs or not any(p.startswith("/auth/") for p in paths):
        for path, item in _AUTH_FALLBACK.items():
            full = "/auth" + path
            ops = copy.deepcopy(item)
            for op in ops.values():
                op["tags"] = [auth_service]
                op["security"] = []
            paths.setdefault(full, ops)
        if auth_service not in specs:
            tags.append({"name": auth_service, "description": "Identity and OpenID Connect provider"})
    components["securitySchemes"][BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from /auth/token (RS256).",
    }
    description = "All services of the supervision platform behind one gateway."
    if unavailable:
        description += f" Not included right now (not reachable): {', '.join(sorted(unavailable))}."
    return {
        "openapi": "3.1.0",
        "info": {"title": "Supervision platform API", "version": "1.0.0", "description": description},
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": components,
        "security": [{BEARER: []}],
    }


class OpenAPIMerger:
    """Fetches the services' documents on first use and again every `refresh_s` (`retry_s` while any is missing)."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        service_urls: dict[str, str],
        *,
        public: PublicPaths,
        auth_service: str,
        timeout_s: float,
        refresh_s: float,
        retry_s: float,
        passthrough: dict[str, str] | None = None,
    ) -> None:
        self._session = session
        self._passthrough = passthrough
        self._urls = service_urls
        self._public = public
        self._auth_service = auth_service
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._refresh_s = refresh_s
        self._retry_s = retry_s
        self._specs: dict[str, dict[str, Any]] = {}
        self._merged: dict[str, Any] | None = None
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self, service: str, url: str) -> dict[str, Any] | None:
        try:
            async with self._session().get(f"{url}/openapi.json", timeout=self._timeout) as resp:
                if resp.status != 200:
                    return None
                spec = await resp.json(content_type=None)
                return spec if isinstance(spec, dict) and isinstance(spec.get("paths"), dict) else None
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            _log.info("openapi document not available", extra={"service": service, "error": repr(exc)})
            return None

    async def refresh(self) -> None:
        names = list(self._urls)
        fetched = await asyncio.gather(*(self._fetch(n, self._urls[n]) for n in names))
        missing = []
        for name, spec in zip(names, fetched, strict=True):
            if spec is not None:
                self._specs[name] = spec
            elif name not in self._specs:  # keep the last good document of a service that went away
                missing.append(name)
        self._merged = merge(
            self._specs,
            public=self._public,
            auth_service=self._auth_service,
            unavailable=missing,
            passthrough=self._passthrough,
        )
        self._next = time.monotonic() + (self._retry_s if missing else self._refresh_s)

    async def document(self) -> dict[str, Any]:
        if self._merged is None or time.monotonic() >= self._next:
            async with self._lock:
                if self._merged is None or time.monotonic() >= self._next:
                    await self.refresh()
        assert self._merged is not None
        return self._merged
