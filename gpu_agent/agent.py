"""One job at a time: the pull loop, the push intake, and the agent's view of its own state.

The agent holds no cloud credentials: only its agent key (a bearer header on the poll endpoint,
and the HMAC key of push requests) and, per job, the signed and presigned URLs it is handed.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests

from gpu_agent.errors import transient_error
from gpu_agent.platform_client import AgentUnauthorized, PlatformClient, PlatformError
from gpu_agent.runner import JobControl, JobRunner

__all__ = ["Agent", "PlatformClient"]

log = logging.getLogger("visionsuit.agent")

UNAUTHORIZED_BACKOFF_SECONDS = 60.0


class Agent:
    def __init__(self, client: PlatformClient, runner: JobRunner | None = None, *,
                 error_backoff_seconds: float = 5.0, min_poll_interval_seconds: float = 1.0) -> None:
        self._client = client
        self._runner = runner or JobRunner(client)  # without a backend: diagnostic jobs only
        self._backoff = error_backoff_seconds
        self._min_poll_interval = min_poll_interval_seconds
        self._stop = threading.Event()
        self._slot = threading.Lock()  # held while a job runs
        self._current: dict[str, Any] | None = None
        self._control: JobControl | None = None
        self._threads: list[threading.Thread] = []

    # -- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def current_job_id(self) -> str | None:
        current = self._current
        return current.get("jobId") if current else None

    # -- running jobs ------------------------------------------------------------------------
    def handle(self, job: dict) -> None:
        """Run one assignment in this thread; waits if another job is still running."""
        with self._slot:
            self._run(job)

    def try_start(self, job: dict) -> bool:
        """Push intake: start the job in the background, or False when a job is already running."""
        if self._stop.is_set() or not self._slot.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                self._run(job)
            finally:
                self._slot.release()

        thread = threading.Thread(target=run, name=f"job-{job.get('jobId')}", daemon=True)
        self._threads = [alive for alive in self._threads if alive.is_alive()] + [thread]
        thread.start()
        return True

    def _run(self, job: dict) -> None:
        self._current, self._control = job, JobControl()
        try:
            self._runner.run(job, self._control)
        finally:
            self._current, self._control = None, None

    # -- pull loop ---------------------------------------------------------------------------
    def run_once(self) -> bool:
        job = self._client.poll()
        if job and self._stop.is_set():
            # Claimed while stopping: hand it back at once rather than let its heartbeat time out.
            self._reject(job)
        elif job:
            self.handle(job)
        return bool(job)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                if not self.run_once():
                    self._stop.wait(self._min_poll_interval - (time.monotonic() - started))
            except AgentUnauthorized:
                log.error("the platform refused the agent key; check VS_AGENT_KEY (retrying in %ds)",
                          UNAUTHORIZED_BACKOFF_SECONDS)
                self._stop.wait(UNAUTHORIZED_BACKOFF_SECONDS)
            except (PlatformError, requests.RequestException, ValueError) as error:
                log.warning("platform unreachable: %s", error)
                self._stop.wait(self._backoff)
            except Exception:  # the loop is the agent: log and keep going
                log.exception("unexpected error in the poll loop")
                self._stop.wait(self._backoff)

    def stop(self) -> None:
        """Take no new work; a running job goes on (see ``abort``)."""
        self._stop.set()

    def abort(self) -> None:
        """Stop the running job now; it is reported as a retryable failure so another agent takes it."""
        control = self._control
        if control is not None:
            control.shut_down()

    def wait_idle(self, timeout: float | None = None) -> bool:
        if not self._slot.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._slot.release()
        return True

    def _reject(self, job: dict) -> None:
        url = (job.get("callbacks") or {}).get("fail")
        if isinstance(url, str):
            try:
                self._client.callback(url, transient_error("the agent is shutting down").callback_body())
            except (PlatformError, requests.RequestException) as error:
                log.warning("could not hand back job %s: %s", job.get("jobId"), error)
