"""Domain exceptions. Services raise these; ``chalicelib.envelope`` maps them to HTTP."""
from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str, field: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}


class ValidationError(DomainError):
    code, status = "VALIDATION_ERROR", 400

    def __init__(self, message: str, field: str | None = None, details: list[dict] | None = None):
        super().__init__(message, field)
        # Every individual problem, so a form can mark all bad fields at once.
        self.details = details or [{"code": self.code, "field": field, "message": message}]


class Unauthorized(DomainError):
    code, status = "UNAUTHORIZED", 401


class Forbidden(DomainError):
    code, status = "FORBIDDEN", 403


class NotFound(DomainError):
    code, status = "NOT_FOUND", 404


class MethodNotAllowed(DomainError):
    code, status = "METHOD_NOT_ALLOWED", 405


class Conflict(DomainError):
    code, status = "CONFLICT", 409


class Gone(DomainError):
    code, status = "GONE", 410


class PayloadTooLarge(DomainError):
    code, status = "PAYLOAD_TOO_LARGE", 413


class UnsupportedMediaType(DomainError):
    code, status = "UNSUPPORTED_MEDIA_TYPE", 415


class ProcessingFailed(DomainError):
    code, status = "PROCESSING_FAILED", 422


class RateLimited(DomainError):
    code, status = "RATE_LIMITED", 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class Maintenance(DomainError):
    code, status = "MAINTENANCE", 503


class StorageError(DomainError):
    code, status = "STORAGE_ERROR", 500


class ConfigurationError(DomainError):
    """A deployment mistake (missing secret, missing resource name). Never shown in detail."""

    code, status = "INTERNAL_ERROR", 500


class ItemsRejected(DomainError):
    """A bulk request refused as a whole: one entry per failing item (``field`` = ``items[i]``).
    The status is the most telling item's: 403 if any is not the caller's, else 404, else 400/409."""

    code = "ITEMS_REJECTED"
    _RANK = {"FORBIDDEN": (403, 4), "NOT_FOUND": (404, 3), "CONFLICT": (409, 2), "VALIDATION_ERROR": (400, 1)}

    def __init__(self, message: str, details: list[dict]):
        super().__init__(message)
        self.details = details
        worst = max((d["code"] for d in details), key=lambda c: self._RANK.get(c, (400, 0))[1])
        self.status = self._RANK.get(worst, (400, 0))[0]
