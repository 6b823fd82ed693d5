"""The agent's own HTTP endpoints: ``GET /healthz`` always, ``POST /jobs`` in push mode.

Push requests are signed by the platform: ``X-VisionSuit-Signature`` = hex HMAC-SHA256 over
``f"{timestamp}.{body}"`` with key ``sha256(agent secret).hexdigest()``. The signature is
checked before the body is parsed, so an unsigned caller learns nothing about what we accept.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gpu_agent.agent import Agent
from gpu_agent.assignment import CALLBACK_ACTIONS
from gpu_agent.backends import Backend

log = logging.getLogger("visionsuit.agent.server")

MAX_CLOCK_SKEW_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
TIMESTAMP_HEADER = "X-VisionSuit-Timestamp"
SIGNATURE_HEADER = "X-VisionSuit-Signature"


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class _ReplayGuard:
    """Signatures seen within the clock-skew window: a captured request cannot be replayed."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, signature: str, now: float) -> bool:
        with self._lock:
            self._seen = {seen: at for seen, at in self._seen.items() if now - at <= 2 * MAX_CLOCK_SKEW_SECONDS}
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


class AgentServer:
    def __init__(self, agent: Agent, *, mode: str, backend: Backend | None, signing_key: bytes,
                 host: str = "127.0.0.1", port: int = 8081, clock: Callable[[], float] = time.time) -> None:
        self.agent, self.mode, self.backend = agent, mode, backend
        self._key, self._clock = signing_key, clock
        self._replays = _ReplayGuard()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AgentServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), name="agent-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    # -- endpoints ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "busy": self.agent.busy, "jobId": self.agent.current_job_id, "mode": self.mode,
                "backend": getattr(self.backend, "name", None),
                "comfyui": self.backend.health() if self.backend is not None else None}

    def accept_job(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        timestamp, signature = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "").lower()
        now = self._clock()
        if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return 401, {"error": "missing or stale timestamp"}
        if not hmac.compare_digest(sign(self._key, timestamp, body), signature):
            return 401, {"error": "bad signature"}
        if not self._replays.first_use(signature, now):
            return 401, {"error": "replayed request"}
        try:
            job = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "body is not JSON"}
        if not _looks_like_assignment(job):
            return 400, {"error": "not an assignment: jobId, kind and callbacks are required"}
        if not self.agent.try_start(job):
            return 409, {"error": "busy", "jobId": self.agent.current_job_id}
        log.info("accepted pushed job %s", job["jobId"])
        return 202, {"accepted": True, "jobId": job["jobId"]}


def _looks_like_assignment(job: Any) -> bool:
    return (isinstance(job, dict) and isinstance(job.get("jobId"), str) and isinstance(job.get("kind"), str)
            and isinstance(job.get("callbacks"), dict)
            and all(isinstance(job["callbacks"].get(action), str) for action in CALLBACK_ACTIONS))


def _handler_for(server: AgentServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "VisionSuitAgent"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?")[0] == "/healthz":
                self._reply(200, server.health())
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/jobs" or server.mode != "push":
                self._reply(404, {"error": "not found"})
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit():
                self._reply(411, {"error": "Content-Length required"})
                return
            if int(length) > MAX_BODY_BYTES:
                self._reply(413, {"error": "body too large"})
                return
            status, answer = server.accept_job(self.headers, self.rfile.read(int(length)))
            self._reply(status, answer)

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            log.debug("%s %s", self.address_string(), format % args)

    return Handler
