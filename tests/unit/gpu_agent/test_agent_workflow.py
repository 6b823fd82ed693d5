import hashlib
import json

import pytest

from gpu_agent.config import DEFAULT_BINDINGS
from gpu_agent.errors import JobFailure, ReasonCode
from gpu_agent.workflow import LoraUse, check_against_object_info, hydrate, load_workflow
from tests.fixtures.fake_comfyui import FakeComfyUI
from tests.unit.gpu_agent.platform_stub import SHIPPED_WORKFLOW

VALUES = {"base_model_path": "sdxl-0123456789ab.safetensors", "prompt": "a red fox", "negative_prompt": "lowres",
          "width": 832, "height": 1216, "seed": 987654321, "steps": 30, "cfg_scale": 5.5,
          "sampler": "dpmpp_2m", "scheduler": "exponential", "batch_size": 2}


@pytest.fixture
def shipped():
    raw = SHIPPED_WORKFLOW.read_bytes()
    return load_workflow(raw, hashlib.sha256(raw).hexdigest())


def test_shipped_workflow_is_the_documented_graph(shipped):
    classes = {node_id: node["class_type"] for node_id, node in shipped.items()}
    assert classes == {"1": "CheckpointLoaderSimple", "2": "LoraLoader", "3": "CLIPTextEncodeSDXL",
                       "4": "CLIPTextEncodeSDXL", "5": "EmptyLatentImage", "6": "KSampler", "7": "VAEDecode",
                       "8": "SaveImage"}
    assert shipped["2"]["inputs"]["model"] == ["1", 0] and shipped["2"]["inputs"]["clip"] == ["1", 1]
    assert shipped["3"]["inputs"]["clip"] == ["2", 1] and shipped["4"]["inputs"]["clip"] == ["2", 1]
    sampler = shipped["6"]["inputs"]
    assert (sampler["model"], sampler["positive"], sampler["negative"], sampler["latent_image"]) == (
        ["2", 0], ["3", 0], ["4", 0], ["5", 0])
    assert sampler["denoise"] == 1.0
    assert shipped["7"]["inputs"] == {"samples": ["6", 0], "vae": ["1", 2]}
    assert shipped["8"]["inputs"] == {"images": ["7", 0], "filename_prefix": "VisionSuit"}


def test_shipped_workflow_passes_comfyui_validation_once_its_files_exist(shipped, tmp_path):
    fake = FakeComfyUI(tmp_path / "models")
    graph = hydrate(shipped, DEFAULT_BINDINGS, {**VALUES, "sampler": "euler"}, [LoraUse("a.safetensors", 1.0)])
    assert fake.validate(graph)[0]["type"] == "prompt_outputs_failed_validation"  # files missing
    (tmp_path / "models" / "checkpoints" / VALUES["base_model_path"]).write_bytes(b"x")
    (tmp_path / "models" / "loras" / "a.safetensors").write_bytes(b"x")
    assert fake.validate(graph) == (None, {})


def test_bindings_fill_every_documented_input(shipped):
    graph = hydrate(shipped, DEFAULT_BINDINGS, VALUES, [LoraUse("a.safetensors", 1.0)])
    assert graph["1"]["inputs"]["ckpt_name"] == VALUES["base_model_path"]
    for node_id, text in (("3", "a red fox"), ("4", "lowres")):
        inputs = graph[node_id]["inputs"]
        assert inputs["text_g"] == inputs["text_l"] == text
        assert inputs["width"] == inputs["target_width"] == 832
        assert inputs["height"] == inputs["target_height"] == 1216
    assert graph["5"]["inputs"] == {"width": 832, "height": 1216, "batch_size": 2}
    sampler = graph["6"]["inputs"]
    assert (sampler["seed"], sampler["steps"], sampler["cfg"], sampler["sampler_name"], sampler["scheduler"]) == (
        987654321, 30, 5.5, "dpmpp_2m", "exponential")
    assert shipped["6"]["inputs"]["seed"] == 0, "the template itself is left untouched"


def test_no_lora_removes_the_loader_and_feeds_consumers_from_the_checkpoint(shipped):
    graph = hydrate(shipped, DEFAULT_BINDINGS, VALUES, [])
    assert "2" not in graph
    assert not [node for node in graph.values() if node["class_type"] == "LoraLoader"]
    assert graph["3"]["inputs"]["clip"] == ["1", 1] and graph["4"]["inputs"]["clip"] == ["1", 1]
    assert graph["6"]["inputs"]["model"] == ["1", 0]


def test_one_lora_uses_the_template_node(shipped):
    graph = hydrate(shipped, DEFAULT_BINDINGS, VALUES, [LoraUse("neon-0123456789ab.safetensors", 0.8)])
    assert graph["2"]["inputs"] == {"model": ["1", 0], "clip": ["1", 1], "lora_name": "neon-0123456789ab.safetensors",
                                    "strength_model": 0.8, "strength_clip": 0.8}
    assert graph["6"]["inputs"]["model"] == ["2", 0] and graph["3"]["inputs"]["clip"] == ["2", 1]


def test_three_loras_chain_with_fresh_ids_and_clamped_strengths(shipped):
    loras = [LoraUse("a.safetensors", 0.5), LoraUse("b.safetensors", 5), LoraUse("c.safetensors", -3.5)]
    graph = hydrate(shipped, DEFAULT_BINDINGS, VALUES, loras)
    loaders = {node_id: node["inputs"] for node_id, node in graph.items() if node["class_type"] == "LoraLoader"}
    assert set(loaders) == {"2", "9", "10"}
    assert (loaders["2"]["model"], loaders["9"]["model"], loaders["10"]["model"]) == (["1", 0], ["2", 0], ["9", 0])
    assert (loaders["2"]["clip"], loaders["9"]["clip"], loaders["10"]["clip"]) == (["1", 1], ["2", 1], ["9", 1])
    assert [(loaders[i]["lora_name"], loaders[i]["strength_model"], loaders[i]["strength_clip"]) for i in ("2", "9", "10")] == [
        ("a.safetensors", 0.5, 0.5), ("b.safetensors", 2.0, 2.0), ("c.safetensors", -2.0, -2.0)]
    assert graph["6"]["inputs"]["model"] == ["10", 0]
    assert graph["3"]["inputs"]["clip"] == ["10", 1] and graph["4"]["inputs"]["clip"] == ["10", 1]


def test_extra_lora_loaders_in_a_template_are_removed_before_chaining(shipped):
    template = json.loads(json.dumps(shipped))
    template["20"] = {"class_type": "LoraLoader", "inputs": {"model": ["2", 0], "clip": ["2", 1],
                                                            "lora_name": "x.safetensors", "strength_model": 1,
                                                            "strength_clip": 1}}
    for node_id in ("3", "4"):
        template[node_id]["inputs"]["clip"] = ["20", 1]
    template["6"]["inputs"]["model"] = ["20", 0]
    graph = hydrate(template, DEFAULT_BINDINGS, VALUES, [LoraUse("a.safetensors", 1), LoraUse("b.safetensors", 1)])
    assert "20" not in graph
    assert graph["9"]["inputs"]["model"] == ["2", 0] and graph["6"]["inputs"]["model"] == ["9", 0]
    assert graph["3"]["inputs"]["clip"] == ["9", 1] and graph["9"]["inputs"]["lora_name"] == "b.safetensors"


def test_loras_without_a_loader_in_the_workflow_are_refused(shipped):
    template = hydrate(shipped, {}, {}, [])
    with pytest.raises(JobFailure) as raised:
        hydrate(template, {}, {}, [LoraUse("a.safetensors", 1)])
    assert raised.value.reason_code == ReasonCode.VALIDATION_ERROR


def test_binding_to_a_missing_node_is_a_validation_error(shipped):
    with pytest.raises(JobFailure, match="no node 99"):
        hydrate(shipped, {"seed": ("99.inputs.seed",)}, {"seed": 1}, [])


def test_ui_format_tampered_and_malformed_workflows_are_refused():
    ui = json.dumps({"last_node_id": 9, "nodes": [{"id": 1, "type": "KSampler"}], "links": []}).encode()
    with pytest.raises(JobFailure, match="editor"):
        load_workflow(ui, hashlib.sha256(ui).hexdigest())
    raw = SHIPPED_WORKFLOW.read_bytes()
    with pytest.raises(JobFailure, match="SHA-256"):
        load_workflow(raw, "0" * 64)
    broken = json.dumps({"1": {"inputs": {}}}).encode()
    with pytest.raises(JobFailure, match="class_type"):
        load_workflow(broken, hashlib.sha256(broken).hexdigest())
    with pytest.raises(JobFailure, match="not JSON"):
        load_workflow(b"{nope", hashlib.sha256(b"{nope").hexdigest())


def test_names_and_samplers_unknown_to_comfyui_are_reported_per_node(shipped, tmp_path):
    fake = FakeComfyUI(tmp_path / "models")
    (tmp_path / "models" / "checkpoints" / "base.safetensors").write_bytes(b"x")
    (tmp_path / "models" / "loras" / "known.safetensors").write_bytes(b"x")
    good = hydrate(shipped, DEFAULT_BINDINGS, {**VALUES, "base_model_path": "base.safetensors", "sampler": "euler",
                                               "scheduler": "karras"}, [LoraUse("known.safetensors", 1)])
    assert check_against_object_info(good, fake.object_info()) == {}

    bad = hydrate(shipped, DEFAULT_BINDINGS, {**VALUES, "base_model_path": "missing.safetensors",
                                              "sampler": "warp_drive"},
                  [LoraUse("known.safetensors", 1), LoraUse("ghost.safetensors", 1)])
    errors = check_against_object_info(bad, fake.object_info())
    assert set(errors) == {"1", "6", "9"}
    assert errors["1"]["errors"][0]["extra_info"] == {"input_name": "ckpt_name", "received_value": "missing.safetensors"}
    assert errors["6"]["errors"][0]["type"] == "value_not_in_list"
    assert errors["9"]["class_type"] == "LoraLoader"


def test_unknown_node_classes_and_new_style_combo_specs(shipped):
    info = {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": ["COMBO", {"options": ["a.safetensors"]}]}}}}
    graph = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "b.safetensors"}},
             "2": {"class_type": "MysteryNode", "inputs": {}}}
    errors = check_against_object_info(graph, info)
    assert errors["1"]["errors"][0]["type"] == "value_not_in_list"
    assert errors["2"]["errors"][0]["type"] == "missing_node_type"
