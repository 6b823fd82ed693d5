"""The whole generation path with the real GPU agent (in-process) driving a fake ComfyUI server:
request -> execution -> SQS -> agent -> ComfyUI -> outputs uploaded -> ingested -> images with
metadata and linked LoRAs. Also cancel reaching ComfyUI, an agent dying mid-job, ComfyUI errors,
and the preview renderer that `make dev` uses."""
import pytest
import requests

from chalicelib import container
from gpu_agent.config import AgentConfig
from gpu_agent.service import AgentService
from tests.fixtures.fake_comfyui import FakeComfyUI
from tests.integration.conftest import wait_for
from tests.integration.generation_helpers import (
    HandAgent,
    clear_queue,
    configure,
    get_request,
    put_base_model,
    register_agent,
    request_body,
    upload_lora,
    wait_status,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def world(admin, make_user):
    curator = make_user("CURATOR")
    first, _ = upload_lora(curator, title="Ink Wash", triggerWords=["inkwash"])
    second, _ = upload_lora(curator, title="Paper Grain", triggerWords=["papergrain"])
    configure(admin, limits={"maxConcurrentPerUser": 10})
    yield {"base": put_base_model(admin), "loras": [first, second], "curator": curator}
    configure(admin, limits={"maxConcurrentPerUser": 2})


def _agent(base_url, key, tmp_path, **overrides) -> AgentService:
    config = AgentConfig(platform_url=base_url, agent_key=key, cache_dir=tmp_path / "cache",
                         comfyui_models_dir=tmp_path / "models", server_port=0, comfyui_history_poll_seconds=0.05,
                         platform_min_poll_interval_seconds=0.2, retry_base_delay_seconds=0.05, **overrides)
    return AgentService(config).start()


def _submit(user, body) -> dict:
    r = user["api"].post("/api/generator/requests", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]


def test_render_through_the_agent_and_comfyui(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    key = register_agent(admin, "comfy-agent")
    with FakeComfyUI(tmp_path / "models", step_seconds=0.01) as comfy:
        agent = _agent(base_url, key, tmp_path, backend="comfyui", comfyui_url=comfy.url)
        try:
            job = _submit(member, request_body(world["base"], world["loras"], prompt="ink wash mountains, inkwash"))
            done = wait_status(member, job["id"], "succeeded", "failed", "timed_out", timeout=60)
            assert done["status"] == "succeeded", get_request(admin, job["id"])
            statuses = [h["status"] for h in done["history"]]
            assert statuses[:4] == ["pending", "queued", "dispatched", "running"] and statuses[-1] == "succeeded"
            # ComfyUI got the hydrated graph under the job's id, with one LoraLoader per LoRA, chained.
            submitted = next(p for p in comfy.prompts if p.get("prompt_id") == job["id"])
            graph = submitted["prompt"]
            loaders = [n for n in graph.values() if n["class_type"] == "LoraLoader"]
            assert len(loaders) == 2 and sorted(n["inputs"]["strength_model"] for n in loaders) == [0.8, 0.8]
            sampler = next(n for n in graph.values() if n["class_type"] == "KSampler")["inputs"]
            assert (sampler["seed"], sampler["steps"], sampler["cfg"]) == (1234, 20, 6.5)
            health = requests.get(f"{agent.server.url}/healthz", timeout=10).json()
            assert health["busy"] is False and health["backend"] == "comfyui"
        finally:
            agent.stop(grace_seconds=5, wait_for_poll=True)
    image_id = done["renderIds"][0]
    image = wait_for(lambda: (i := member["api"].get(f"/api/images/{image_id}").json()["data"])["status"] == "ready"
                     and i)
    assert image["prompt"] == "ink wash mountains, inkwash" and image["visibility"] == "private"
    # The PNG carries A1111 parameters with the model and LoRA hashes, and ComfyUI's executed graph.
    meta = container.catalog().images.get(image_id).meta
    assert meta["model_hash"] and len(meta["lora_hashes"]) == 2, meta
    assert str(meta["params"].get("Seed") or meta["params"].get("seed")) == "1234", meta["params"]
    assert meta.get("rawKey")
    assert set(world["loras"]) <= {r["modelId"] for r in image["resources"]}
    assert (image["width"], image["height"]) == (512, 512)


def test_cancel_reaches_comfyui(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    key = register_agent(admin, "cancel-agent")
    with FakeComfyUI(tmp_path / "models", hang=True) as comfy:
        agent = _agent(base_url, key, tmp_path, backend="comfyui", comfyui_url=comfy.url)
        try:
            job = _submit(member, request_body(world["base"]))
            wait_for(lambda: any(p.get("prompt_id") == job["id"] for p in comfy.prompts), timeout=30)
            r = member["api"].post(f"/api/generator/requests/{job['id']}/cancel", json={})
            assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
            # Within a heartbeat interval the agent hears it and stops the render on the GPU.
            wait_for(lambda: any(i.get("prompt_id") == job["id"] for i in comfy.interrupts)
                     or job["id"] in comfy.queue_deletes, timeout=20)
            wait_for(lambda: not requests.get(f"{agent.server.url}/healthz", timeout=10).json()["busy"], timeout=20)
        finally:
            agent.stop(grace_seconds=5, wait_for_poll=True)
    assert get_request(member, job["id"])["status"] == "cancelled"


def test_comfyui_failure_fails_the_job_with_detail_for_admins(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    key = register_agent(admin, "failing-agent")
    with FakeComfyUI(tmp_path / "models", fail_with="CUDA error: an illegal memory access") as comfy:
        agent = _agent(base_url, key, tmp_path, backend="comfyui", comfyui_url=comfy.url)
        try:
            job = _submit(member, request_body(world["base"]))
            done = wait_status(member, job["id"], "failed", "succeeded", timeout=90)
        finally:
            agent.stop(grace_seconds=5, wait_for_poll=True)
    assert done["status"] == "failed" and "CUDA" not in str(done)
    assert "illegal memory access" in get_request(admin, job["id"])["agentError"]


def test_agent_killed_mid_job_times_out_and_the_next_job_proceeds(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    dying = HandAgent(base_url, register_agent(admin, "dying-agent"))
    first = _submit(member, request_body(world["base"]))
    taken = dying.take(first["id"])
    assert HandAgent.call(taken, "heartbeat", {"progress": 5, "stage": "running"}).status_code == 200
    # ...and then nothing: the process is gone. The heartbeat timeout (4 s on the test stack) fires.
    timed_out = wait_status(member, first["id"], "timed_out", "failed", timeout=40)
    assert timed_out["status"] == "timed_out"
    assert HandAgent.call(taken, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code == 410
    agent = _agent(base_url, register_agent(admin, "healthy-agent"), tmp_path, backend="preview")
    try:
        second = _submit(member, request_body(world["base"]))
        assert wait_status(member, second["id"], "succeeded", "failed", timeout=60)["status"] == "succeeded"
    finally:
        agent.stop(grace_seconds=5, wait_for_poll=True)


def test_preview_renderer_is_deterministic_and_labelled(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    agent = _agent(base_url, register_agent(admin, "preview-agent"), tmp_path, backend="preview")
    try:
        jobs = [_submit(member, request_body(world["base"], seed=77, width=256, height=256)) for _ in range(2)]
        done = [wait_status(member, j["id"], "succeeded", "failed", timeout=60) for j in jobs]
    finally:
        agent.stop(grace_seconds=5, wait_for_poll=True)
    assert [d["status"] for d in done] == ["succeeded", "succeeded"]
    images = [wait_for(lambda d=d: (i := member["api"].get(f"/api/images/{d['renderIds'][0]}").json()["data"])[
        "status"] == "ready" and i) for d in done]
    assert images[0]["prompt"] == "a lighthouse at dusk, film grain"
    # Same prompt and seed: the same picture (the thumbnails' bytes agree).
    thumbs = [requests.get(next(iter(i["previews"].values())), timeout=30).content for i in images]
    assert thumbs[0] == thumbs[1]


def test_several_agents_share_the_queue_one_job_each_at_a_time(world, admin, make_user, base_url, tmp_path):
    clear_queue(admin)
    member = make_user()
    agents = [_agent(base_url, register_agent(admin, f"fleet-{n}"), tmp_path / f"a{n}", backend="preview")
              for n in range(2)]
    try:
        jobs = [_submit(member, request_body(world["base"], seed=n, width=256, height=256)) for n in range(4)]
        done = [wait_status(member, j["id"], "succeeded", "failed", "timed_out", timeout=90) for j in jobs]
    finally:
        for agent in agents:
            agent.stop(grace_seconds=5, wait_for_poll=True)
    assert [d["status"] for d in done] == ["succeeded"] * 4
    spans: dict[str, list[tuple[str, str]]] = {}
    for d in done:
        claim = [h for h in get_request(admin, d["id"])["history"] if h["status"] == "dispatched"][-1]
        spans.setdefault(claim["agent"], []).append((claim["at"], d["history"][-1]["at"]))
    for intervals in spans.values():
        intervals.sort()
        assert all(prev[1] <= nxt[0] for prev, nxt in zip(intervals, intervals[1:], strict=False)), intervals
