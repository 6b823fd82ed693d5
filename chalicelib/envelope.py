"""The response envelope ``{data, meta, errors}`` and the single exception -> HTTP mapping."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import DomainError, ItemsRejected, ValidationError

# Headers every API answer carries; user content is never sniffed or framed, and a JSON answer
# opened as a document may load and run nothing.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": API_CONTENT_SECURITY_POLICY,
}

# Chalice's own error names (its {"Code","Message"} bodies) -> our codes.
_CHALICE_CODES = {
    "BadRequestError": ("VALIDATION_ERROR", 400),
    "BadRequest": ("VALIDATION_ERROR", 400),
    "UnauthorizedError": ("UNAUTHORIZED", 401),
    "ForbiddenError": ("FORBIDDEN", 403),
    "NotFoundError": ("NOT_FOUND", 404),
    "MethodNotAllowedError": ("METHOD_NOT_ALLOWED", 405),
    "ConflictError": ("CONFLICT", 409),
    "UnprocessableEntityError": ("VALIDATION_ERROR", 422),
    "UnsupportedMediaType": ("UNSUPPORTED_MEDIA_TYPE", 415),
    "RequestTimeoutError": ("INTERNAL_ERROR", 504),
    "TooManyRequestsError": ("RATE_LIMITED", 429),
    "InternalServerError": ("INTERNAL_ERROR", 500),
}

_SAFE_CHALICE_MESSAGES = {
    "NOT_FOUND": "Resource not found",
    "METHOD_NOT_ALLOWED": "Method not allowed for this resource",
    "UNSUPPORTED_MEDIA_TYPE": "Unsupported media type; send application/json",
    "INTERNAL_ERROR": "Unexpected server error",
}


def ok(data: Any = None, meta: dict | None = None) -> dict:
    return {"data": data, "meta": meta, "errors": None}


def error_body(errors: list[dict]) -> dict:
    return {"data": None, "meta": None, "errors": errors}


def error(code: str, message: str, field: str | None = None) -> dict:
    return error_body([{"code": code, "field": field, "message": message}])


def from_exception(exc: DomainError) -> tuple[int, dict, dict[str, str]]:
    """(status, body, headers) for a domain error; internal details never leave the process."""
    if isinstance(exc, ValidationError | ItemsRejected):
        body = error_body(exc.details)
    elif exc.status >= 500:
        body = error(exc.code, "Unexpected server error")
    else:
        body = error(exc.code, exc.message, exc.field)
    return exc.status, body, dict(exc.headers)


def from_chalice_body(status: int, body: Any) -> tuple[int, dict] | None:
    """Translate Chalice's built-in error bodies (404/405/415/500...) into the envelope."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return None
    code, mapped_status = _CHALICE_CODES.get(body["Code"], ("INTERNAL_ERROR", status or 500))
    message = _SAFE_CHALICE_MESSAGES.get(code) or str(body["Message"])[:300]
    return mapped_status, error(code, message)


def not_found_route() -> tuple[int, dict]:
    return 404, error("NOT_FOUND", "No such API route")
