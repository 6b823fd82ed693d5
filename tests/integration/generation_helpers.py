"""Shared set-up of the generation tests: a base model in the base-model bucket, LoRAs uploaded
through the real upload path, a registered agent, and a hand-driven agent for protocol tests."""
from __future__ import annotations

import hashlib
import itertools
import time
import uuid

import requests

from chalicelib import container
from infra.local.seed import demo_png, demo_safetensors
from tests.integration.conftest import S3, wait_for
from tests.integration.test_uploads import upload_model

_ranks = itertools.count(100)  # other test files use ranks below 30 for files of their own
CHECKPOINT = b"VisionSuit test checkpoint " + bytes(range(256)) * 64


def put_base_model(admin, entry_id: str | None = None, **entry) -> str:
    """A checkpoint file in the base-model bucket, offered as a base model entry (returns its id)."""
    entry_id = entry_id or f"ckpt-{uuid.uuid4().hex[:8]}"
    key = f"sdxl/{entry_id}.safetensors"
    cfg = container.config()
    container.storage().put(cfg.bucket("base-models"), key, CHECKPOINT, "application/octet-stream")
    current = admin["api"].get("/api/generator/settings").json()["data"]
    models = [m for m in current.get("baseModels", []) if m["id"] != entry_id][:30]
    models.append({"id": entry_id, "label": f"Test SDXL {entry_id}", "type": "SDXL", "source": "bucket", "key": key,
                   "sha256": hashlib.sha256(CHECKPOINT).hexdigest(), **entry})
    r = admin["api"].put("/api/generator/settings", json={"baseModels": [_entry_body(m) for m in models]})
    assert r.status_code == 200, r.text
    return entry_id


def _entry_body(m: dict) -> dict:
    keep = ("id", "label", "type", "source", "modelId", "key", "sha256", "default")
    return {k: m[k] for k in keep if m.get(k) is not None}


def configure(admin, **changes) -> dict:
    r = admin["api"].put("/api/generator/settings", json=changes)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def upload_lora(curator, title: str | None = None, **extra) -> tuple[str, bytes]:
    """A distinct LoRA (its own bytes, so its own hashes) uploaded by ``curator``; returns (model id, bytes)."""
    data = demo_safetensors(rank=next(_ranks))
    session, done = upload_model(curator, model=data, title=title or f"LoRA {uuid.uuid4().hex[:6]}", **extra)
    assert done["status"] == "ready", done
    return session["modelId"], data


def register_agent(admin, name: str = "test-agent", endpoint: str | None = None) -> str:
    body = {"name": name, **({"endpoint": endpoint} if endpoint else {})}
    r = admin["api"].post("/api/generator/agents", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]["token"]


def clear_queue(admin) -> None:
    """Requests other tests left pending must not reach this test's agent."""
    while admin["api"].post("/api/generator/queue/clear", json={}).json()["data"]["remaining"]:
        pass


def request_body(base_model: str, loras=(), **overrides) -> dict:
    body = {"baseModel": base_model, "prompt": "a lighthouse at dusk, film grain", "negativePrompt": "blurry",
            "seed": 1234, "steps": 20, "cfgScale": 6.5, "width": 512, "height": 512,
            "loras": [{"modelId": m, "strength": 0.8} for m in loras]}
    body.update(overrides)
    return body


def get_request(user, job_id: str) -> dict:
    return user["api"].get(f"/api/generator/requests/{job_id}").json()["data"]


def wait_status(user, job_id: str, *statuses: str, timeout: float = 30) -> dict:
    return wait_for(lambda: (j := get_request(user, job_id))["status"] in statuses and j, timeout=timeout)


class HandAgent:
    """The agent protocol driven by hand, for tests that need to misbehave on purpose."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url, self.key = base_url, key

    def poll(self) -> dict | None:
        r = requests.post(f"{self.base_url}/api/generator/agent/poll", json={},
                          headers={"Authorization": f"Bearer {self.key}"}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def take(self, job_id: str, timeout: float = 30) -> dict:
        """Poll until this job is handed out; others' jobs are failed back so they do not linger."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.poll()
            if job and job["jobId"] == job_id:
                return job
            if job:
                requests.post(job["callbacks"]["fail"], json={"error": "not this test's job"}, timeout=30)
        raise AssertionError(f"job {job_id} was never dispatched")

    @staticmethod
    def call(job: dict, action: str, body: dict) -> requests.Response:
        return requests.post(job["callbacks"][action], json=body, timeout=30)

    @staticmethod
    def upload(job: dict, index: int = 0, png: bytes | None = None) -> bytes:
        out = job["outputs"][index]
        data = png or demo_png(64, 64, text={"parameters": parameters_text(job)})
        r = S3.put(out["url"], data=data, headers=out["headers"], timeout=60)
        r.raise_for_status()
        return data


def parameters_text(job: dict) -> str:
    p, base = job["parameters"], job["baseModel"]
    loras = ", ".join(f"{lora['filename'].rsplit('.', 1)[0]}: {lora['hash']}" for lora in job["loras"])
    line = (f"Steps: {p['steps']}, Sampler: {p['sampler']}, CFG scale: {p['cfgScale']}, Seed: {p['seed']}, "
            f"Size: {p['width']}x{p['height']}, Model: {base['filename'].rsplit('.', 1)[0]}")
    if loras:
        line += f', Lora hashes: "{loras}"'
    return f"{p['prompt']}\nNegative prompt: {p['negativePrompt']}\n{line}"
