"""The assignment envelope (docs/generation.md), parsed and checked before any work starts."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gpu_agent.cache import CHECKPOINT, LORA, ModelFile
from gpu_agent.errors import validation_error

DEFAULT_HEARTBEAT_SECONDS = 120
CALLBACK_ACTIONS = ("heartbeat", "complete", "fail")


@dataclass(frozen=True)
class WorkflowRef:
    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class BaseModel:
    file: ModelFile
    name: str
    model_hash: str | None


@dataclass(frozen=True)
class Lora:
    file: ModelFile
    name: str
    hash: str | None
    strength: float


@dataclass(frozen=True)
class Parameters:
    prompt: str
    negative_prompt: str
    seed: int
    cfg_scale: float
    steps: int
    width: int
    height: int
    sampler: str
    scheduler: str
    batch_size: int


@dataclass(frozen=True)
class Output:
    index: int
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Envelope:
    """What every job has, whatever its kind: enough to report back."""
    job_id: str
    kind: str
    attempt: int
    callbacks: dict[str, str]
    heartbeat_seconds: float
    expires_at: float | None


@dataclass(frozen=True)
class GenerateJob:
    envelope: Envelope
    workflow: WorkflowRef
    base_model: BaseModel
    loras: tuple[Lora, ...]
    parameters: Parameters
    outputs: tuple[Output, ...]


def parse_envelope(raw: Any) -> Envelope:
    if not isinstance(raw, dict):
        raise validation_error("assignment must be a JSON object")
    callbacks = raw.get("callbacks")
    if not isinstance(callbacks, dict) or not all(isinstance(callbacks.get(action), str) for action in CALLBACK_ACTIONS):
        raise validation_error("assignment.callbacks needs heartbeat, complete and fail URLs")
    heartbeat = raw.get("heartbeatSeconds", DEFAULT_HEARTBEAT_SECONDS)
    expires_at = raw.get("expiresAt")
    return Envelope(job_id=_text(raw, "jobId"), kind=_text(raw, "kind"), attempt=_integer(raw.get("attempt", 1), "attempt"),
                    callbacks={action: callbacks[action] for action in CALLBACK_ACTIONS},
                    heartbeat_seconds=_number(heartbeat, "heartbeatSeconds", minimum=1),
                    expires_at=None if expires_at is None else _number(expires_at, "expiresAt"))


def parse_generate(raw: dict[str, Any], envelope: Envelope) -> GenerateJob:
    workflow = _object(raw, "workflow")
    base = _object(raw, "baseModel")
    loras = raw.get("loras") or []
    if not isinstance(loras, list):
        raise validation_error("loras must be a list")
    outputs = raw.get("outputs")
    if not isinstance(outputs, list) or not outputs:
        raise validation_error("outputs must list at least one upload URL")
    return GenerateJob(
        envelope=envelope,
        workflow=WorkflowRef(_text(workflow, "name"), _text(workflow, "url"), _text(workflow, "sha256")),
        base_model=BaseModel(_model_file(base, CHECKPOINT, "baseModel"), str(base.get("name") or base["filename"]),
                             _optional_text(base, "modelHash")),
        loras=tuple(_lora(item, index) for index, item in enumerate(loras)),
        parameters=_parameters(_object(raw, "parameters")),
        outputs=tuple(_output(item) for item in outputs),
    )


def _model_file(raw: dict[str, Any], kind: str, where: str) -> ModelFile:
    size = raw.get("size")
    return ModelFile(kind=kind, filename=_text(raw, "filename", where), url=_text(raw, "url", where),
                     size=None if size is None else _integer(size, f"{where}.size"),
                     sha256=_optional_text(raw, "sha256"))


def _lora(raw: Any, index: int) -> Lora:
    where = f"loras[{index}]"
    if not isinstance(raw, dict):
        raise validation_error(f"{where} must be an object")
    return Lora(_model_file(raw, LORA, where), str(raw.get("name") or raw.get("filename")),
                _optional_text(raw, "hash"), _number(raw.get("strength", 1.0), f"{where}.strength"))


def _parameters(raw: dict[str, Any]) -> Parameters:
    seed = _integer(raw.get("seed"), "parameters.seed")
    if not 0 <= seed < 2**64:
        raise validation_error("parameters.seed must be between 0 and 2^64-1")
    parameters = Parameters(
        prompt=_text(raw, "prompt", "parameters"), negative_prompt=str(raw.get("negativePrompt") or ""),
        seed=seed, cfg_scale=_number(raw.get("cfgScale"), "parameters.cfgScale", minimum=0),
        steps=_integer(raw.get("steps"), "parameters.steps"),
        width=_integer(raw.get("width"), "parameters.width"), height=_integer(raw.get("height"), "parameters.height"),
        sampler=_text(raw, "sampler", "parameters"), scheduler=_text(raw, "scheduler", "parameters"),
        batch_size=_integer(raw.get("batchSize", 1), "parameters.batchSize"))
    if min(parameters.steps, parameters.width, parameters.height, parameters.batch_size) < 1:
        raise validation_error("steps, width, height and batchSize must be positive")
    return parameters


def _output(raw: Any) -> Output:
    if not isinstance(raw, dict):
        raise validation_error("outputs[] must be objects")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(value, str) for value in headers.values()):
        raise validation_error("outputs[].headers must map names to strings")
    return Output(_integer(raw.get("index"), "outputs[].index"), _text(raw, "url", "outputs[]"), dict(headers))


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise validation_error(f"{key} must be an object")
    return value


def _text(raw: dict[str, Any], key: str, where: str = "assignment") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise validation_error(f"{where}.{key} must be a non-empty string")
    return value


def _optional_text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or (isinstance(value, float)
                                                                         and not value.is_integer()):
        raise validation_error(f"{where} must be an integer")
    return int(value)


def _number(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise validation_error(f"{where} must be a number")
    if minimum is not None and value < minimum:
        raise validation_error(f"{where} must be at least {minimum}")
    return float(value)
