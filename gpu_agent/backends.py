"""Renderers: ComfyUI on the GPU, or a CPU preview that exercises the whole pipeline without one."""
from __future__ import annotations

import hashlib
import io
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont

from gpu_agent.comfyui import ComfyUIClient
from gpu_agent.errors import JobCanceled, JobFailure, ReasonCode, system_error, transient_error, validation_error
from gpu_agent.workflow import Graph, check_against_object_info

log = logging.getLogger("visionsuit.agent.backend")

QUEUED, RUNNING = "queued", "running"
# (stage, fraction of that stage done, 0..1)
StageProgress = Callable[[str, float], None]


@dataclass
class RenderRequest:
    job_id: str
    graph: Graph
    prompt: str
    seed: int
    steps: int
    width: int
    height: int
    batch_size: int
    deadline: float  # time.monotonic() by which the render must be done
    model_names: frozenset[str] = frozenset()  # names the agent placed in the models dir


@dataclass
class RenderResult:
    images: list[bytes]
    prompt_id: str
    warnings: list[str] = field(default_factory=list)
    preview: bool = False


class Backend(Protocol):
    name: str
    needs_model_files: bool

    def validate(self, request: RenderRequest, cancel: threading.Event) -> None: ...

    def render(self, request: RenderRequest, progress: StageProgress, cancel: threading.Event) -> RenderResult: ...

    def health(self) -> dict[str, Any] | None: ...


# --- ComfyUI ----------------------------------------------------------------------------------

class ComfyUIBackend:
    name = "comfyui"
    needs_model_files = True

    def __init__(self, client: ComfyUIClient, *, poll_seconds: float = 1.0, model_refresh_seconds: float = 15.0,
                 expected_step_seconds: float = 0.5, lost_prompt_polls: int = 3) -> None:
        self.client = client
        self._poll = poll_seconds
        self._refresh = model_refresh_seconds
        self._step_seconds = expected_step_seconds  # refined after every render
        self._lost_prompt_polls = lost_prompt_polls

    def validate(self, request: RenderRequest, cancel: threading.Event) -> None:
        """Check the graph against /object_info, giving ComfyUI time to notice newly placed model files."""
        classes = {node["class_type"] for node in request.graph.values()}
        give_up = time.monotonic() + self._refresh
        while True:
            node_errors = check_against_object_info(request.graph, self.client.object_info(classes))
            unseen = _unseen_models(node_errors, request.model_names)
            if not unseen or time.monotonic() >= give_up:
                break
            if cancel.wait(min(self._poll, 1.0)):
                raise JobCanceled()
        if unseen and all(error in unseen for error in _errors(node_errors)):
            names = sorted({error["extra_info"]["received_value"] for error in unseen})
            raise system_error(f"ComfyUI does not list {', '.join(names)}; is comfyui.models_dir the models "
                               "folder of this ComfyUI?", retryable=True)
        if node_errors:
            raise validation_error("the workflow does not fit this ComfyUI (see nodeErrors)", node_errors)

    def render(self, request: RenderRequest, progress: StageProgress, cancel: threading.Event) -> RenderResult:
        warnings: list[str] = []
        self._clear_leftovers(request.job_id)
        prompt_id = self.client.submit(request.graph, request.job_id)
        if prompt_id != request.job_id:
            warnings.append("this ComfyUI ignores client prompt ids; it named the prompt " + prompt_id)
        try:
            entry = self._wait(prompt_id, request, progress, cancel)
        except JobFailure:
            self.interrupt(prompt_id)  # nobody will collect this render any more
            raise
        _raise_for_status(entry, cancelled=cancel.is_set())
        images = [self.client.view(image) for image in _output_images(entry, request.graph)]
        if not images:
            raise system_error("ComfyUI finished without saving an image (no SaveImage output)")
        return RenderResult(images, prompt_id, warnings)

    def _wait(self, prompt_id: str, request: RenderRequest, progress: StageProgress,
              cancel: threading.Event) -> dict[str, Any]:
        """Follow the prompt until its history entry says it ended; progress is estimated meanwhile."""
        expected = max(1.0, request.steps * request.batch_size * self._step_seconds)
        started, unseen_polls, failed_polls = None, 0, 0
        progress(QUEUED, 0.0)
        while True:
            if cancel.is_set():
                raise JobCanceled()
            if time.monotonic() > request.deadline:
                raise JobFailure("ComfyUI did not finish in time", ReasonCode.TIMEOUT)
            try:
                entry = self.client.history(prompt_id)
                running, pending = self.client.queue()
                failed_polls = 0
            except JobFailure:
                failed_polls += 1  # a busy ComfyUI answers slowly now and then
                if failed_polls > self._lost_prompt_polls:
                    raise
                cancel.wait(self._poll)
                continue
            if entry is not None and _finished(entry):
                break
            if prompt_id in running:
                started = started or time.monotonic()
                # History only appears at the end, so progress is an estimate that approaches 1.
                progress(RUNNING, 1 - math.exp(-(time.monotonic() - started) / expected))
            elif prompt_id in pending:
                progress(QUEUED, 0.0)
            elif entry is None:
                unseen_polls += 1
                if unseen_polls > self._lost_prompt_polls:
                    raise transient_error("ComfyUI lost the prompt (restarted?)")
            cancel.wait(self._poll)
        if started is not None:
            measured = (time.monotonic() - started) / max(1, request.steps * request.batch_size)
            self._step_seconds = 0.7 * self._step_seconds + 0.3 * measured
        return entry

    def interrupt(self, prompt_id: str) -> None:
        try:
            self.client.interrupt(prompt_id)
        except JobFailure as error:
            log.warning("could not interrupt ComfyUI prompt %s: %s", prompt_id, error)

    def health(self) -> dict[str, Any] | None:
        try:
            running, pending = self.client.queue()
            stats = self.client.system_stats()
        except JobFailure:
            return None
        stats = stats if isinstance(stats, dict) else {}
        system = stats.get("system") if isinstance(stats.get("system"), dict) else {}
        devices = [{key: device.get(key) for key in ("name", "type", "vram_total", "vram_free")}
                   for device in stats.get("devices") or [] if isinstance(device, dict)]
        # Not argv or paths: healthz answers anyone who can reach the port.
        summary = {key: system.get(key) for key in ("comfyui_version", "python_version", "pytorch_version")}
        return {"queue": {"running": len(running), "pending": len(pending)}, "system": {**summary, "devices": devices}}

    def _clear_leftovers(self, prompt_id: str) -> None:
        """An earlier attempt of this job may still sit in ComfyUI's queue or history under the same id."""
        running, pending = self.client.queue()
        if prompt_id in running or prompt_id in pending:
            self.client.interrupt(prompt_id)
        self.client.forget(prompt_id)


def _errors(node_errors: dict[str, Any]) -> list[dict[str, Any]]:
    return [error for entry in node_errors.values() for error in entry["errors"]]


def _unseen_models(node_errors: dict[str, Any], model_names: frozenset[str]) -> list[dict[str, Any]]:
    """Errors about model files the agent itself placed: ComfyUI may not have rescanned yet."""
    return [error for error in _errors(node_errors) if error["extra_info"].get("received_value") in model_names]


def _finished(entry: dict[str, Any]) -> bool:
    status = entry.get("status") or {}
    return bool(status.get("completed")) or status.get("status_str") in ("success", "error")


def _raise_for_status(entry: dict[str, Any], *, cancelled: bool) -> None:
    status = entry.get("status") or {}
    if status.get("status_str", "success") == "success":
        return
    events = {event: data for event, data in status.get("messages", []) if isinstance(data, dict)}
    if cancelled:
        raise JobCanceled()
    if "execution_interrupted" in events:
        raise transient_error("the render was interrupted on the GPU node")
    error = events.get("execution_error", {})
    message = (f"{error.get('node_type', 'node')} (node {error.get('node_id', '?')}): "
               f"{error.get('exception_type', 'error')}: {error.get('exception_message', 'execution failed')}")
    if "out of memory" in message.lower() or "OutOfMemory" in str(error.get("exception_type")):
        raise transient_error(message)  # another attempt may land on a GPU with more free memory
    raise system_error(message)


def _output_images(entry: dict[str, Any], graph: Graph) -> list[dict[str, Any]]:
    """Saved images ("output", not previews' "temp"), in node then batch order."""
    outputs = entry.get("outputs") or {}
    order = sorted(outputs, key=lambda node_id: (0, int(node_id)) if str(node_id).isdigit() else (1, str(node_id)))
    return [image for node_id in order if node_id in graph
            for image in (outputs[node_id] or {}).get("images", []) if image.get("type", "output") == "output"]


# --- preview (CPU) --------------------------------------------------------------------------

PREVIEW_LABEL = "PREVIEW RENDER — no GPU"


class PreviewBackend:
    name = "preview"

    def __init__(self, *, fetch_models: bool = False) -> None:
        self.needs_model_files = fetch_models

    def validate(self, request: RenderRequest, cancel: threading.Event) -> None:
        if not 8 <= request.width <= 4096 or not 8 <= request.height <= 4096:
            raise validation_error(f"size {request.width}x{request.height} is out of range")

    def render(self, request: RenderRequest, progress: StageProgress, cancel: threading.Event) -> RenderResult:
        images = []
        for index in range(request.batch_size):
            if cancel.is_set():
                raise JobCanceled()
            # Batch items differ like ComfyUI's: consecutive seeds.
            images.append(preview_png(request.prompt, request.seed + index, request.width, request.height))
            progress(RUNNING, (index + 1) / request.batch_size)
        return RenderResult(images, request.job_id, preview=True)

    def health(self) -> dict[str, Any] | None:
        return None


def preview_png(prompt: str, seed: int, width: int, height: int) -> bytes:
    """A deterministic picture of (prompt, seed): gradient and shapes, labelled as a preview."""
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    rng = random.Random(digest)
    start, end = tuple(digest[0:3]), tuple(digest[3:6])
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), start), Image.new("RGB", (width, height), end), mask)
    draw = ImageDraw.Draw(image)
    for _ in range(3 + digest[6] % 5):
        x, y = rng.uniform(-0.2, 1.0) * width, rng.uniform(-0.2, 1.0) * height
        w, h = rng.uniform(0.1, 0.5) * width, rng.uniform(0.1, 0.5) * height
        color = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=color, outline=(255, 255, 255), width=max(1, width // 256))
    _label(draw, width, height, seed)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # speed over size: previews are throwaway
    return out.getvalue()


def _label(draw: ImageDraw.ImageDraw, width: int, height: int, seed: int) -> None:
    size = max(8, width // 24)
    try:
        font: Any = ImageFont.load_default(size=size)
        text = f"{PREVIEW_LABEL}\nseed {seed}"
    except (ImportError, OSError):  # Pillow without FreeType: bitmap font, ASCII only
        font = ImageFont.load_default()
        text = f"{PREVIEW_LABEL.replace('—', '-')}\nseed {seed}"
    band = int(size * 2.8)
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0))
    draw.multiline_text((max(2, size // 2), height - band + size // 4), text, fill=(255, 255, 255), font=font,
                        spacing=size // 4)
