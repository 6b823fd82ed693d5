import hashlib
import io
import json
import time

import pytest
from PIL import Image

from functions.ingest.generation_metadata import extract
from gpu_agent.agent import Agent
from gpu_agent.backends import PreviewBackend, preview_png
from gpu_agent.pngmeta import read_texts
from gpu_agent.service import AgentService, build_backend
from tests.unit.gpu_agent.platform_stub import AGENT_KEY


def _run(config, platform, job, backend=None):
    service = AgentService(config, backend=backend)
    service.agent.handle(job)
    return service


def _upload(platform, name):
    return platform.uploads[name][0]


def test_generate_job_renders_through_comfyui_and_reports(config, platform, comfy, models_dir):
    lora_a, lora_b = b"neon-lora" * 50, b"film-grain" * 70
    job = platform.generate_job("job-ok", loras=[("neon_glow", lora_a, 0.8), ("film grain", lora_b, 3.0)],
                                batch_size=2)
    _run(config, platform, job)

    action, body = platform.outcome()
    assert action == "complete", body
    result = body["result"]
    assert result["promptId"] == "job-ok" and result["timing"]["finishedAt"] >= result["timing"]["startedAt"]
    assert [output["index"] for output in result["outputs"]] == [0, 1]
    for output in result["outputs"]:
        png, headers = platform.uploads[f"job-ok-{output['index']}.png"]
        assert headers["Content-Type"] == "image/png"
        assert output == {"index": output["index"], "sha256": hashlib.sha256(png).hexdigest(), "bytes": len(png),
                          "width": 64, "height": 64}

    sent = comfy.prompts[0]
    assert sent["prompt_id"] == "job-ok" and sent["extra_data"] == {"visionsuit_job": "job-ok"}
    loaders = sorted((node["inputs"]["lora_name"], node["inputs"]["strength_model"])
                     for node in sent["prompt"].values() if node["class_type"] == "LoraLoader")
    assert [name.split("-")[0] for name, _ in loaders] == ["film_grain", "neon_glow"]
    assert sorted(strength for _, strength in loaders) == [0.8, 2.0]
    ckpt = sent["prompt"]["1"]["inputs"]["ckpt_name"]
    assert (models_dir / "checkpoints" / ckpt).is_file()

    png = _upload(platform, "job-ok-0.png")
    texts = read_texts(png)
    assert json.loads(texts["prompt"]) == sent["prompt"], "the PNG carries the executed graph"
    assert json.loads(texts["visionsuit"]) == {"attempt": 1, "backend": "comfyui", "jobId": "job-ok", "preview": False}
    metadata = extract(png)
    assert metadata.source == "a1111" and metadata.prompt == "a lighthouse at dusk"
    assert metadata.model_hash == "31e35c80fc" and metadata.model_name == "sd_xl_base_1.0"
    assert metadata.lora_hashes == {"neon_glow": hashlib.sha256(lora_a).hexdigest()[:12],
                                    "film grain": hashlib.sha256(lora_b).hexdigest()[:12]}
    assert metadata.params["seed"] == 42 and metadata.params["cfgScale"] == 6.5

    beats = platform.calls("heartbeat")
    assert beats[0] == {"progress": 0, "stage": "preparing"}
    progress = [beat["progress"] for beat in beats]
    assert progress == sorted(progress) and all(0 <= value <= 100 for value in progress)
    assert set(platform.callback_authorizations) == {None}, "callbacks never carry the agent key"


def test_comfyui_node_errors_fail_the_job_as_validation_error(config, platform, comfy):
    # 8 px passes the agent's own checks but not EmptyLatentImage's minimum of 16.
    _run(config, platform, platform.generate_job("job-small", width=8, height=8))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "VALIDATION_ERROR" and body["retryable"] is False
    assert body["nodeErrors"]["5"]["errors"][0]["type"] == "value_smaller_than_min"
    assert not comfy.prompts and comfy.rejected


def test_unknown_sampler_is_caught_against_object_info_before_queueing(config, platform, comfy):
    _run(config, platform, platform.generate_job("job-sampler", sampler="warp_drive"))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "VALIDATION_ERROR"
    assert body["nodeErrors"]["6"]["errors"][0]["extra_info"]["received_value"] == "warp_drive"
    assert not comfy.prompts and not comfy.rejected


def test_heartbeat_410_interrupts_comfyui_and_reports_canceled(config, platform, comfy):
    comfy.hang = True
    platform.callback_rules.append(
        lambda action, body: (410, {"errors": [{"code": "GONE"}]}) if body.get("stage") == "running" else None)
    started = time.monotonic()
    _run(config, platform, platform.generate_job("job-cancel", heartbeat_seconds=1))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "CANCELED" and body["retryable"] is False
    assert {"prompt_id": "job-cancel"} in comfy.interrupts
    assert comfy.wait_idle(5)
    assert comfy.history["job-cancel"]["status"]["status_str"] == "error"
    assert time.monotonic() - started < 5


def test_cancel_flag_in_a_heartbeat_answer_stops_the_job_too(config, platform, comfy):
    comfy.hang = True
    platform.callback_rules.append(lambda action, body: (
        200, {"data": {"accepted": True, "cancel": True}}) if body.get("stage") == "running" else None)
    _run(config, platform, platform.generate_job("job-cancel-flag", heartbeat_seconds=1))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "CANCELED"
    assert {"prompt_id": "job-cancel-flag"} in comfy.interrupts


def test_callbacks_are_retried_after_a_503(config, platform, comfy):
    platform.scripted["complete"].extend([503, 503])
    _run(config, platform, platform.diagnostic_job("diag-retry"))
    action, body = platform.outcome()
    assert action == "complete" and body["result"]["python"]
    assert [status for _, name, _, status in platform.callbacks if name == "complete"] == [503, 503, 200]


def test_other_4xx_on_a_callback_is_not_retried(config, platform, comfy):
    platform.scripted["complete"].append(400)
    _run(config, platform, platform.diagnostic_job("diag-400"))
    assert [status for _, name, _, status in platform.callbacks if name == "complete"] == [400]


def test_execution_errors_are_classified(config, platform, comfy):
    comfy.fail_with = "CUDA out of memory. Tried to allocate 2.00 GiB"
    _run(config, platform, platform.generate_job("job-oom"))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "TRANSIENT_ERROR" and body["retryable"] is True
    assert "KSampler" in body["error"] and "out of memory" in body["error"]


def test_unreachable_comfyui_is_transient(config, platform, comfy):
    comfy.stop()
    _run(config.replace(comfyui_model_refresh_seconds=0.1), platform, platform.generate_job("job-down"))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "TRANSIENT_ERROR" and body["retryable"] is True


def test_model_hash_mismatch_fails_without_rendering(config, platform, comfy):
    _run(config, platform, platform.generate_job("job-badhash", base_sha256="0" * 64))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "VALIDATION_ERROR" and "SHA-256" in body["error"]
    assert not comfy.prompts


def test_tampered_workflow_is_refused(config, platform, comfy):
    job = platform.generate_job("job-wf")
    job["workflow"]["sha256"] = "1" * 64
    _run(config, platform, job)
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "VALIDATION_ERROR" and "workflow" in body["error"]


def test_malformed_assignment_is_reported_as_validation_error(config, platform, comfy):
    job = platform.generate_job("job-bad")
    del job["parameters"]["prompt"]
    _run(config, platform, job)
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "VALIDATION_ERROR" and "prompt" in body["error"]


def test_diagnostic_job_keeps_working_with_the_bare_agent(platform):
    from gpu_agent.agent import PlatformClient

    client = PlatformClient(platform.url, AGENT_KEY)
    platform.jobs.append({"jobId": "diag", "kind": "diagnostic", "attempt": 1, "callbacks": platform.callbacks_for("diag")})
    assert Agent(client).run_once() is True
    action, body = platform.outcome()
    assert action == "complete" and set(body["result"]) == {"agent", "python"}
    assert platform.calls("heartbeat")[0]["progress"] == 0


def test_preview_backend_is_deterministic_and_fast():
    first = preview_png("a lighthouse", 7, 1024, 1024)
    assert preview_png("a lighthouse", 7, 1024, 1024) == first
    assert preview_png("a lighthouse", 8, 1024, 1024) != first
    assert preview_png("a lighthouse!", 7, 1024, 1024) != first
    with Image.open(io.BytesIO(preview_png("x", 1, 96, 64))) as image:
        assert image.size == (96, 64)
    started = time.perf_counter()
    preview_png("timing", 3, 1024, 1024)
    assert time.perf_counter() - started < 0.5


def test_preview_job_runs_the_whole_pipeline_without_models(config, platform):
    job = platform.generate_job("job-preview", loras=[("neon_glow", b"lora" * 10, 1.0)])
    _run(config.replace(backend="preview"), platform, job, backend=PreviewBackend())
    action, body = platform.outcome()
    assert action == "complete", body
    png = _upload(platform, "job-preview-0.png")
    texts = read_texts(png)
    assert json.loads(texts["visionsuit"])["preview"] is True
    graph = json.loads(texts["prompt"])
    assert graph["3"]["inputs"]["text_g"] == "a lighthouse at dusk" and graph["2"]["inputs"]["lora_name"].startswith("neon_glow-")
    assert not [name for name, _ in platform.file_gets if name.endswith(".safetensors")], "no model downloads"
    assert png.startswith(preview_png("a lighthouse at dusk", 42, 64, 64)[:33]), "same IHDR as the bare preview"
    assert extract(png).model_hash == "31e35c80fc"


def test_pull_loop_takes_a_job_and_stops_cleanly(config, platform, comfy):
    platform.jobs.append(platform.diagnostic_job("diag-loop"))
    service = AgentService(config).start()
    try:
        action, _ = platform.outcome()
        assert action == "complete"
        assert platform.polls[0]["authorization"] == f"Bearer {AGENT_KEY}"
    finally:
        started = time.monotonic()
        service.stop(wait_for_poll=True)
    assert time.monotonic() - started < 3


def test_build_backend_follows_the_config(config):
    assert build_backend(config.replace(backend="preview")).name == "preview"
    assert build_backend(config).name == "comfyui"


@pytest.mark.parametrize("honour", [False])
def test_comfyui_that_ignores_client_prompt_ids_still_works(config, platform, comfy, honour):
    comfy.honour_prompt_id = honour
    _run(config, platform, platform.generate_job("job-old-comfy"))
    action, body = platform.outcome()
    assert action == "complete" and body["result"]["promptId"] != "job-old-comfy"
    assert any("ignores client prompt ids" in warning for warning in body["result"]["warnings"])


def test_heartbeats_keep_coming_while_comfyui_renders(config, platform, comfy):
    comfy.step_seconds = 0.05
    _run(config, platform, platform.generate_job("job-beats", steps=24, heartbeat_seconds=1))
    assert platform.outcome()[0] == "complete"
    beats = [at for action, at in platform.callback_times if action == "heartbeat"]
    assert len(beats) >= 5
    assert max(later - earlier for earlier, later in zip(beats, beats[1:], strict=False)) < 0.25 + 0.1


def test_a_render_past_its_budget_is_interrupted_and_reported_as_timeout(config, platform, comfy):
    comfy.hang = True
    fast = config.replace(comfyui_execution_timeout_seconds=0.3, comfyui_per_step_timeout_seconds=0.0)
    _run(fast, platform, platform.generate_job("job-slow"))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "TIMEOUT" and body["retryable"] is True
    assert {"prompt_id": "job-slow"} in comfy.interrupts


def test_stopping_the_agent_hands_a_running_job_back_as_retryable(config, platform, comfy):
    comfy.hang = True
    platform.jobs.append(platform.generate_job("job-shutdown"))
    service = AgentService(config).start()
    deadline = time.monotonic() + 5
    while not comfy.prompts and time.monotonic() < deadline:
        time.sleep(0.02)
    service.stop(grace_seconds=0.2)
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "TRANSIENT_ERROR" and body["retryable"] is True
    assert "shutting down" in body["error"] and {"prompt_id": "job-shutdown"} in comfy.interrupts


def test_a_refused_agent_key_is_reported_distinctly(platform):
    from gpu_agent.agent import PlatformClient
    from gpu_agent.platform_client import AgentUnauthorized

    with pytest.raises(AgentUnauthorized):
        PlatformClient(platform.url, "vsa_wrong.key").poll()


def test_cancelling_a_queued_prompt_deletes_it_without_interrupting_others(config, platform, comfy, models_dir):
    from gpu_agent.config import DEFAULT_BINDINGS
    from gpu_agent.workflow import hydrate, load_workflow
    from tests.unit.gpu_agent.platform_stub import SHIPPED_WORKFLOW

    (models_dir / "checkpoints" / "other.safetensors").write_bytes(b"x")
    blocker = hydrate(load_workflow(SHIPPED_WORKFLOW.read_bytes(), None), DEFAULT_BINDINGS,
                      {"base_model_path": "other.safetensors"}, [])
    comfy.hang = True
    assert comfy.submit({"prompt": blocker, "prompt_id": "someone-else"})[0] == 200
    platform.callback_rules.append(lambda action, body: (
        200, {"data": {"accepted": True, "cancel": True}}) if body.get("stage") == "queued" else None)
    _run(config, platform, platform.generate_job("job-queued", heartbeat_seconds=1))
    action, body = platform.outcome()
    assert action == "fail" and body["reasonCode"] == "CANCELED"
    assert "job-queued" in comfy.queue_deletes and not comfy.interrupts
    assert comfy.queue()["queue_running"][0][1] == "someone-else", "the other render goes on"
    comfy.interrupt({})
