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


# Config properties that hold secrets -> the variable naming them. On AWS ``<variable>_PARAM`` names an
# SSM SecureString parameter holding the value (the template never contains it); locally the value
# itself is in ``<variable>``.
SECRET_PROPERTIES = {"jwt_secret": "VS_JWT_SECRET", "callback_secret": "VS_CALLBACK_SECRET",
                     "storage_events_secret": "VS_STORAGE_EVENTS_SECRET",
                     "origin_verify_secret": "VS_ORIGIN_VERIFY_SECRET"}


def _secret(name: str) -> bytes:
    parameter_name = os.environ.get(f"{name}_PARAM")
    if parameter_name:
        from chalicelib import secret_store  # boto3 only where a parameter is configured

        secret = secret_store.parameter(parameter_name)
        name = f"{name}_PARAM ({parameter_name})"
    else:
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

    # -- edge: CORS, request sizes, client addresses, rate limits ---------------------------
    @cached_property
    def allowed_origins(self) -> tuple[str, ...]:
        """Browser origins allowed to call the API: the public URL's origin plus VS_ALLOWED_ORIGINS
        (comma/space separated; unset: same-origin only). '*' is a configuration error."""
        from chalicelib.edge_policy import parse_origins

        try:
            return parse_origins(os.environ.get("VS_ALLOWED_ORIGINS"), self.public_url)
        except ValueError as e:
            raise ConfigurationError(str(e)) from None

    @cached_property
    def max_request_bytes(self) -> int:
        """Largest API request body. File bytes never pass through the API (presigned URLs); the
        largest legitimate JSON bodies (bulk edits, metadata schemas) stay well below 64 KiB."""
        return max(1024, _int("VS_MAX_REQUEST_BYTES", 256 * 1024))

    @cached_property
    def trusted_proxy_hops(self) -> int:
        """Proxies of ours in front of API Gateway (a CloudFront distribution: 1) whose
        X-Forwarded-For entries are believed; 0 trusts only API Gateway's sourceIp."""
        return max(0, _int("VS_TRUSTED_PROXY_HOPS", 0))

    @cached_property
    def registrations_per_ip(self) -> int:
        return _int("VS_REGISTRATIONS_PER_IP", 20)

    @cached_property
    def registration_window_seconds(self) -> int:
        return _int("VS_REGISTRATION_WINDOW_SECONDS", 3600)

    @cached_property
    def password_changes_per_user(self) -> int:
        """Password changes (attempts, right or wrong current password) per account and login window."""
        return _int("VS_PASSWORD_CHANGES", 5)

    @cached_property
    def comments_per_minute(self) -> int:
        """Comments one member may post per minute (replays of the same text are not counted)."""
        return _int("VS_COMMENTS_PER_MINUTE", 10)

    @cached_property
    def queue_urls(self) -> dict[str, str]:
        """Every queue of the deployment, logical name -> URL, from the VS_QUEUE_<NAME>_URL variables
        (so a queue added to infra/resources.py appears in the admin system view without code here)."""
        return {key[len("VS_QUEUE_"):-len("_URL")].lower().replace("_", "-"): value
                for key, value in os.environ.items()
                if key.startswith("VS_QUEUE_") and key.endswith("_URL") and len(key) > 13 and value}

    # -- scheduled cleanup (chalicelib/services/cleanup_service.py) --------------------------------------
    @cached_property
    def cleanup_options(self):
        """Grace and retention periods of the cleanup jobs (seconds; defaults in CleanupOptions)."""
        from chalicelib.services.cleanup_service import CleanupOptions

        d = CleanupOptions()
        return CleanupOptions(
            orphan_grace=_int("VS_ORPHAN_GRACE_SECONDS", int(d.orphan_grace)),
            incoming_retention=_int("VS_INCOMING_RETENTION_SECONDS", int(d.incoming_retention)),
            removed_retention=_int("VS_REMOVED_RETENTION_SECONDS", int(d.removed_retention)),
            upload_record_retention=_int("VS_UPLOAD_RECORD_RETENTION_SECONDS", int(d.upload_record_retention)),
            read_notification_retention=_int("VS_READ_NOTIFICATION_RETENTION_SECONDS",
                                             int(d.read_notification_retention)),
            unread_notification_retention=_int("VS_UNREAD_NOTIFICATION_RETENTION_SECONDS",
                                               int(d.unread_notification_retention)),
            scan_budget=_int("VS_CLEANUP_SCAN_BUDGET", d.scan_budget))

    # -- S3-compatible storage (docs/minio.md) ------------------------------------------------------------
    @cached_property
    def s3_credentials(self) -> tuple[str, str] | None:
        """Keys of the platform's user on an S3-compatible store (MinIO) whose users are not the AWS account's:
        VS_S3_ACCESS_KEY_ID plus VS_S3_SECRET_ACCESS_KEY (locally) or VS_S3_SECRET_ACCESS_KEY_PARAM (an SSM
        SecureString on AWS). None: S3 uses the same credential chain as every other service."""
        access_key = os.environ.get("VS_S3_ACCESS_KEY_ID", "")
        if not access_key:
            return None
        parameter_name = os.environ.get("VS_S3_SECRET_ACCESS_KEY_PARAM")
        if parameter_name:
            from chalicelib import secret_store

            return access_key, secret_store.parameter(parameter_name)
        return access_key, _env("VS_S3_SECRET_ACCESS_KEY")

    # -- edge: origin verification (chalicelib/edge_policy.py client_ip) ------------------------------------
    @cached_property
    def origin_verify_secret(self) -> bytes | None:
        """Value of the X-Origin-Verify header CloudFront adds to what it forwards: only requests carrying it
        have their X-Forwarded-For believed. On AWS VS_ORIGIN_VERIFY_SECRET_PARAM names an SSM String
        parameter (CloudFront's origin header can resolve only those); locally VS_ORIGIN_VERIFY_SECRET may
        hold it. Unlike the other secrets it is optional: unset, the proxy hop count alone decides."""
        if not (os.environ.get("VS_ORIGIN_VERIFY_SECRET_PARAM") or os.environ.get("VS_ORIGIN_VERIFY_SECRET")):
            return None
        return _secret("VS_ORIGIN_VERIFY_SECRET")
