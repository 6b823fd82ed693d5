"""A local HTTP "platform" for agent tests: poll endpoint, signed-looking callbacks, presigned-like storage.

Everything the agent sends is recorded. Query strings stand in for signatures and are ignored,
like a presigned URL's are by anything but S3 itself.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

SHIPPED_WORKFLOW = Path(__file__).resolve().parents[3] / "functions" / "generator" / "workflows" / "sdxl-lora.json"
AGENT_KEY = "vsa_abc123def456.s3cr3t-part-of-the-key"

# (status, JSON body) to answer a callback with; None = the normal answer.
CallbackRule = Callable[[str, dict], tuple[int, dict] | None]


class PlatformStub:
    def __init__(self) -> None:
        self.jobs: deque[dict] = deque()
        self.polls: list[dict[str, str]] = []
        self.callbacks: list[tuple[str, str, dict, int]] = []  # (job id, action, body, status answered)
        self.callback_authorizations: list[str | None] = []
        self.callback_times: list[tuple[str, float]] = []  # (action, time.monotonic() when received)
        self.files: dict[str, bytes] = {}
        self.file_gets: list[tuple[str, str | None]] = []  # (name, Range header)
        self.broken_once: set[str] = set()  # files whose first GET dies halfway
        self.uploads: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.callback_rules: list[CallbackRule] = []
        self.scripted: dict[str, deque[int]] = defaultdict(deque)  # action -> statuses to answer first
        self.finished = threading.Event()  # set by the first complete/fail answered 200
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> PlatformStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- building assignments ----------------------------------------------------------------
    def add_file(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.url}/files/{quote(name)}?X-Amz-Signature=deadbeef"

    def callbacks_for(self, job_id: str) -> dict[str, str]:
        return {action: f"{self.url}/callbacks/{job_id}/{action}?sig=0123" for action in ("heartbeat", "complete", "fail")}

    def generate_job(self, job_id: str = "job-1", *, loras: list[tuple[str, bytes, float]] = (),
                     base: bytes = b"base-model-bytes" * 64, base_sha256: str | None = "auto",
                     workflow: bytes | None = None, heartbeat_seconds: float = 2, batch_size: int = 1,
                     **parameters: Any) -> dict:
        workflow = SHIPPED_WORKFLOW.read_bytes() if workflow is None else workflow
        sha = hashlib.sha256(base).hexdigest() if base_sha256 == "auto" else base_sha256
        job = {
            "jobId": job_id, "kind": "generate", "attempt": 1, "heartbeatSeconds": heartbeat_seconds,
            "expiresAt": 4_000_000_000, "callbacks": self.callbacks_for(job_id),
            "workflow": {"name": "sdxl-lora", "url": self.add_file(f"{job_id}-workflow.json", workflow),
                         "sha256": hashlib.sha256(workflow).hexdigest()},
            "baseModel": {"name": "SDXL base 1.0", "type": "SDXL", "filename": "sd_xl_base_1.0.safetensors",
                          "url": self.add_file("sd_xl_base_1.0.safetensors", base), "size": len(base), "sha256": sha,
                          "modelHash": "31e35c80fc"},
            "loras": [{"name": name, "filename": f"{name}.safetensors",
                       "url": self.add_file(f"{name}.safetensors", content), "size": len(content),
                       "sha256": hashlib.sha256(content).hexdigest(), "hash": hashlib.sha256(content).hexdigest()[:12],
                       "strength": strength} for name, content, strength in loras],
            "parameters": {"prompt": "a lighthouse at dusk", "negativePrompt": "blurry", "seed": 42, "cfgScale": 6.5,
                           "steps": 4, "width": 64, "height": 64, "sampler": "euler", "scheduler": "karras",
                           "batchSize": batch_size, **parameters},
            "outputs": [{"index": index, "url": f"{self.url}/uploads/{job_id}-{index}.png?X-Amz-Signature=feed",
                         "headers": {"Content-Type": "image/png"}} for index in range(batch_size)],
        }
        return job

    def diagnostic_job(self, job_id: str = "diag-1") -> dict:
        return {"jobId": job_id, "kind": "diagnostic", "attempt": 1, "heartbeatSeconds": 2,
                "callbacks": self.callbacks_for(job_id)}

    # -- reading what happened ---------------------------------------------------------------
    def calls(self, action: str, status: int | None = 200) -> list[dict]:
        return [body for _job, name, body, answered in self.callbacks
                if name == action and (status is None or answered == status)]

    def outcome(self, timeout: float = 10) -> tuple[str, dict]:
        """(action, body) of the accepted complete or fail callback."""
        assert self.finished.wait(timeout), f"no outcome; callbacks: {self.callbacks}"
        return next((name, body) for _job, name, body, status in self.callbacks
                    if name in ("complete", "fail") and status == 200)

    # -- answering ---------------------------------------------------------------------------
    def answer_callback(self, job_id: str, action: str, body: dict) -> tuple[int, dict]:
        self.callback_times.append((action, time.monotonic()))
        with self._lock:
            answer = None
            if self.scripted[action]:
                status = self.scripted[action].popleft()
                answer = (status, {"data": None, "errors": [{"code": "X", "message": f"scripted {status}"}]})
            for rule in self.callback_rules:
                answer = answer or rule(action, body)
            answer = answer or (200, {"data": {"accepted": True, "cancel": False}})
            self.callbacks.append((job_id, action, body, answer[0]))
            if action in ("complete", "fail") and answer[0] == 200:
                self.finished.set()
            return answer


def _handler_for(stub: PlatformStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/api/generator/agent/poll":
                stub.polls.append({"authorization": self.headers.get("Authorization", "")})
                if self.headers.get("Authorization") != f"Bearer {AGENT_KEY}":
                    self._json(401, {"data": None, "errors": [{"code": "UNAUTHORIZED", "message": "bad key"}]})
                    return
                job = stub.jobs.popleft() if stub.jobs else None
                self._json(200, {"data": job, "meta": None, "errors": None})
            elif path.startswith("/callbacks/"):
                _, _, job_id, action = path.split("/")
                stub.callback_authorizations.append(self.headers.get("Authorization"))
                self._json(*stub.answer_callback(job_id, action, json.loads(body or b"{}")))
            else:
                self._json(404, {})

        def do_GET(self) -> None:  # noqa: N802
            path = unquote(urlsplit(self.path).path)
            name = path.removeprefix("/files/")
            if not path.startswith("/files/") or name not in stub.files:
                self._json(404, {})
                return
            content, byte_range = stub.files[name], self.headers.get("Range")
            stub.file_gets.append((name, byte_range))
            start = int(byte_range.removeprefix("bytes=").split("-")[0]) if byte_range else 0
            self.send_response(206 if byte_range else 200)
            self.send_header("Content-Length", str(len(content) - start))
            if byte_range:
                self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
            self.end_headers()
            if name in stub.broken_once:
                stub.broken_once.discard(name)
                self.wfile.write(content[start:start + (len(content) - start) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(content[start:])

        def do_PUT(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if not path.startswith("/uploads/"):
                self._json(404, {})
                return
            stub.uploads[path.removeprefix("/uploads/")] = (self._body(), dict(self.headers))
            self._json(200, {})

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _json(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
