"""Header handling of the proxy: hop-by-hop removal, forwarding headers, request id, W3C trace context."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from starlette.types import Scope

# RFC 9110 §7.6.1 hop-by-hop headers, plus those the gateway sets itself or must not pass on.
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"trailers", b"upgrade", b"host", b"expect"}
)
_FORWARDING = frozenset(
    {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-prefix", b"forwarded"}
)
# uvicorn adds its own Date and Server; the gateway adds its own X-Request-ID.
_RESPONSE_DROP = _HOP_BY_HOP | {b"date", b"server", b"x-request-id"}
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


def _connection_tokens(value: bytes) -> frozenset[bytes]:
    return frozenset(t.strip().lower() for t in value.split(b",") if t.strip())


def _hop(name: bytes, listed: frozenset[bytes]) -> bool:
    return name in _HOP_BY_HOP or name.startswith(b"proxy-") or name in listed


def valid_traceparent(value: str) -> bool:
    match = _TRACEPARENT.match(value)
    if match is None:
        return False
    version, trace_id, parent_id, _flags, rest = match.groups()
    if version == "ff" or trace_id == "0" * 32 or parent_id == "0" * 16:
        return False
    return version != "00" or rest is None


def new_traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


@dataclass(frozen=True)
class Outgoing:
    headers: list[tuple[str, str]]
    trace_id: str
    content_length: int | None
    chunked: bool


def upstream_headers(scope: Scope, *, request_id: str, prefix: str, trust_forwarded: bool) -> Outgoing:
    """Headers for the service: the caller's minus hop-by-hop ones, plus request id, trace and X-Forwarded-*."""
    raw: list[tuple[bytes, bytes]] = scope["headers"]
    listed: frozenset[bytes] = frozenset()
    for name, value in raw:
        if name == b"connection":
            listed = listed | _connection_tokens(value)
    out: list[tuple[str, str]] = []
    host = traceparent = tracestate = None
    forwarded: dict[bytes, str] = {}
    content_length: int | None = None
    chunked = False
    for name, value in raw:
        if _hop(name, listed):
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            continue
        if name == b"traceparent":
            traceparent = value.decode("latin-1").strip().lower()
        elif name == b"tracestate":
            tracestate = value.decode("latin-1")
        elif name in _FORWARDING:
            if trust_forwarded:
                forwarded[name] = value.decode("latin-1")
        elif name != b"x-request-id":
            if name == b"content-length" and value.isdigit():
                content_length = int(value)
            out.append((name.decode("latin-1"), value.decode("latin-1")))
    out.append(("x-request-id", request_id))
    if traceparent is not None and valid_traceparent(traceparent):
        out.append(("traceparent", traceparent))
        if tracestate:
            out.append(("tracestate", tracestate))
    else:
        traceparent = new_traceparent()  # a new trace starts here; an orphan tracestate is dropped
        out.append(("traceparent", traceparent))
    client = scope.get("client")
    client_ip = client[0] if client else None
    chain = forwarded.get(b"x-forwarded-for")
    xff = f"{chain}, {client_ip}" if chain and client_ip else (chain or client_ip)
    if xff:
        out.append(("x-forwarded-for", xff))
    out.append(("x-forwarded-proto", forwarded.get(b"x-forwarded-proto") or scope.get("scheme", "http")))
    fhost = forwarded.get(b"x-forwarded-host") or host
    if fhost:
        out.append(("x-forwarded-host", fhost))
    out.append(("x-forwarded-prefix", prefix))
    if b"forwarded" in forwarded:
        out.append(("forwarded", forwarded[b"forwarded"]))
    return Outgoing(out, traceparent[3:35], content_length, chunked)


def downstream_headers(raw: tuple[tuple[bytes, bytes], ...]) -> tuple[list[tuple[bytes, bytes]], bool]:
    """The service's response headers for the caller, and whether a Content-Length is among them."""
    listed: frozenset[bytes] = frozenset()
    for name, value in raw:
        if name.lower() == b"connection":
            listed = listed | _connection_tokens(value)
    out: list[tuple[bytes, bytes]] = []
    has_length = False
    for name, value in raw:
        lname = name.lower()
        if lname in _RESPONSE_DROP or lname.startswith(b"proxy-") or lname in listed:
            continue
        if lname == b"content-length":
            has_length = True
        out.append((lname, value))
    return out, has_length
