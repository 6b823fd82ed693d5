"""Job intake loop and callback client."""
from __future__ import annotations

import logging
import platform
import threading
from collections.abc import Callable

import requests

log = logging.getLogger("visionsuit.agent")


class PlatformClient:
    def __init__(self, api_url: str, agent_key: str, timeout: float = 30) -> None:
        self._api = api_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {agent_key}"
        self._timeout = timeout

    def poll(self) -> dict | None:
        r = self._session.post(f"{self._api}/api/generator/agent/poll", json={}, timeout=self._timeout)
        r.raise_for_status()
        return r.json()["data"]

    def callback(self, url: str, body: dict) -> dict:
        # Signed URLs are capabilities of their own: the agent key is not sent along.
        r = requests.post(url, json=body, timeout=self._timeout)
        r.raise_for_status()
        return r.json()["data"]


def run_diagnostic(job: dict, report: Callable[[int], None]) -> dict:
    """Proves the pipeline end to end without touching a GPU."""
    report(50)
    return {"agent": platform.node(), "python": platform.python_version()}


RUNNERS: dict[str, Callable[[dict, Callable[[int], None]], dict]] = {"diagnostic": run_diagnostic}


class Agent:
    def __init__(self, client: PlatformClient, runners: dict | None = None) -> None:
        self._client = client
        self._runners = runners or RUNNERS
        self._stop = threading.Event()

    def handle(self, job: dict) -> None:
        urls = job["callbacks"]
        runner = self._runners.get(job["kind"])
        if runner is None:
            self._client.callback(urls["fail"], {"error": f"unsupported job kind {job['kind']}", "retryable": False})
            return
        try:
            self._client.callback(urls["heartbeat"], {"progress": 0})
            result = runner(job, lambda pct: self._client.callback(urls["heartbeat"], {"progress": pct}))
        except Exception as e:  # report, never crash the loop
            log.exception("job %s failed", job["jobId"])
            self._client.callback(urls["fail"], {"error": str(e)[:2000], "retryable": False})
            return
        self._client.callback(urls["complete"], {"result": result})

    def run_once(self) -> bool:
        job = self._client.poll()
        if job:
            self.handle(job)
        return bool(job)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except requests.RequestException as e:
                log.warning("platform unreachable: %s", e)
                self._stop.wait(5)

    def stop(self) -> None:
        self._stop.set()
