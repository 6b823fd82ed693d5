import hashlib
import hmac
import json
import threading
import time

import pytest
import requests

from gpu_agent.backends import PreviewBackend
from gpu_agent.service import AgentService
from tests.unit.gpu_agent.platform_stub import AGENT_KEY

# What the platform knows: the digest of the secret, never the secret itself.
SIGNING_KEY = hashlib.sha256(AGENT_KEY.split(".", 1)[1].encode()).hexdigest().encode()


def _signed(body: bytes, timestamp: int | None = None, key: bytes = SIGNING_KEY) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-VisionSuit-Timestamp": stamp, "X-VisionSuit-Signature": signature, "Content-Type": "application/json"}


@pytest.fixture
def push_service(config):
    service = AgentService(config.replace(mode="push")).start()
    yield service
    service.stop(grace_seconds=2)


def _push(service, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{service.server.url}/jobs", data=body, headers=headers, timeout=5)


def test_signed_push_is_accepted_and_runs(push_service, platform):
    body = json.dumps(platform.diagnostic_job("push-1")).encode()
    answer = _push(push_service, body, _signed(body))
    assert answer.status_code == 202 and answer.json() == {"accepted": True, "jobId": "push-1"}
    action, result = platform.outcome()
    assert action == "complete" and result["result"]["python"]


@pytest.mark.parametrize("case", ["bad-signature", "other-key", "stale", "future", "missing", "tampered-body"])
def test_bad_or_stale_signatures_are_401(push_service, platform, case):
    body = json.dumps(platform.diagnostic_job("push-bad")).encode()
    headers = {
        "bad-signature": {**_signed(body), "X-VisionSuit-Signature": "0" * 64},
        "other-key": _signed(body, key=b"not-the-key"),
        "stale": _signed(body, int(time.time()) - 301),
        "future": _signed(body, int(time.time()) + 301),
        "missing": {"Content-Type": "application/json"},
        "tampered-body": _signed(body),
    }[case]
    sent = body.replace(b"push-bad", b"push-evil") if case == "tampered-body" else body
    answer = _push(push_service, sent, headers)
    assert answer.status_code == 401
    assert not push_service.agent.busy and not platform.callbacks


def test_a_replayed_push_is_refused(push_service, platform):
    body = json.dumps(platform.diagnostic_job("push-replay")).encode()
    headers = _signed(body)
    assert _push(push_service, body, headers).status_code == 202
    platform.outcome()
    assert _push(push_service, body, headers).status_code == 401


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"jobId": "x", "kind": "diagnostic"}).encode()])
def test_signed_but_malformed_bodies_are_400(push_service, body):
    assert _push(push_service, body, _signed(body)).status_code == 400


def test_busy_agent_answers_409_and_healthz_shows_the_job(push_service, platform):
    gate = threading.Event()
    platform.callback_rules.append(lambda action, body: gate.wait(5) and None)
    first = json.dumps(platform.diagnostic_job("push-long")).encode()
    assert _push(push_service, first, _signed(first)).status_code == 202
    second = json.dumps(platform.diagnostic_job("push-next")).encode()
    busy = _push(push_service, second, _signed(second))
    assert busy.status_code == 409 and busy.json()["jobId"] == "push-long"
    health = requests.get(f"{push_service.server.url}/healthz", timeout=5).json()
    assert health["busy"] is True and health["jobId"] == "push-long" and health["mode"] == "push"
    gate.set()
    assert platform.outcome()[0] == "complete"
    assert push_service.agent.wait_idle(5)
    assert requests.get(f"{push_service.server.url}/healthz", timeout=5).json()["busy"] is False


def test_healthz_reports_comfyui_without_leaking_its_command_line(config, comfy):
    with AgentService(config) as service:
        health = requests.get(f"{service.server.url}/healthz", timeout=5).json()
        assert requests.post(f"{service.server.url}/jobs", data=b"{}", timeout=5).status_code == 404, "pull mode"
    assert health["status"] == "ok" and health["busy"] is False and health["jobId"] is None
    assert health["mode"] == "pull" and health["backend"] == "comfyui"
    assert health["comfyui"]["queue"] == {"running": 0, "pending": 0}
    assert health["comfyui"]["system"]["devices"][0]["name"] == "fake:0 Fake GPU"
    assert "argv" not in json.dumps(health)


def test_healthz_with_preview_backend_or_comfyui_down(config, comfy):
    with AgentService(config.replace(backend="preview"), backend=PreviewBackend()) as service:
        health = requests.get(f"{service.server.url}/healthz", timeout=5).json()
        assert health["backend"] == "preview" and health["comfyui"] is None
    comfy.stop()
    with AgentService(config) as service:
        health = requests.get(f"{service.server.url}/healthz", timeout=5).json()
        assert health["status"] == "ok" and health["backend"] == "comfyui" and health["comfyui"] is None
