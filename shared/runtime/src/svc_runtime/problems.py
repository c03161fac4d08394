"""RFC 9457 problem details: one error shape for every service, no stack traces to clients."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("svc_runtime.problems")


class Problem(Exception):
    """A domain error rendered as problem details; subclasses set `status` and `title`."""

    status: int = 400
    title: str = "Bad request"
    type_uri: str = "about:blank"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions


class NotFound(Problem):
    status = 404
    title = "Not found"


class Conflict(Problem):
    status = 409
    title = "Conflict"


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class PayloadTooLarge(Problem):
    status = 413
    title = "Payload too large"


class ServiceUnavailable(Problem):
    status = 503
    title = "Service unavailable"


def problem_body(
    status: int, *, title: str | None = None, detail: str | None = None, instance: str | None = None, **ext: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(ext)
    return body


def problem_response(status: int, headers: dict[str, str] | None = None, **fields: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, **fields), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(
        exc.status,
        headers=headers,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        request_id=_request_id(request),
        **exc.extensions,
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        exc.status_code,
        headers=dict(exc.headers) if exc.headers else None,
        detail=str(exc.detail) if exc.detail else None,
        instance=request.url.path,
        request_id=_request_id(request),
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    return problem_response(
        422,
        title="Validation failed",
        detail="The request is not valid; see `errors`.",
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
    )


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    # A constraint that fired at flush or commit time: the request conflicts with stored data.
    _log.info("integrity error", extra={"path": request.url.path, "error": str(getattr(exc, "orig", exc))[:300]})
    return problem_response(
        409,
        title="Conflict",
        detail="The request conflicts with data already stored (a unique or reference constraint); nothing was changed.",
        instance=request.url.path,
        request_id=_request_id(request),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        500,
        detail="An unexpected error occurred; it has been logged.",
        instance=request.url.path,
        request_id=_request_id(request),
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(Exception, _on_unexpected)
