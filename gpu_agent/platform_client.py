"""Talking to the VisionSuit API: the authenticated poll and the signed, credential-free callbacks."""
from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from gpu_agent.retry import RetryPolicy, send_with_retry

log = logging.getLogger("visionsuit.agent.platform")

POLL_PATH = "/api/generator/agent/poll"


class PlatformError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CallbackRejected(PlatformError):
    """The platform refused a callback for good (4xx); retrying would not help."""


class JobGone(CallbackRejected):
    """410: the attempt this callback belongs to is over (cancelled, timed out or superseded)."""


class AgentUnauthorized(PlatformError):
    """The agent key was refused: revoked, disabled or mistyped."""


def redact(url: str) -> str:
    """A URL fit for logs: signed and presigned URLs carry their capability in the query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class PlatformClient:
    def __init__(self, api_url: str, agent_key: str, timeout: float = 45.0, *,
                 retry: RetryPolicy | None = None, callback_timeout: float = 30.0) -> None:
        self._api = api_url.rstrip("/")
        self._poll_session = requests.Session()
        self._poll_session.headers["Authorization"] = f"Bearer {agent_key}"
        # A session of its own: callback URLs are capabilities and must never carry the agent key.
        self._callback_session = requests.Session()
        self._timeout = timeout
        self._callback_timeout = callback_timeout
        self._retry = retry or RetryPolicy()

    def poll(self) -> dict | None:
        """One long poll: the next assignment, or None when the platform had nothing for us."""
        response = self._poll_session.post(f"{self._api}{POLL_PATH}", json={}, timeout=self._timeout)
        if response.status_code == 401:
            raise AgentUnauthorized("the platform refused the agent key", 401)
        if response.status_code != 200:
            raise PlatformError(f"poll answered HTTP {response.status_code}: {_error_text(response)}",
                                response.status_code)
        data = response.json().get("data")
        if data is not None and not isinstance(data, dict):
            raise PlatformError("poll answered with something that is not an assignment")
        return data

    def callback(self, url: str, body: dict[str, Any], *, stop: threading.Event | None = None,
                 retry: RetryPolicy | None = None) -> dict:
        """POST a signed callback, retrying network errors, 5xx and 429 with backoff."""
        response = send_with_retry(
            lambda: self._callback_session.post(url, json=body, timeout=self._callback_timeout, allow_redirects=False),
            retry or self._retry, what=f"callback {redact(url)}", stop=stop)
        if response.status_code == 410:
            raise JobGone(f"job gone: {_error_text(response)}", 410)
        if response.status_code >= 400:
            raise CallbackRejected(f"callback {redact(url)} answered HTTP {response.status_code}: "
                                   f"{_error_text(response)}", response.status_code)
        if response.status_code >= 300:
            raise CallbackRejected(f"callback {redact(url)} redirected; refusing to follow", response.status_code)
        try:
            data = response.json().get("data")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}


def _error_text(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(str(error.get("message", error.get("code", ""))) for error in errors)[:500] or response.reason
    except (ValueError, AttributeError):
        return (response.text or response.reason or "")[:200]
