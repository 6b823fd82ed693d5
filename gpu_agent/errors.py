"""Failures of a job, classified the way the platform's ``fail`` callback expects them."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

MAX_ERROR_CHARS = 2000  # the platform truncates longer messages anyway


class ReasonCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    TRANSIENT_ERROR = "TRANSIENT_ERROR"
    TIMEOUT = "TIMEOUT"
    CANCELED = "CANCELED"
    SYSTEM_ERROR = "SYSTEM_ERROR"


# Whether another attempt (possibly on another agent) can reasonably succeed.
_RETRYABLE_BY_DEFAULT = {ReasonCode.TRANSIENT_ERROR: True, ReasonCode.TIMEOUT: True}


class JobFailure(Exception):
    """Ends a job with a ``fail`` callback; raised anywhere below the runner."""

    def __init__(self, message: str, reason_code: ReasonCode, *, retryable: bool | None = None,
                 node_errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.retryable = _RETRYABLE_BY_DEFAULT.get(reason_code, False) if retryable is None else retryable
        self.node_errors = node_errors

    def callback_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": str(self)[:MAX_ERROR_CHARS], "reasonCode": self.reason_code.value,
                                "retryable": self.retryable}
        if self.node_errors:
            body["nodeErrors"] = self.node_errors
        return body


class JobCanceled(JobFailure):
    def __init__(self, message: str = "Cancelled by the platform") -> None:
        super().__init__(message, ReasonCode.CANCELED, retryable=False)


def validation_error(message: str, node_errors: dict[str, Any] | None = None) -> JobFailure:
    return JobFailure(message, ReasonCode.VALIDATION_ERROR, node_errors=node_errors)


def transient_error(message: str) -> JobFailure:
    return JobFailure(message, ReasonCode.TRANSIENT_ERROR)


def system_error(message: str, *, retryable: bool = False) -> JobFailure:
    return JobFailure(message, ReasonCode.SYSTEM_ERROR, retryable=retryable)
