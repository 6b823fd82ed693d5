"""Runtime configuration, read once from the environment.

Physical resource names arrive as ``VS_TABLE_*``, ``VS_BUCKET_*``, ``VS_QUEUE_*_URL`` and
``VS_STATE_MACHINE_*_ARN`` (set by the template on AWS, by ``infra.bootstrap`` locally).
Secrets have no defaults: a missing secret is a configuration error at first use, never a
silent fallback.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from chalicelib.errors import ConfigurationError


def resource_env(kind: str, logical: str, suffix: str = "") -> str:
    """The environment variable that carries a resource's physical name, e.g. ("QUEUE", "job-events",
    "_URL") -> VS_QUEUE_JOB_EVENTS_URL. infra/ writes these; the Lambdas read them."""
    return f"VS_{kind}_{logical.upper().replace('-', '_')}{suffix}"


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _secret(name: str) -> bytes:
    secret = _env(name)
    if len(secret) < 32:
        raise ConfigurationError(f"{name} must be at least 32 characters")
    return secret.encode()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


@dataclass
class Config:
    @cached_property
    def jwt_secret(self) -> bytes:
        return _secret("VS_JWT_SECRET")

    @cached_property
    def callback_secret(self) -> bytes:
        return _secret("VS_CALLBACK_SECRET")

    @cached_property
    def public_url(self) -> str:
        """Origin the browser and GPU agents use to reach the API (callback URLs are built on it)."""
        return _env("VS_PUBLIC_URL").rstrip("/")

    @cached_property
    def token_ttl_seconds(self) -> int:
        return _int("VS_TOKEN_TTL_SECONDS", 12 * 3600)

    @cached_property
    def callback_ttl_seconds(self) -> int:
        return _int("VS_CALLBACK_TTL_SECONDS", 6 * 3600)

    @cached_property
    def upload_url_ttl_seconds(self) -> int:
        return _int("VS_UPLOAD_URL_TTL_SECONDS", 900)

    @cached_property
    def download_url_ttl_seconds(self) -> int:
        return _int("VS_DOWNLOAD_URL_TTL_SECONDS", 300)

    @cached_property
    def search_refresh_delay_seconds(self) -> int:
        """How long download/like counters may sit before the search index's popularity sorts catch up
        (one refresh per asset per window, however many downloads happen in it). SQS allows 0-900."""
        return max(0, min(900, _int("VS_SEARCH_REFRESH_DELAY_SECONDS", 60)))

    @cached_property
    def storage_events_secret(self) -> bytes:
        """Bearer secret MinIO sends with webhook notifications (POST /api/events/storage)."""
        return _secret("VS_STORAGE_EVENTS_SECRET")

    @cached_property
    def settings_cache_seconds(self) -> float:
        return float(os.environ.get("VS_SETTINGS_CACHE_SECONDS", "2"))

    @cached_property
    def login_attempts_per_window(self) -> int:
        return _int("VS_LOGIN_ATTEMPTS", 10)

    @cached_property
    def login_window_seconds(self) -> int:
        return _int("VS_LOGIN_WINDOW_SECONDS", 900)

    @cached_property
    def registration_default(self) -> bool:
        return _flag("VS_ALLOW_REGISTRATION", True)

    @cached_property
    def agent_poll_wait_seconds(self) -> int:
        return min(_int("VS_AGENT_POLL_WAIT_SECONDS", 20), 20)

    @cached_property
    def generator_heartbeat_seconds(self) -> int:
        """The state machine's HeartbeatSeconds (infra Timing); agents heartbeat well within it."""
        return _int("VS_GENERATOR_HEARTBEAT_SECONDS", 120)

    @cached_property
    def push_dispatch_seconds(self) -> int:
        """How long one run of the scheduled push dispatcher keeps handing out jobs."""
        return _int("VS_PUSH_DISPATCH_SECONDS", 50)

    @cached_property
    def job_timeout_seconds(self) -> int:
        """Deadline after which the sweeper fails a job whatever Step Functions says."""
        return _int("VS_JOB_TIMEOUT_SECONDS", 2 * 3600)

    @cached_property
    def s3_addressing_style(self) -> str:
        return os.environ.get("VS_S3_ADDRESSING_STYLE", "auto")

    def bucket(self, logical: str) -> str:
        return _env(resource_env("BUCKET", logical))

    def queue_url(self, logical: str) -> str:
        return _env(resource_env("QUEUE", logical, "_URL"))

    def state_machine_arn(self, logical: str) -> str:
        return _env(resource_env("STATE_MACHINE", logical, "_ARN"))
