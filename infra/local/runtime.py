"""Assemble the local platform: emulator (or an external stack), resources, API + SPA server,
queue pollers and schedule timers. Used by ``make dev`` and by the integration test session."""
from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from infra import resources as R
from infra.bootstrap import bootstrap, browser_origins, configure_browser_cors
from infra.local.lambda_runtime import QueuePoller, ScheduleTimer

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("visionsuit.local")


@dataclass
class RuntimeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    prefix: str = "vs-local"
    embedded: bool = True  # False: use the AWS_ENDPOINT_URL* already in the environment
    timing: R.Timing = field(default_factory=R.Timing)
    # Per-schedule overrides of the rate (schedule name -> seconds); the others run at their real rate.
    schedule_intervals: dict[str, float] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # "sqs": buckets route ObjectCreated to the ingest queue (AWS, moto, LocalStack). "webhook": S3 is a MinIO-style
    # store that POSTs its events to /api/events/storage, so no bucket notification is configured (docs/minio.md).
    storage_notifications: str = "sqs"
    # "bootstrap": infra.bootstrap creates the resources through the service APIs (the embedded stack).
    # "cloudformation": infra.stack_deploy deploys infra.template as a stack named after the prefix (tier 2).
    provisioning: str = "bootstrap"


def static_dir() -> Path:
    built = ROOT / "frontend" / "dist"
    return built if (built / "index.html").is_file() else ROOT / "frontend" / "placeholder"


class LocalRuntime:
    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        self._stop = threading.Event()
        self._emulator = None
        self.server = None
        self.pollers: list[QueuePoller] = []
        self.timers: list[ScheduleTimer] = []
        self.env: dict[str, str] = {}
        self.deployment = None  # infra.stack_deploy.Deployment when provisioned by CloudFormation
        self.url = ""

    def start(self) -> LocalRuntime:
        o = self.options
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        if o.embedded:
            from infra.local.emulator import EmbeddedMoto

            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
            self._emulator = EmbeddedMoto(o.host)
            os.environ["AWS_ENDPOINT_URL"] = self._emulator.start()
        if o.provisioning == "cloudformation":
            from infra.stack_deploy import deploy_stateful

            if o.storage_notifications != "sqs":
                raise ValueError("the template routes ObjectCreated to SQS: provisioning='cloudformation' needs "
                                 "storage_notifications='sqs'")
            # The template's AllowedOrigin keeps its default: configure_browser_cors below sets the SPA's origin,
            # which is known only once the server is bound (as for bootstrap).
            self.env, self.deployment = deploy_stateful(o.prefix, o.timing)
            log.info("stack %s %s in %.1fs", o.prefix, self.deployment.status, self.deployment.seconds)
        elif o.provisioning == "bootstrap":
            if o.storage_notifications not in ("sqs", "webhook"):
                raise ValueError(f"storage_notifications must be 'sqs' or 'webhook', not {o.storage_notifications!r}")
            self.env = bootstrap(o.prefix, o.timing, bucket_notifications=o.storage_notifications == "sqs")
        else:
            raise ValueError(f"unknown provisioning {o.provisioning!r} (bootstrap | cloudformation)")
        # Bind first so the public URL (callback URLs are built on it) knows the real port.
        from infra.local.server import HttpServer, PlatformApp

        self.env.update(o.extra_env)
        self.env.setdefault("VS_JWT_SECRET", secrets.token_urlsafe(48))
        self.env.setdefault("VS_CALLBACK_SECRET", secrets.token_urlsafe(48))
        self.env.setdefault("VS_STORAGE_EVENTS_SECRET", secrets.token_urlsafe(48))
        os.environ.update(self.env)
        import app as api  # after the environment is complete: PynamoDB reads table names at import

        self.server = HttpServer(PlatformApp(api.app, static_dir()), o.host, o.port)
        self.url = f"http://{o.host}:{self.server.port}"
        os.environ.setdefault("VS_PUBLIC_URL", self.url)
        self.env["VS_PUBLIC_URL"] = os.environ["VS_PUBLIC_URL"]
        configure_browser_cors(self.env, browser_origins())  # the SPA's origin is known only now
        self.server.start()
        for q in R.QUEUES:
            if q.consumer:
                poller = QueuePoller(q.name, self.env[R.queue_env(q.name)], q.consumer, q.batch_size, self._stop)
                poller.start()
                self.pollers.append(poller)
        for s in R.SCHEDULES:
            timer = ScheduleTimer(s.name, s.handler, o.schedule_intervals.get(s.name, s.interval_seconds), self._stop)
            timer.start()
            self.timers.append(timer)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self.pollers + self.timers:
            t.join(timeout=5)
        if self.server:
            self.server.stop()
        if self._emulator:
            self._emulator.stop()
