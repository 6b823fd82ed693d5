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
from infra.bootstrap import bootstrap
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
    schedule_interval: float | None = None  # override every schedule's rate (seconds)
    extra_env: dict[str, str] = field(default_factory=dict)


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
        self.env = bootstrap(o.prefix, o.timing)
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
        self.server.start()
        for q in R.QUEUES:
            if q.consumer:
                poller = QueuePoller(q.name, self.env[R.queue_env(q.name)], q.consumer, q.batch_size, self._stop)
                poller.start()
                self.pollers.append(poller)
        for s in R.SCHEDULES:
            timer = ScheduleTimer(s.name, s.handler, o.schedule_interval or s.interval_seconds, self._stop)
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
