"""HTTP client for the ComfyUI server the agent drives (kept on loopback: ComfyUI has no auth)."""
from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

import requests

from gpu_agent.errors import transient_error, validation_error

log = logging.getLogger("visionsuit.agent.comfyui")


class ComfyUIClient:
    def __init__(self, base_url: str, timeout: float = 30.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session = session or requests.Session()
        self.client_id = f"visionsuit-agent-{uuid.uuid4().hex[:12]}"

    # -- transport ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self._session.request(method, f"{self.base_url}{path}", timeout=self._timeout, **kwargs)
        except requests.RequestException as error:
            raise transient_error(f"ComfyUI unreachable at {self.base_url}: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise transient_error(f"ComfyUI {method} {path.split('?')[0]} answered HTTP {response.status_code}")
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code != 200:
            raise transient_error(f"ComfyUI {method} {path.split('?')[0]} answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise transient_error(f"ComfyUI {method} {path.split('?')[0]} answered with something not JSON") from None

    # -- prompts -----------------------------------------------------------------------------
    def submit(self, graph: dict, prompt_id: str) -> str:
        """Queue a graph under our id; ComfyUI's validation errors become a VALIDATION_ERROR."""
        body = {"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id,
                "extra_data": {"visionsuit_job": prompt_id}}
        response = self._request("POST", "/prompt", json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 400:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            message = error.get("message") or "ComfyUI rejected the workflow"
            details = f": {error['details']}" if error.get("details") else ""
            raise validation_error(f"ComfyUI: {message}{details}", answer.get("node_errors") or None)
        if response.status_code != 200 or not isinstance(answer.get("prompt_id"), str):
            raise transient_error(f"ComfyUI /prompt answered HTTP {response.status_code}")
        return answer["prompt_id"]

    def history(self, prompt_id: str) -> dict | None:
        """The history entry of a finished prompt; None while it is queued or running."""
        entry = self._json("GET", f"/history/{quote(prompt_id, safe='')}").get(prompt_id)
        return entry if isinstance(entry, dict) else None

    def forget(self, prompt_id: str) -> None:
        """Drop an old history entry, so a retried job is not mistaken for its earlier attempt."""
        self._request("POST", "/history", json={"delete": [prompt_id]})

    def queue(self) -> tuple[list[str], list[str]]:
        """(running, pending) prompt ids."""
        document = self._json("GET", "/queue")

        def ids(items: Any) -> list[str]:
            return [str(item[1]) for item in items or [] if isinstance(item, list) and len(item) > 1]

        return ids(document.get("queue_running")), ids(document.get("queue_pending"))

    def interrupt(self, prompt_id: str) -> None:
        """Stop this prompt whether it still waits or already runs.

        Deleting from the queue first means it cannot start afterwards; /interrupt is sent only
        if it runs, because builds older than per-prompt interrupts stop whatever is running.
        """
        self._request("POST", "/queue", json={"delete": [prompt_id]})
        running, _pending = self.queue()
        if prompt_id in running:
            self._request("POST", "/interrupt", json={"prompt_id": prompt_id})

    def view(self, image: dict[str, Any]) -> bytes:
        params = {"filename": image.get("filename", ""), "subfolder": image.get("subfolder", ""),
                  "type": image.get("type", "output")}
        response = self._request("GET", "/view", params=params)
        if response.status_code != 200:
            raise transient_error(f"ComfyUI /view of {params['filename']} answered HTTP {response.status_code}")
        return response.content

    # -- introspection -----------------------------------------------------------------------
    def object_info(self, class_types: set[str]) -> dict[str, Any]:
        """Node definitions of just these classes (a full /object_info can be megabytes)."""
        info: dict[str, Any] = {}
        for class_type in sorted(class_types):
            info.update(self._json("GET", f"/object_info/{quote(class_type, safe='')}"))
        return info

    def system_stats(self) -> dict[str, Any]:
        return self._json("GET", "/system_stats")
