import io
import json

from PIL import Image, PngImagePlugin

from functions.ingest.generation_metadata import extract
from gpu_agent.pngmeta import Infotext, a1111_parameters, embed_texts, png_size, quote, read_texts, resource_name

INFO = Infotext(prompt="a lighthouse, at dusk", negative_prompt="blurry", steps=28, sampler="dpmpp_2m_sde_gpu",
                scheduler="karras", cfg_scale=7.0, seed=123456789, width=1024, height=768,
                model_name="sd_xl_base_1.0", model_hash="31e35c80fc",
                lora_hashes=[("neon_glow", "0123456789ab"), ("film grain", "ba9876543210")])
GRAPH = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0-31e35c80fc01.safetensors"}},
         "2": {"class_type": "KSampler", "inputs": {"model": ["1", 0], "seed": 123456789, "steps": 28}}}


def _png(width=32, height=16, texts=None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_a1111_text_is_exactly_the_documented_grammar():
    assert a1111_parameters(INFO) == (
        "a lighthouse, at dusk\n"
        "Negative prompt: blurry\n"
        "Steps: 28, Sampler: dpmpp_2m_sde_gpu, Schedule type: karras, CFG scale: 7, Seed: 123456789, Size: 1024x768, "
        'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "neon_glow: 0123456789ab, film grain: ba9876543210"')


def test_optional_parts_are_left_out_and_awkward_values_quoted():
    info = Infotext(prompt="x", negative_prompt="", steps=1, sampler="euler", scheduler="normal", cfg_scale=4.5,
                    seed=0, width=64, height=64, model_name="base, v2: final", model_hash=None, lora_hashes=[])
    assert a1111_parameters(info) == ('x\nSteps: 1, Sampler: euler, Schedule type: normal, CFG scale: 4.5, Seed: 0, '
                                      'Size: 64x64, Model: "base, v2: final"')
    assert quote("plain") == "plain" and quote('a\n"b"') == '"a\\n\\"b\\""'


def test_resource_names_are_file_stems_safe_inside_hash_lists():
    assert resource_name("loras/Neon Glow: v2, final.safetensors") == "Neon Glow_ v2_ final"
    assert resource_name("..\\evil.ckpt") == "evil"
    assert resource_name(".safetensors") == "model"


def test_our_ingest_reads_back_what_the_agent_writes():
    png = embed_texts(_png(), {"parameters": a1111_parameters(INFO), "prompt": json.dumps(GRAPH)})
    metadata = extract(png)
    assert metadata.source == "a1111"
    assert metadata.prompt == "a lighthouse, at dusk" and metadata.negative_prompt == "blurry"
    assert metadata.model_hash == "31e35c80fc" and metadata.model_name == "sd_xl_base_1.0"
    assert metadata.lora_hashes == {"neon_glow": "0123456789ab", "film grain": "ba9876543210"}
    assert metadata.params == {"steps": 28, "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "cfgScale": 7.0,
                               "seed": 123456789, "width": 1024, "height": 768}
    assert json.loads(metadata.raw["prompt"]) == GRAPH


def test_non_latin_text_goes_to_itxt_and_survives():
    prompt = "灯台、夕暮れ — ネオン"
    info = Infotext(**{**INFO.__dict__, "prompt": prompt})
    png = embed_texts(_png(), {"parameters": a1111_parameters(info)})
    assert b"iTXtparameters" in png and b"tEXtparameters" not in png
    assert read_texts(png)["parameters"].startswith(prompt)
    assert extract(png).prompt == prompt
    assert Image.open(io.BytesIO(png)).text["parameters"].startswith(prompt)


def test_embedding_replaces_same_named_chunks_and_keeps_the_pixels():
    original = _png(texts={"prompt": '{"stale": true}', "workflow": "{}"})
    updated = embed_texts(original, {"prompt": json.dumps(GRAPH), "visionsuit": '{"preview": true}'})
    texts = read_texts(updated)
    assert json.loads(texts["prompt"]) == GRAPH and texts["workflow"] == "{}" and texts["visionsuit"]
    assert updated.count(b"tEXtprompt") == 1
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(updated)) as after:
        assert before.tobytes() == after.tobytes()
    assert png_size(updated) == (32, 16)


def test_loras_sharing_a_file_name_stay_distinct_in_lora_hashes():
    from gpu_agent import pngmeta

    pairs = pngmeta.unique_names([("style", "aaaaaaaaaaaa"), ("style", "bbbbbbbbbbbb"), ("other", "cccccccccccc")])
    assert pairs == [("style", "aaaaaaaaaaaa"), ("style_bbbbbb", "bbbbbbbbbbbb"), ("other", "cccccccccccc")]
