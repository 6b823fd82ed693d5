"""Runs one assignment from first heartbeat to the final ``complete`` or ``fail`` callback."""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from gpu_agent import pngmeta
from gpu_agent.assignment import Envelope, GenerateJob, parse_envelope, parse_generate
from gpu_agent.backends import QUEUED, RUNNING, Backend, RenderRequest, RenderResult
from gpu_agent.cache import CachedModel, ModelCache
from gpu_agent.config import AgentConfig
from gpu_agent.errors import (
    JobCanceled,
    JobFailure,
    ReasonCode,
    system_error,
    transient_error,
    validation_error,
)
from gpu_agent.platform_client import CallbackRejected, JobGone, PlatformClient, PlatformError, redact
from gpu_agent.retry import RetryPolicy, is_retryable_status, send_with_retry
from gpu_agent.workflow import Graph, LoraUse, hydrate, load_workflow

log = logging.getLogger("visionsuit.agent.runner")

PREPARING, DOWNLOADING, UPLOADING = "preparing", "downloading", "uploading"
# Where each stage sits on the 0-100 bar the platform shows.
STAGE_RANGES = {PREPARING: (0, 5), DOWNLOADING: (5, 30), QUEUED: (30, 30), RUNNING: (30, 90), UPLOADING: (90, 99)}
UPLOAD_MARGIN_SECONDS = 60  # leave time to upload and report before the URLs expire
MAX_WORKFLOW_BYTES = 16 * 1024 * 1024


class JobControl:
    """Why a job must stop: the platform cancelled it, or the agent is shutting down."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.shutting_down = False

    def cancel(self) -> None:
        self.event.set()

    def shut_down(self) -> None:
        self.shutting_down = True
        self.event.set()

    def check(self) -> None:
        if self.event.is_set():
            raise JobCanceled()


class Heartbeat:
    """Sends progress at least every ``interval`` seconds from its own thread while the job is held."""

    def __init__(self, client: PlatformClient, url: str, interval: float, control: JobControl) -> None:
        self._client, self._url, self._interval, self._control = client, url, interval, control
        # Retries of one beat must not outlast the interval: the next beat is the better retry.
        self._retry = RetryPolicy(attempts=3, base_delay_seconds=min(1.0, interval / 8),
                                  max_delay_seconds=interval / 4)
        self._lock = threading.Lock()
        self._stage, self._progress, self._message = PREPARING, 0, None
        self._wake = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def start(self) -> None:
        """The first beat goes out before any work, so a cancelled job stops at once."""
        self._send()
        self._thread.start()

    def update(self, stage: str, fraction: float = 0.0, message: str | None = None) -> None:
        low, high = STAGE_RANGES[stage]
        progress = int(low + (high - low) * max(0.0, min(1.0, fraction)))
        with self._lock:
            changed = stage != self._stage
            self._stage, self._message = stage, message
            self._progress = max(self._progress, progress)  # the bar never moves back
        if changed:
            self._wake.set()

    def stop(self) -> None:
        self._done.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        due = time.monotonic() + self._interval
        while not self._done.is_set():
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            if not self._done.is_set():
                due = time.monotonic() + self._interval  # measured from the start: a slow send eats no slack
                self._send()

    def _send(self) -> None:
        with self._lock:
            body: dict[str, Any] = {"progress": self._progress, "stage": self._stage}
            if self._message:
                body["message"] = self._message[:500]
        try:
            answer = self._client.callback(self._url, body, stop=self._done, retry=self._retry)
        except JobGone:
            log.info("heartbeat answered 410: the job is over on the platform; stopping")
            self._control.cancel()
            return
        except (PlatformError, requests.RequestException) as error:
            # One lost beat is not fatal: the platform's heartbeat timeout is four intervals away.
            log.warning("heartbeat not delivered: %s", error)
            return
        if answer.get("cancel"):
            log.info("the platform asked to cancel the job")
            self._control.cancel()


@dataclass
class _Rendered:
    result: RenderResult
    graph: Graph


class JobRunner:
    def __init__(self, client: PlatformClient, *, config: AgentConfig | None = None, backend: Backend | None = None,
                 cache: ModelCache | None = None) -> None:
        self._client = client
        self._config = config or AgentConfig()
        self._backend = backend
        self._cache = cache
        self._retry = RetryPolicy(self._config.retry_attempts, self._config.retry_base_delay_seconds,
                                  self._config.retry_max_delay_seconds)
        self._storage = requests.Session()  # presigned URLs only: no credentials on this session

    def run(self, raw: Any, control: JobControl | None = None) -> None:
        """Execute the assignment and report its outcome; never raises."""
        control = control or JobControl()
        try:
            envelope = parse_envelope(raw)
        except JobFailure as failure:
            self._fail_unparsable(raw, failure)
            return
        heartbeat = Heartbeat(self._client, envelope.callbacks["heartbeat"],
                              min(60.0, max(0.1, envelope.heartbeat_seconds / 4)), control)
        try:
            heartbeat.start()
            control.check()
            outcome = ("complete", {"result": self._execute(raw, envelope, heartbeat, control)})
            control.check()  # cancelled while uploading: the platform no longer wants the result
        except JobCanceled as cancelled:
            reason = transient_error("the agent is shutting down") if control.shutting_down else cancelled
            outcome = ("fail", reason.callback_body())
        except JobFailure as failure:
            log.warning("job %s failed: %s (%s)", envelope.job_id, failure, failure.reason_code)
            outcome = ("fail", failure.callback_body())
        except Exception as error:  # a bug must cost one job, not the agent
            log.exception("job %s crashed", envelope.job_id)
            outcome = ("fail", system_error(f"agent error: {type(error).__name__}: {error}").callback_body())
        finally:
            heartbeat.stop()  # before the outcome: no beat may follow it
        self._final(envelope, *outcome)

    # -- kinds -------------------------------------------------------------------------------
    def _execute(self, raw: dict, envelope: Envelope, heartbeat: Heartbeat, control: JobControl) -> dict:
        if envelope.kind == "diagnostic":
            heartbeat.update(RUNNING, 0.5)
            return {"agent": platform.node(), "python": platform.python_version()}
        if envelope.kind == "generate":
            return self._generate(parse_generate(raw, envelope), heartbeat, control)
        raise validation_error(f"unsupported job kind {envelope.kind!r}")

    def _generate(self, job: GenerateJob, heartbeat: Heartbeat, control: JobControl) -> dict:
        if self._backend is None or self._cache is None:
            raise system_error("this agent has no renderer configured", retryable=True)
        started_at, warnings = time.time(), []
        deadline = self._deadline(job)
        template = self._workflow(job, control)
        rendered = self._render(job, template, heartbeat, control, deadline, warnings)
        images = rendered.result.images
        if len(images) > len(job.outputs):
            warnings.append(f"{len(images)} images rendered, {len(job.outputs)} upload URLs: extra images dropped")
        elif len(images) < len(job.outputs):
            warnings.append(f"{len(images)} images rendered for {len(job.outputs)} requested")
        texts = self._metadata(job, rendered)
        outputs = []
        for number, (image, target) in enumerate(zip(images, job.outputs, strict=False)):
            control.check()
            heartbeat.update(UPLOADING, number / len(job.outputs))
            png = pngmeta.embed_texts(image, texts)
            self._upload(png, target.url, target.headers, control)
            width, height = pngmeta.png_size(png)
            outputs.append({"index": target.index, "sha256": hashlib.sha256(png).hexdigest(), "bytes": len(png),
                            "width": width, "height": height})
        heartbeat.update(UPLOADING, 1.0)
        return {"outputs": outputs, "promptId": rendered.result.prompt_id,
                "warnings": warnings + rendered.result.warnings,
                "timing": {"startedAt": started_at, "finishedAt": time.time()}}

    def _render(self, job: GenerateJob, template: Graph, heartbeat: Heartbeat, control: JobControl,
                deadline: float, warnings: list[str]) -> _Rendered:
        files = [job.base_model.file, *(lora.file for lora in job.loras)]
        if not self._backend.needs_model_files:
            return self._render_with(job, template, [self._cache.describe(file) for file in files], heartbeat,
                                     control, deadline)
        heartbeat.update(DOWNLOADING, 0.0)

        def downloaded(done: int, total: int) -> None:
            heartbeat.update(DOWNLOADING, done / total if total else 1.0)

        with self._cache.use(files, progress=downloaded, cancel=control.event, warnings=warnings) as models:
            # Rendering inside the lease keeps these files safe from eviction until ComfyUI is done.
            return self._render_with(job, template, models, heartbeat, control, deadline)

    def _render_with(self, job: GenerateJob, template: Graph, models: list[CachedModel], heartbeat: Heartbeat,
                     control: JobControl, deadline: float) -> _Rendered:
        control.check()
        parameters = job.parameters
        values = {"base_model_path": models[0].visible_name, "prompt": parameters.prompt,
                  "negative_prompt": parameters.negative_prompt, "width": parameters.width,
                  "height": parameters.height, "seed": parameters.seed, "steps": parameters.steps,
                  "cfg_scale": parameters.cfg_scale, "sampler": parameters.sampler,
                  "scheduler": parameters.scheduler, "batch_size": parameters.batch_size}
        loras = [LoraUse(model.visible_name, lora.strength) for model, lora in zip(models[1:], job.loras, strict=True)]
        graph = hydrate(template, self._config.bindings_for(job.workflow.name), values, loras)
        request = RenderRequest(job.envelope.job_id, graph, parameters.prompt, parameters.seed, parameters.steps,
                                parameters.width, parameters.height, parameters.batch_size, deadline,
                                frozenset(model.visible_name for model in models))
        self._backend.validate(request, control.event)
        result = self._backend.render(request, lambda stage, fraction: heartbeat.update(stage, fraction), control.event)
        return _Rendered(result, graph)

    # -- pieces ------------------------------------------------------------------------------
    def _deadline(self, job: GenerateJob) -> float:
        parameters = job.parameters
        budget = (self._config.comfyui_execution_timeout_seconds
                  + parameters.steps * parameters.batch_size * self._config.comfyui_per_step_timeout_seconds)
        if job.envelope.expires_at is not None:
            budget = min(budget, job.envelope.expires_at - time.time() - UPLOAD_MARGIN_SECONDS)
        if budget <= 0:
            raise JobFailure("the assignment's URLs expire before a render could finish", ReasonCode.TIMEOUT)
        return time.monotonic() + budget

    def _workflow(self, job: GenerateJob, control: JobControl) -> Graph:
        """The workflow file, fetched once per content hash (the URL is never a local path)."""
        reference = job.workflow
        stored = self._workflow_path(reference.sha256)
        if stored is not None and stored.is_file():
            raw = stored.read_bytes()
            if hashlib.sha256(raw).hexdigest() == reference.sha256.lower():
                return load_workflow(raw, reference.sha256)
        response = self._send(lambda: self._storage.get(reference.url, timeout=self._config.transfer_timeout_seconds,
                                                        allow_redirects=False),
                              f"workflow {reference.name}", control)
        if response.status_code != 200:
            raise _storage_refused(f"workflow {reference.name} download", response.status_code)
        if len(response.content) > MAX_WORKFLOW_BYTES:
            raise validation_error(f"workflow {reference.name} is larger than {MAX_WORKFLOW_BYTES} bytes")
        graph = load_workflow(response.content, reference.sha256)
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            staging = stored.with_suffix(".tmp")
            staging.write_bytes(response.content)
            staging.replace(stored)
        return graph

    def _workflow_path(self, sha256: str) -> Path | None:
        if len(sha256) != 64 or any(char not in "0123456789abcdefABCDEF" for char in sha256):
            raise validation_error("workflow.sha256 must be 64 hex digits")
        return Path(self._config.cache_dir) / "workflows" / f"{sha256.lower()}.json"

    def _metadata(self, job: GenerateJob, rendered: _Rendered) -> dict[str, str]:
        parameters = job.parameters
        lora_hashes = pngmeta.unique_names(
            [(pngmeta.resource_name(lora.file.filename), lora.hash) for lora in job.loras if lora.hash])
        infotext = pngmeta.Infotext(
            prompt=parameters.prompt, negative_prompt=parameters.negative_prompt, steps=parameters.steps,
            sampler=parameters.sampler, scheduler=parameters.scheduler, cfg_scale=parameters.cfg_scale,
            seed=parameters.seed, width=parameters.width, height=parameters.height,
            model_name=pngmeta.resource_name(job.base_model.file.filename), model_hash=job.base_model.model_hash,
            lora_hashes=lora_hashes)
        marker = {"jobId": job.envelope.job_id, "attempt": job.envelope.attempt, "preview": rendered.result.preview,
                  "backend": getattr(self._backend, "name", "unknown")}
        return {"parameters": pngmeta.a1111_parameters(infotext), "prompt": pngmeta.graph_text(rendered.graph),
                "visionsuit": json.dumps(marker, sort_keys=True)}

    def _upload(self, png: bytes, url: str, headers: dict[str, str], control: JobControl) -> None:
        response = self._send(lambda: self._storage.put(url, data=png, headers=headers,
                                                        timeout=self._config.transfer_timeout_seconds,
                                                        allow_redirects=False), f"upload to {redact(url)}", control)
        if response.status_code not in (200, 201, 204):
            raise _storage_refused(f"upload to {redact(url)}", response.status_code)

    def _send(self, send: Any, what: str, control: JobControl) -> requests.Response:
        try:
            return send_with_retry(send, self._retry, what=what, stop=control.event)
        except requests.RequestException as error:
            raise transient_error(f"{what} failed: {type(error).__name__}") from None

    def _final(self, envelope: Envelope, action: str, body: dict[str, Any]) -> None:
        try:
            self._client.callback(envelope.callbacks[action], body)
        except JobGone:
            log.info("job %s: %s refused with 410, the job is already over", envelope.job_id, action)
        except CallbackRejected as error:
            if error.status == 409:  # an earlier try of ours landed; the response was lost
                log.info("job %s: %s already recorded", envelope.job_id, action)
            else:
                log.error("job %s: %s rejected: %s", envelope.job_id, action, error)
        except (PlatformError, requests.RequestException) as error:
            log.error("job %s: %s could not be delivered: %s", envelope.job_id, action, error)

    def _fail_unparsable(self, raw: Any, failure: JobFailure) -> None:
        callbacks = raw.get("callbacks") if isinstance(raw, dict) else None
        url = callbacks.get("fail") if isinstance(callbacks, dict) else None
        log.error("unusable assignment: %s", failure)
        if isinstance(url, str):
            try:
                self._client.callback(url, failure.callback_body())
            except (PlatformError, requests.RequestException) as error:
                log.error("could not report the unusable assignment: %s", error)


def _storage_refused(what: str, status: int) -> JobFailure:
    if status == 403 or is_retryable_status(status):
        # 403 from a presigned URL means expired; the next attempt comes with fresh URLs.
        return transient_error(f"{what} answered HTTP {status}")
    return system_error(f"{what} answered HTTP {status}")
