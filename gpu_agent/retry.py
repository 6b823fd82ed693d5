"""Bounded exponential backoff with jitter for idempotent HTTP calls."""
from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests

log = logging.getLogger("visionsuit.agent.retry")

RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Delay before the next try; half fixed, half random so a fleet does not retry in lockstep."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (failures - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay_seconds))
        return delay


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def send_with_retry(send: Callable[[], requests.Response], policy: RetryPolicy, *, what: str,
                    stop: threading.Event | None = None) -> requests.Response:
    """Call ``send`` until it answers with a non-retryable status or the attempts run out.

    Returns the last response (the caller judges its status) and re-raises the last network
    error. ``stop`` ends the waiting early (cancelled job): the last outcome is returned as is.
    """
    stop = stop or threading.Event()
    attempt = 0
    while True:
        attempt += 1
        final = attempt >= policy.attempts
        try:
            response = send()
        except (requests.ConnectionError, requests.Timeout) as error:
            if final:
                raise
            wait = policy.delay(attempt)
            log.warning("%s: %s; retry in %.1fs (%d/%d)", what, type(error).__name__, wait, attempt, policy.attempts)
            if stop.wait(wait):
                raise
            continue
        if final or not is_retryable_status(response.status_code):
            return response
        wait = policy.delay(attempt, _retry_after(response))
        log.warning("%s: HTTP %d; retry in %.1fs (%d/%d)", what, response.status_code, wait, attempt,
                    policy.attempts)
        if stop.wait(wait):
            return response


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
