"""RFC 9457 problem details with a stable `type` URI per error kind."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import get_logger, safe_error_fields

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:ww:problem:"


class Problem(Exception):
    """An error the API reports as problem+json; subclasses fix status and type."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(Problem):
    """The resource does not exist (or the caller may not know it exists)."""

    status, slug, title = 404, "not-found", "Resource not found"


class Conflict(Problem):
    """The request conflicts with the current state."""

    status, slug, title = 409, "conflict", "Conflict with the current state"


class Unauthorized(Problem):
    """No valid credentials."""

    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(Problem):
    """Authenticated, but not allowed."""

    status, slug, title = 403, "forbidden", "Not allowed"


class ValidationFailed(Problem):
    """422 `validation-error`: the request is well-formed but its content is not acceptable;
    `errors` names each field (as the schema validation's answer does)."""

    status, slug, title = 422, "validation-error", "Request validation failed"


class InvalidField(ValidationFailed):
    """A domain rule rejected one field (after schema validation passed)."""

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        super().__init__(
            f"{field}: {message}",
            errors=[{"field": field, "location": location, "message": message, "code": "invalid"}],
        )


class PayloadTooLarge(Problem):
    """The request body exceeds the configured limit."""

    status, slug, title = 413, "payload-too-large", "Request body too large"


class RateLimited(Problem):
    """Too many requests from one caller; the router adds `Retry-After`."""

    status, slug, title = 429, "rate-limited", "Too many requests"


class IdempotencyKeyReuse(Problem):
    """The caller sent a different request under an `Idempotency-Key` it already used."""

    status, slug, title = 422, "idempotency-key-reuse", "Idempotency key reused"


class IdempotencyKeyInProgress(Conflict):
    """Another request with the same `Idempotency-Key` has not finished; retry shortly."""

    slug = "idempotency-key-in-progress"
    title = "A request with this idempotency key is in progress"


def problem_response(
    *, status: int, slug: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    # Extension members never overwrite the standard ones.
    body.update({k: v for k, v in extra.items() if k not in body and k != "instance"})
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    parts = list(loc)
    location = (
        str(parts.pop(0))
        if parts and parts[0] in ("body", "query", "path", "header", "cookie")
        else "body"
    )
    return location, ".".join(str(p) for p in parts) or location


_GENERIC_MESSAGES = {
    "string_pattern_mismatch": "does not have the expected format",
}


def _message(err: Any) -> str:
    """The error's message, never carrying the rejected input (it may be a BSN or a name)."""
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    rejected = err.get("input")
    if isinstance(rejected, str) and len(rejected) >= 3 and rejected in message:
        return _GENERIC_MESSAGES.get(err.get("type", ""), "invalid value")
    return message


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    malformed = False
    for err in exc.errors():
        location, field = _field_path(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            malformed = True
            field = "body"
        # Never echo the rejected input (`input`, `ctx`): it may be a BSN or other
        # personal data. Field path, message and code are enough to correct the request.
        errors.append(
            {
                "field": field,
                "location": location,
                "message": _message(err),
                "code": err.get("type", ""),
            }
        )
    if malformed:
        return problem_response(
            status=400,
            slug="malformed-json",
            title="Malformed JSON body",
            detail="the request body is not valid JSON",
            instance=request.url.path,
            errors=errors,
        )
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem_response(
        status=ValidationFailed.status,
        slug=ValidationFailed.slug,
        title=ValidationFailed.title,
        detail=f"invalid or missing field(s): {fields}",
        instance=request.url.path,
        errors=errors,
    )


_STATUS_SLUGS = {
    400: (Problem.slug, Problem.title),
    401: (Unauthorized.slug, Unauthorized.title),
    403: (Forbidden.slug, Forbidden.title),
    404: (NotFound.slug, NotFound.title),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: (Conflict.slug, Conflict.title),
    413: (PayloadTooLarge.slug, PayloadTooLarge.title),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: (RateLimited.slug, RateLimited.title),
    503: ("unavailable", "Service unavailable"),
}


# SQLSTATE classes that mean "the database is not there right now": connection exception,
# insufficient resources, operator intervention (e.g. admin shutdown), system error.
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
_SQLITE_TRANSIENT = ("database is locked", "database is busy", "unable to open database")


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database is (temporarily) unreachable."""
    if isinstance(exc, sa_exc.TimeoutError):  # pool exhausted waiting for a connection
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is not None:
        return state[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    # No SQLSTATE: psycopg's connection failures (refused, reset, timeout) and SQLite's
    # lock timeouts are OperationalErrors without one.
    if isinstance(exc, sa_exc.OperationalError):
        text = str(getattr(exc, "orig", "")).lower()
        return "sqlite" not in type(exc.orig).__module__ or any(
            t in text for t in _SQLITE_TRANSIENT
        )
    return False


DB_UNAVAILABLE_RETRY_AFTER_S = 5
"""`Retry-After` of a 503 when the database is unreachable: a restart or fail-over."""


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, including framework ones, answer as problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        response = problem_response(
            status=exc.status_code,
            slug=slug,
            title=title,
            detail=str(exc.detail),
            instance=request.url.path,
        )
        if exc.headers:  # e.g. `Allow` on 405, which RFC 9110 requires
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database(request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        # Handled here, not by the catch-all below: Starlette re-raises what reaches the
        # catch-all so that the server logs it again, with the full message.
        if database_unavailable(exc):
            log.warning(
                "http.database_unavailable", path=request.url.path, **safe_error_fields(exc)
            )
            response = problem_response(
                status=503,
                slug="unavailable",
                title="Service unavailable",
                detail="the database is unavailable; retry later",
                instance=request.url.path,
            )
            response.headers["Retry-After"] = str(DB_UNAVAILABLE_RETRY_AFTER_S)
            return response
        if isinstance(exc, sa_exc.DataError):
            # SQLSTATE class 22 (value out of range, invalid text): the input, not the code,
            # is wrong, and the schema layer should have caught it. Log it to add that bound.
            log.warning("http.database_data_error", path=request.url.path, **safe_error_fields(exc))
            return problem_response(
                status=ValidationFailed.status,
                slug=ValidationFailed.slug,
                title=ValidationFailed.title,
                detail="a value in the request cannot be stored",
                instance=request.url.path,
                errors=[],
            )
        log.error("http.unhandled_error", path=request.url.path, **safe_error_fields(exc))
        return _internal_error(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("http.unhandled_error", path=request.url.path, **safe_error_fields(exc))
        return _internal_error(request)


def _internal_error(request: Request) -> JSONResponse:
    return problem_response(
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="an unexpected error occurred",
        instance=request.url.path,
    )


def _problem_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_doc("Malformed request (e.g. invalid JSON)"),
    401: _problem_doc("Missing, expired or invalid bearer token"),
    403: _problem_doc("The caller's role or scopes do not allow this"),
    404: _problem_doc("No such resource, or not visible to the caller"),
    413: _problem_doc("Request body over the size limit"),
    422: _problem_doc("Validation failed; `errors` names each field"),
}
"""Error responses every authenticated endpoint can give, for the OpenAPI document."""


def conflict_doc(description: str) -> dict[int | str, dict[str, Any]]:
    """The 409 `conflict` of an operation whose resource's state can refuse it."""
    return {409: _problem_doc(f"`conflict`: {description}")}
