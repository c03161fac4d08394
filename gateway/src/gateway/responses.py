"""Problem details (RFC 9457) written straight to an ASGI `send`, for the raw proxy path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.types import Send

from svc_runtime.problems import PROBLEM_JSON, problem_body


async def send_problem(
    send: Send,
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] = (),
    **extensions: Any,
) -> None:
    if request_id is not None:
        extensions["request_id"] = request_id
    body = orjson.dumps(problem_body(status, title=title, detail=detail, instance=instance, **extensions))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
