"""The ComfyUI stand-in answers in ComfyUI's shapes; other suites rely on that."""
import hashlib

import requests

from gpu_agent.config import DEFAULT_BINDINGS
from gpu_agent.workflow import LoraUse, hydrate, load_workflow
from tests.unit.gpu_agent.platform_stub import SHIPPED_WORKFLOW


def _graph(models_dir, lora="style.safetensors"):
    (models_dir / "checkpoints" / "base.safetensors").write_bytes(b"x")
    (models_dir / "loras" / lora).write_bytes(b"x")
    raw = SHIPPED_WORKFLOW.read_bytes()
    values = {"base_model_path": "base.safetensors", "prompt": "p", "negative_prompt": "", "width": 64, "height": 48,
              "seed": 5, "steps": 3, "cfg_scale": 5.0, "sampler": "euler", "scheduler": "normal", "batch_size": 2}
    return hydrate(load_workflow(raw, hashlib.sha256(raw).hexdigest()), DEFAULT_BINDINGS, values, [LoraUse(lora, 1.0)])


def test_prompt_history_and_view_round_trip(comfy, models_dir):
    graph = _graph(models_dir)
    answer = requests.post(f"{comfy.url}/prompt", json={"prompt": graph, "client_id": "c", "prompt_id": "p-1"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["prompt_id"] == "p-1"
    assert comfy.wait_idle(5)
    entry = requests.get(f"{comfy.url}/api/history/p-1", timeout=5).json()["p-1"]
    assert entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True
    assert [event for event, _ in entry["status"]["messages"]] == ["execution_start", "execution_cached",
                                                                  "execution_success"]
    images = entry["outputs"]["8"]["images"]
    assert len(images) == 2 and images[0]["filename"].startswith("VisionSuit_") and images[0]["type"] == "output"
    png = requests.get(f"{comfy.url}/view", params=images[0], timeout=5)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and b"tEXtprompt" in png.content
    assert requests.get(f"{comfy.url}/history/unknown", timeout=5).json() == {}


def test_view_refuses_traversal_and_unknown_files(comfy):
    for params, status in (({"filename": "../../etc/passwd", "type": "output"}, 403),
                           ({"filename": "passwd", "subfolder": "../../../etc", "type": "output"}, 403),
                           ({"filename": "nope.png", "type": "output"}, 404),
                           ({"filename": "", "type": "output"}, 400)):
        assert requests.get(f"{comfy.url}/view", params=params, timeout=5).status_code == status


def test_validation_errors_have_comfyui_shape(comfy, models_dir):
    graph = _graph(models_dir)
    graph["2"]["inputs"]["lora_name"] = "missing.safetensors"
    answer = requests.post(f"{comfy.url}/prompt", json={"prompt": graph}, timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    error = body["node_errors"]["2"]["errors"][0]
    assert error["type"] == "value_not_in_list" and error["extra_info"]["input_name"] == "lora_name"
    assert body["node_errors"]["2"]["dependent_outputs"] == ["8"] and body["node_errors"]["2"]["class_type"] == "LoraLoader"
    graph["2"]["class_type"] = "NoSuchNode"
    assert requests.post(f"{comfy.url}/prompt", json={"prompt": graph}, timeout=5).json()["error"]["type"] == "missing_node_type"
    assert requests.post(f"{comfy.url}/prompt", json={}, timeout=5).json()["error"]["type"] == "no_prompt"


def test_interrupt_and_queue_delete(comfy, models_dir):
    comfy.hang = True
    graph = _graph(models_dir)
    for prompt_id in ("run", "wait"):
        requests.post(f"{comfy.url}/prompt", json={"prompt": graph, "prompt_id": prompt_id}, timeout=5)
    queue = requests.get(f"{comfy.url}/queue", timeout=5).json()
    assert [item[1] for item in queue["queue_pending"]] in (["wait"], ["run", "wait"])
    requests.post(f"{comfy.url}/queue", json={"delete": ["wait"]}, timeout=5)
    requests.post(f"{comfy.url}/interrupt", json={"prompt_id": "someone-else"}, timeout=5)
    requests.post(f"{comfy.url}/interrupt", json={"prompt_id": "run"}, timeout=5)
    assert comfy.wait_idle(5)
    assert comfy.interrupts == [{"prompt_id": "someone-else"}, {"prompt_id": "run"}]
    assert comfy.history["run"]["status"]["messages"][-1][0] == "execution_interrupted"
    assert "wait" not in comfy.history and comfy.queue_deletes == ["wait"]


def test_object_info_lists_model_files_as_they_appear(comfy, models_dir):
    info = requests.get(f"{comfy.url}/object_info/LoraLoader", timeout=5).json()
    assert info["LoraLoader"]["input"]["required"]["lora_name"][0] == []
    (models_dir / "loras" / "new.safetensors").write_bytes(b"x")
    info = requests.get(f"{comfy.url}/object_info", timeout=5).json()
    assert info["LoraLoader"]["input"]["required"]["lora_name"][0] == ["new.safetensors"]
    assert "dpmpp_2m_sde_gpu" in info["KSampler"]["input"]["required"]["sampler_name"][0]
    assert requests.get(f"{comfy.url}/object_info/Nope", timeout=5).json() == {}
