"""API: errors as `application/problem+json` (RFC 9457) — status, title and a human `detail`.

Every error the API returns, validation errors included, is such a document; an unexpected
exception becomes a 500 problem without internals (and is logged).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["PROBLEM_MEDIA_TYPE", "install_problem_handlers", "problem_response"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)


def problem_response(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """A problem document (RFC 9457 §3.1): `type` about:blank, `title` the status phrase."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101 - registered for this type
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem_response(error.status_code, detail, dict(error.headers or {}))


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for this type
    errors = [
        {"loc": _location(item.get("loc", ())), "msg": str(item.get("msg", "")),
         "type": str(item.get("type", ""))}
        for item in error.errors()
    ]  # fmt: skip
    detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors) or "invalid request"
    return problem_response(422, detail, errors=errors)


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    _log.exception("unexpected error in the API", exc_info=error)
    return problem_response(500, "internal error; the server log has the details")


def install_problem_handlers(app: FastAPI) -> None:
    """Route HTTP errors, validation errors and unexpected exceptions to problem documents."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
