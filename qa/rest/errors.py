"""Every error as RFC 9457 problem details (`application/problem+json`), never a traceback.

The user's mistakes are the project's `ReviewQAError`s and reach the client with the very message
the CLI prints after `Error:`; the status says whose move it is:

| error | status |
|---|---|
| `NotFoundError` (unknown product) | 404 |
| `QueryError`, `DataError`, other `ReviewQAError` (bad question, top-k, split, file) | 400 |
| `ModelError`, `StoreError` (reader or store missing or unreachable: the server's setup) | 503 |
| invalid request (types, ranges, unknown fields, bad JSON) | 422, with `errors` |
| body over the size limit | 413 |
| missing or wrong API key / no key configured | 401 / 403 |
| more requests than workers + queue | 503 with Retry-After |
| anything else (a bug) | 500, logged on the server, the client sees no detail |
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.errors import DataError, ModelError, NotFoundError, QueryError, ReviewQAError, StoreError
from qa.rest.models import Problem, ValidationIssue

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("qa.rest")


class Overloaded(Exception):
    """Every worker is busy and the queue is full: 503 with Retry-After."""

    def __init__(self, retry_after: int, capacity: int) -> None:
        super().__init__(
            f"The server is busy: {capacity} requests are already running or waiting. "
            f"Retry in {retry_after} s (Retry-After)."
        )
        self.retry_after = retry_after


class ApiKeyError(Exception):
    """The API key is missing, wrong, or none is configured for an endpoint that needs one."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _kind(error: ReviewQAError) -> tuple[int, str]:
    if isinstance(error, NotFoundError):
        return 404, "not-found"
    if isinstance(error, ModelError):
        return 503, "model-unavailable"
    if isinstance(error, StoreError):
        return 503, "store-unavailable"
    if isinstance(error, QueryError):
        return 400, "invalid-query"
    if isinstance(error, DataError):
        return 400, "invalid-data"
    return 400, "bad-request"


def problem_response(
    status: int,
    kind: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[ValidationIssue] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    problem = Problem(
        type=f"urn:reviewqa:problem:{kind}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _issues(error: RequestValidationError) -> list[ValidationIssue]:
    issues = []
    for item in error.errors():
        loc = [part if isinstance(part, int) else str(part) for part in item.get("loc", ())]
        issues.append(ValidationIssue(loc=loc, msg=str(item.get("msg", "")), type=str(item.get("type", ""))))
    return issues


def _validation_detail(issues: list[ValidationIssue]) -> str:
    parts = [f"{'.'.join(str(p) for p in issue.loc)}: {issue.msg}" for issue in issues[:5]]
    more = f"; and {len(issues) - 5} more" if len(issues) > 5 else ""
    return "Invalid request: " + "; ".join(parts) + more


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into problem details."""

    async def on_review_qa_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ReviewQAError)
        status, kind = _kind(error)
        return problem_response(status, kind, str(error), instance=request.url.path)

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        issues = _issues(error)
        return problem_response(
            422, "invalid-request", _validation_detail(issues), instance=request.url.path, errors=issues
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).description
        if error.status_code == 404 and detail == "Not Found":
            detail = f"No such endpoint: {request.url.path}. GET /docs lists them."
        kind = {404: "no-such-endpoint", 405: "method-not-allowed", 413: "content-too-large"}.get(
            error.status_code, "http-error"
        )
        return problem_response(
            error.status_code, kind, detail, instance=request.url.path, headers=dict(error.headers or {})
        )

    async def on_overloaded(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Overloaded)
        headers = {"Retry-After": str(error.retry_after)}
        return problem_response(503, "overloaded", str(error), instance=request.url.path, headers=headers)

    async def on_api_key(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiKeyError)
        headers = {"WWW-Authenticate": 'APIKey header="X-API-Key"'} if error.status == 401 else None
        return problem_response(error.status, "api-key", str(error), instance=request.url.path, headers=headers)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("Unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal-error",
            "An unexpected error occurred; it is logged on the server.",
            instance=request.url.path,
        )

    app.add_exception_handler(ReviewQAError, on_review_qa_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Overloaded, on_overloaded)
    app.add_exception_handler(ApiKeyError, on_api_key)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these statuses (their schema is set to Problem by `app.openapi`)."""
    return {status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses}
