import copy
import json
import random
import time
import zlib

import pytest
from PIL import Image

from functions.ingest.generation_metadata import (
    PROMPT_CHARS,
    RAW_VALUE_CHARS,
    VALUE_CHARS,
    GenerationMetadata,
    decode_user_comment,
    extract,
    parse_a1111,
    parse_comfyui,
)
from tests.fixtures import image_factory as factory

A1111_EXPECTED_PARAMS = {
    "steps": 28, "sampler": "DPM++ 2M", "scheduler": "Karras", "cfgScale": 6.5, "seed": 1234567890,
    "width": 512, "height": 768, "vae": "vae-ft-mse-840000-ema-pruned.safetensors", "vaeHash": "735e4c3a44",
    "denoise": 0.45, "clipSkip": 2, "hiresUpscale": 1.5, "hiresSteps": 12, "hiresUpscaler": "4x-UltraSharp",
}


def assert_full_a1111(metadata: GenerationMetadata, source: str = "a1111") -> None:
    assert metadata.source == source
    assert metadata.prompt == ("masterpiece, a castle on a hill at sunset, <lora:castleStyle:0.8>, "
                               "<lora:detail_tweaker:0.5>\ndramatic lighting, golden hour")
    assert metadata.negative_prompt == "blurry, lowres, bad anatomy"
    assert metadata.params == A1111_EXPECTED_PARAMS
    assert (metadata.model_name, metadata.model_hash, metadata.version) == ("dreamshaper_8", "6ce0161689", "v1.10.1")
    assert metadata.lora_hashes == {"castleStyle": "0a1b2c3d4e5f", "detail_tweaker": "9f8e7d6c5b4a"}
    assert metadata.loras == [{"name": "castleStyle", "weight": 0.8, "hash": "0a1b2c3d4e5f"},
                              {"name": "detail_tweaker", "weight": 0.5, "hash": "9f8e7d6c5b4a"}]
    assert metadata.lora_names == ["castleStyle", "detail_tweaker"]
    assert metadata.checkpoint_names == ["dreamshaper_8"]
    assert metadata.ti_hashes == {"easynegative": "c74b4e810b03"}
    assert metadata.hashes == {"model": "6ce0161689", "lora:castleStyle": "0a1b2c3d4e", "embed:easynegative": "c74b4e810b"}
    assert metadata.civitai_resources == [{"type": "checkpoint", "modelVersionId": 128713},
                                          {"type": "lora", "weight": 0.8, "modelVersionId": 1234}]
    assert metadata.extra == {"ADetailer model": "face_yolov8n.pt"}


# --- A1111 in every container ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["tEXt", "iTXt", "iTXt-z", "zTXt"])
def test_a1111_png_in_each_text_chunk_type(kind):
    metadata = extract(factory.a1111_png(kind))
    assert_full_a1111(metadata)
    assert metadata.raw == {"parameters": factory.A1111_PARAMETERS}


def test_a1111_png_with_non_latin_prompt_in_itxt():
    metadata = extract(factory.a1111_png("iTXt", factory.A1111_PARAMETERS_CJK))
    assert metadata.prompt == "城, 夕焼け, a castle <lora:castleStyle:0.7>"
    assert metadata.negative_prompt == "ぼやけた"
    assert metadata.loras == [{"name": "castleStyle", "weight": 0.7, "hash": None}]


def test_utf8_written_into_text_chunk_is_decoded():
    data = factory.png_with_chunks([factory._chunk(b"tEXt", b"parameters\0" + factory.A1111_PARAMETERS_CJK.encode())])
    assert extract(data).prompt.startswith("城, 夕焼け")


def test_text_chunk_after_image_data_is_read():
    data = factory.png_with_chunks([factory.text_chunk("tEXt", "parameters", factory.A1111_PARAMETERS)], after_idat=True)
    assert_full_a1111(extract(data))


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le", "utf-8", "ascii"])
@pytest.mark.parametrize("make", [factory.jpeg_with_user_comment, factory.webp_with_user_comment])
def test_a1111_in_exif_user_comment(make, encoding):
    metadata = extract(make(factory.A1111_PARAMETERS, encoding))
    assert_full_a1111(metadata)
    assert metadata.raw == {"exif:UserComment": factory.A1111_PARAMETERS}


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le", "utf-8"])
def test_non_latin_user_comment(encoding):
    metadata = extract(factory.jpeg_with_user_comment(factory.A1111_PARAMETERS_CJK, encoding))
    assert metadata.negative_prompt == "ぼやけた"


def test_a1111_in_jpeg_comment_segment():
    image = Image.new("RGB", (8, 8))
    data = factory._encode(image, "JPEG", comment=factory.A1111_PARAMETERS.encode())
    assert_full_a1111(extract(data))


# --- A1111 grammar --------------------------------------------------------------------------------

def test_parse_a1111_quoted_values_json_values_and_unknown_keys():
    fields = parse_a1111(
        'a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 18446744073709551615, Size: 1024x1536, '
        'Lora hashes: "a: 123abc, b: 456def", Emphasis: "Original, \\"quoted\\"", '
        'Civitai metadata: {"remixOfId": 5}, NGMS: 0.5, Tiling, Module 1: ae, RNG: CPU')
    assert fields["params"] == {"steps": 20, "sampler": "Euler a", "cfgScale": 7.0, "seed": 18446744073709551615,
                                "width": 1024, "height": 1536, "rng": "CPU"}
    assert fields["lora_hashes"] == {"a": "123abc", "b": "456def"}
    assert fields["extra"] == {"Emphasis": 'Original, "quoted"', "Civitai metadata": {"remixOfId": 5},
                               "NGMS": "0.5", "Module 1": "ae"}
    assert fields["loras"] == [{"name": "a", "weight": None, "hash": "123abc"}, {"name": "b", "weight": None, "hash": "456def"}]


def test_parse_a1111_multiline_prompt_and_negative():
    fields = parse_a1111("line one\nline two\nNegative prompt: bad\nworse\r\nSteps: 5, Seed: 1, Sampler: Euler")
    assert (fields["prompt"], fields["negative_prompt"]) == ("line one\nline two", "bad\nworse")


def test_parse_a1111_without_negative_prompt():
    fields = parse_a1111("a dog <lora:dogStyle> <lyco:other:0.3:0.6>\nSteps: 5, Seed: 1, Sampler: Euler")
    assert fields["negative_prompt"] is None
    assert fields["loras"] == [{"name": "dogStyle", "weight": 1.0, "hash": None},
                               {"name": "other", "weight": 0.3, "hash": None}]


def test_parse_a1111_lines_after_the_details_line_are_kept():
    fields = parse_a1111("a {red|blue} car\nSteps: 5, Seed: 1, Sampler: Euler\nTemplate: a {red|blue} car\n"
                         "Negative Template: ugly\nsome stray words")
    assert fields["prompt"] == "a {red|blue} car"
    assert fields["extra"] == {"Template": "a {red|blue} car", "Negative Template": "ugly",
                               "trailing text": "some stray words"}


def test_parse_a1111_without_details_line_is_all_prompt():
    fields = parse_a1111("walking up the Steps: stone, moss\nNegative prompt: blur")
    assert fields["prompt"] == "walking up the Steps: stone, moss"
    assert fields["negative_prompt"] == "blur"
    assert fields["params"] == {}


def test_parse_a1111_negative_marker_only_at_line_start():
    fields = parse_a1111("a sign saying Negative prompt: none\nSteps: 5, Seed: 1, Sampler: Euler")
    assert fields["prompt"] == "a sign saying Negative prompt: none"
    assert fields["negative_prompt"] is None


def test_parse_a1111_unparseable_known_values_go_to_extra():
    fields = parse_a1111("x\nSteps: many, Seed: -1, CFG scale: nan, Size: big, Sampler: Euler")
    assert fields["params"] == {"seed": -1, "sampler": "Euler"}
    assert fields["extra"] == {"Steps": "many", "CFG scale": "nan", "Size": "big"}


def test_parse_a1111_hashes_fill_missing_model_and_lora_hashes():
    fields = parse_a1111('x\nSteps: 5, Sampler: Euler, Hashes: {"model": "abc", "lora:l1": "111", "embed:e1": "222"}')
    assert (fields["model_hash"], fields["lora_hashes"], fields["ti_hashes"]) == ("abc", {"l1": "111"}, {"e1": "222"})


def test_parse_a1111_hostile_details_line_does_not_loop_or_raise():
    line = "Steps: 1, " + ", ".join(f'k{i}: "{"x" * 10}' for i in range(2000)) + ', ":::,,,{[{[' + '"' * 100
    started = time.perf_counter()
    fields = parse_a1111("p\n" + line)
    assert time.perf_counter() - started < 2
    assert fields["params"]["steps"] == 1


# --- EXIF UserComment encodings -------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    (b"UNICODE\0" + "héllo".encode("utf-16-be"), "héllo"),
    (b"UNICODE\0" + "héllo".encode("utf-16-le"), "héllo"),
    (b"UNICODE\0" + b"\xff\xfe" + "bom".encode("utf-16-le"), "bom"),
    (b"UNICODE\0" + b"\xfe\xff" + "bom".encode("utf-16-be"), "bom"),
    (b"UNICODE\0" + "城".encode("utf-16-be"), "城"),
    (b"UNICODE\0" + b"\0a\0b\0", "ab"),  # odd length: trailing byte dropped
    (b"ASCII\0\0\0plain\0", "plain"),
    (b"JIS\0\0\0\0\0" + "日本".encode("shift_jis"), "日本"),
    (b"\0" * 8 + b"undefined", "undefined"),
    (b"\0" * 8 + "utf16 no prefix".encode("utf-16-le"), "utf16 no prefix"),
    ("already text\0", "already text"),
    (b"Steps: 3", "Steps: 3"),
    (b"\xef\xbb\xbfbom utf8", "bom utf8"),
    (b"", ""),
])
def test_decode_user_comment(raw, expected):
    assert decode_user_comment(raw) == expected


# --- ComfyUI --------------------------------------------------------------------------------------

COMFY_EXPECTED = {
    "source": "comfyui", "prompt": "pixel art, a fox in a snowy forest", "negative_prompt": "blurry, photo, watermark",
    "params": {"seed": 156680208700286, "steps": 25, "cfgScale": 7.5, "sampler": "dpmpp_2m", "scheduler": "karras",
               "denoise": 1.0, "width": 832, "height": 1216},
    "model_name": "sd_xl_base_1.0.safetensors", "checkpoint_names": ["sd_xl_base_1.0.safetensors"],
    "loras": [{"name": "pixel-art-xl.safetensors", "weight": 0.8, "hash": None}],
    "lora_names": ["pixel-art-xl.safetensors"],
}


@pytest.mark.parametrize("make", [factory.comfyui_png, factory.comfyui_webp])
def test_comfyui_png_and_webp(make):
    metadata = extract(make())
    assert {key: value for key, value in metadata.to_dict().items() if key in COMFY_EXPECTED} == COMFY_EXPECTED
    assert json.loads(metadata.raw["prompt"]) == factory.COMFYUI_PROMPT
    assert json.loads(metadata.raw["workflow"]) == factory.COMFYUI_WORKFLOW


def comfy_graph(**extra_nodes) -> dict:
    graph = copy.deepcopy(factory.COMFYUI_PROMPT)
    graph.update(extra_nodes)
    return graph


def test_comfyui_prompt_is_only_the_linked_text():
    graph = comfy_graph(**{"50": {"class_type": "CLIPTextEncode", "inputs": {"text": "UNUSED DRAFT", "clip": ["4", 1]}},
                           "51": {"class_type": "Note", "inputs": {"text": "a note"}}})
    fields = parse_comfyui(graph)
    assert fields["prompt"] == "pixel art, a fox in a snowy forest"
    assert fields["negative_prompt"] == "blurry, photo, watermark"


def test_comfyui_conditioning_combine_sdxl_encoder_and_controlnet():
    graph = comfy_graph(**{
        "20": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "castle", "text_l": "castle", "clip": ["4", 1],
                                                               "width": 4096, "height": 4096}},
        "21": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["20", 0]}},
        "22": {"class_type": "ControlNetApplyAdvanced", "inputs": {
            "positive": ["21", 0], "negative": ["7", 0], "control_net": ["23", 0], "image": ["24", 0], "strength": 0.6}},
    })
    graph["3"]["inputs"].update(positive=["22", 0], negative=["22", 1])
    fields = parse_comfyui(graph)
    assert fields["prompt"] == "pixel art, a fox in a snowy forest\ncastle"
    assert fields["negative_prompt"] == "blurry, photo, watermark"
    assert (fields["params"]["width"], fields["params"]["height"]) == (832, 1216)


def test_comfyui_text_and_seed_from_linked_primitive_nodes():
    graph = comfy_graph(**{
        "30": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "from a string node"}},
        "31": {"class_type": "StringConcatenate", "inputs": {"string_a": ["30", 0], "string_b": "plus literal",
                                                               "delimiter": ", "}},
        "32": {"class_type": "Seed (rgthree)", "inputs": {"seed": 99}},
    })
    graph["6"]["inputs"]["text"] = ["31", 0]
    graph["3"]["inputs"]["seed"] = ["32", 0]
    fields = parse_comfyui(graph)
    assert fields["prompt"] == "plus literal\nfrom a string node"
    assert fields["params"]["seed"] == 99


def test_comfyui_sampler_custom_advanced_with_flux_style_nodes():
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}},
        "2": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl.safetensors", "clip_name2": "clip_l.safetensors"}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "a neon sign", "clip": ["2", 0]}},
        "4": {"class_type": "FluxGuidance", "inputs": {"conditioning": ["3", 0], "guidance": 3.5}},
        "5": {"class_type": "BasicGuider", "inputs": {"model": ["12", 0], "conditioning": ["4", 0]}},
        "6": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
        "7": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "8": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1.0, "model": ["1", 0]}},
        "9": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "10": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": ["6", 0], "guider": ["5", 0], "sampler": ["7", 0], "sigmas": ["8", 0], "latent_image": ["9", 0]}},
        "11": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["3", 0]}},
        "12": {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "neon.safetensors", "strength_model": 0.9,
                                                                 "model": ["1", 0]}},
    }
    fields = parse_comfyui(graph)
    assert fields["prompt"] == "a neon sign"
    assert fields["negative_prompt"] is None
    assert fields["params"] == {"seed": 42, "steps": 20, "sampler": "euler", "scheduler": "simple", "denoise": 1.0,
                                "width": 1024, "height": 768}
    assert fields["model_name"] == "flux1-dev.safetensors"
    assert fields["loras"] == [{"name": "neon.safetensors", "weight": 0.9, "hash": None}]


def test_comfyui_zeroed_negative_is_not_the_positive():
    graph = comfy_graph(**{"40": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["6", 0]}}})
    graph["3"]["inputs"]["negative"] = ["40", 0]
    assert parse_comfyui(graph)["negative_prompt"] is None


def test_comfyui_hires_fix_reports_the_base_pass():
    graph = comfy_graph(**{
        "60": {"class_type": "LatentUpscale", "inputs": {"samples": ["3", 0], "width": 1664, "height": 2432,
                                                         "upscale_method": "nearest-exact", "crop": "disabled"}},
        "2": {"class_type": "KSampler", "inputs": {
            "seed": 7, "steps": 12, "cfg": 5, "sampler_name": "euler", "scheduler": "normal", "denoise": 0.5,
            "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["60", 0]}},
    })
    fields = parse_comfyui(graph)
    assert fields["params"]["seed"] == 156680208700286
    assert (fields["params"]["width"], fields["params"]["height"]) == (832, 1216)
    assert fields["prompt"] == "pixel art, a fox in a snowy forest"


def test_comfyui_power_lora_loader_and_checkpoints():
    graph = comfy_graph(**{"70": {"class_type": "Power Lora Loader (rgthree)", "inputs": {
        "lora_1": {"on": True, "lora": "a.safetensors", "strength": 0.5},
        "lora_2": {"on": False, "lora": "b.safetensors", "strength": 1.0}, "model": ["4", 0], "clip": ["4", 1]}},
        "71": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "refiner.safetensors"}}})
    fields = parse_comfyui(graph)
    assert fields["lora_names"] == ["pixel-art-xl.safetensors", "a.safetensors"]
    assert fields["checkpoint_names"] == ["sd_xl_base_1.0.safetensors", "refiner.safetensors"]
    assert fields["model_name"] == "sd_xl_base_1.0.safetensors"


def test_comfyui_cycles_terminate():
    graph = comfy_graph(**{
        "80": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["81", 0], "conditioning_2": ["6", 0]}},
        "81": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["80", 0], "conditioning_2": ["81", 0]}},
        "82": {"class_type": "LoraLoader", "inputs": {"lora_name": "loop.safetensors", "model": ["82", 0]}},
    })
    graph["3"]["inputs"].update(positive=["80", 0], model=["82", 0], latent_image=["3", 0])
    fields = parse_comfyui(graph)
    assert fields["prompt"] == "pixel art, a fox in a snowy forest"
    assert fields["model_name"] == "sd_xl_base_1.0.safetensors"  # the model chain loops: fall back to any checkpoint


@pytest.mark.parametrize("graph", [
    {}, {"1": None}, {"1": []}, {"1": {"inputs": []}}, {"1": {"class_type": 5, "inputs": {"positive": ["9", 0]}}},
    {"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "negative": [1, 1], "seed": "abc",
                                                "steps": True, "cfg": float("inf"), "sampler_name": 3}}},
    {"1": {"class_type": "KSampler", "inputs": {"positive": ["2", "x"], "negative": ["2", True], "seed": [1, 2, 3]}},
     "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ["2", 0]}}},
    {"²": {"class_type": "KSampler", "inputs": {"positive": ["²", 0], "seed": 1}}, "9" * 5000: {"inputs": {}}},
])
def test_comfyui_malformed_graphs_do_not_raise(graph):
    fields = parse_comfyui(graph)
    assert set(fields) >= {"prompt", "negative_prompt", "params", "checkpoint_names", "loras"}


def test_comfyui_random_graphs_do_not_raise():
    rng = random.Random(1234)
    values = [None, True, 3, -1.5, "text", ["1", 0], ["2", 1], ["3", 0], [], {}, {"lora": "x", "on": True}, "cond"]
    keys = ["positive", "negative", "conditioning", "text", "seed", "model", "latent_image", "guider", "ckpt_name",
            "lora_name", "width", "height", "noise", "sampler", "sigmas", "value", "samples"]
    for _ in range(300):
        graph = {str(node): {"class_type": rng.choice(["KSampler", "X", "LoraLoader", "EmptyLatentImage", 7]),
                             "inputs": {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 8))}}
                 for node in range(1, rng.randint(2, 6))}
        parse_comfyui(graph)


def test_comfyui_huge_graph_is_bounded():
    combine = {"class_type": "ConditioningCombine",
               "inputs": {f"conditioning_{j}": [str(j * 17 % 6000), j % 3] for j in range(300)}}
    graph = {str(i): combine for i in range(6000)}
    graph["0"] = {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "negative": ["2", 0], "seed": 1}}
    started = time.perf_counter()
    fields = parse_comfyui(graph)
    assert time.perf_counter() - started < 5
    assert fields["params"]["seed"] == 1


def test_comfyui_workflow_only_is_recognised():
    data = factory.png_with_text({"workflow": json.dumps(factory.COMFYUI_WORKFLOW)})
    metadata = extract(data)
    assert metadata.source == "comfyui"
    assert metadata.prompt is None
    assert "workflow" in metadata.raw


# --- other generators -----------------------------------------------------------------------------

def test_novelai():
    metadata = extract(factory.novelai_png())
    assert metadata.source == "novelai"
    assert metadata.prompt == "1girl, silver hair, night city, neon"
    assert metadata.negative_prompt == "lowres, bad anatomy, bad hands"
    assert metadata.params == {"steps": 28, "seed": 2937211, "cfgScale": 5.0, "sampler": "k_euler_ancestral",
                               "width": 832, "height": 1216, "denoise": 0.7}
    assert (metadata.model_name, metadata.model_hash) == ("Stable Diffusion XL", "C1E1DE52")
    assert metadata.extra["noise_schedule"] == "native"
    assert set(metadata.raw) == {"Title", "Description", "Software", "Source", "Comment"}


def test_invokeai():
    metadata = extract(factory.invokeai_png())
    assert metadata.source == "invokeai"
    assert (metadata.prompt, metadata.negative_prompt) == ("a lighthouse in a storm, oil painting", "text, watermark")
    assert metadata.params == {"steps": 30, "seed": 42, "cfgScale": 7.5, "scheduler": "dpmpp_2m_k",
                               "width": 1024, "height": 1024}
    assert (metadata.model_name, metadata.model_hash, metadata.version) == ("Juggernaut XL v9", "blake3:1f2e3d", "4.2.4")
    assert metadata.loras == [{"name": "add-detail-xl", "weight": 0.75, "hash": "blake3:a1b2c3"}]
    assert metadata.extra["generation_mode"] == "sdxl_txt2img"


def test_invokeai_legacy_sd_metadata():
    legacy = {"model_weights": "stable-diffusion-1.5", "app_version": "2.3.5",
              "image": {"prompt": [{"prompt": "an owl", "weight": 1.0}], "steps": 50, "cfg_scale": 7.5, "seed": 3,
                        "sampler": "k_lms", "width": 512, "height": 512}}
    metadata = extract(factory.png_with_text({"sd-metadata": json.dumps(legacy)}))
    assert (metadata.source, metadata.prompt, metadata.model_name) == ("invokeai", "an owl", "stable-diffusion-1.5")
    assert metadata.params["sampler"] == "k_lms"


def test_fooocus_json_scheme():
    metadata = extract(factory.fooocus_png())
    assert metadata.source == "fooocus"
    assert (metadata.prompt, metadata.negative_prompt) == ("a red fox, autumn forest", "cartoon")
    assert metadata.params == {"steps": 30, "seed": 8811546391547416352, "cfgScale": 4.0, "sampler": "dpmpp_2m_sde_gpu",
                               "scheduler": "karras", "width": 1152, "height": 896}
    assert (metadata.model_name, metadata.model_hash, metadata.version) == (
        "juggernautXL_v8Rundiffusion", "aeb7e9e689", "Fooocus v2.5.5")
    assert metadata.loras == [{"name": "sd_xl_offset_example-lora_1.0", "weight": 0.1, "hash": "4852686128"}]


def test_fooocus_a1111_scheme_in_jpeg_exif_ifd0():
    exif = factory.exif_bytes({0x9286: factory.A1111_PARAMETERS, 0x927C: "a1111", 0x0131: "Fooocus v2.5.5"})
    data = factory._encode(Image.new("RGB", (8, 8)), "JPEG", exif=exif)
    assert_full_a1111(extract(data), source="fooocus")


def test_swarmui():
    metadata = extract(factory.swarmui_png())
    assert metadata.source == "swarmui"
    assert (metadata.prompt, metadata.negative_prompt) == ("a cozy cabin, snow, warm light", "people")
    assert metadata.params == {"steps": 24, "seed": 1776, "cfgScale": 6.0, "sampler": "euler", "scheduler": "normal",
                               "width": 1024, "height": 768}
    assert (metadata.model_name, metadata.model_hash, metadata.version) == ("sd_xl_base_1.0", "0x31e35c80fc", "0.9.5.2")
    assert metadata.loras == [{"name": "cabin-lora", "weight": 0.6, "hash": "0xabcdef0123"}]
    assert metadata.extra["sui_extra_data"]["generation_time"] == "4.84 sec"


# --- images without generation data ---------------------------------------------------------------

@pytest.mark.parametrize("data", [
    factory.rotated_jpeg(),
    factory.photo_png((16, 16)),
    factory.png_with_text({"Software": "GIMP 2.10", "Creation Time": "2025-01-01"}),
    factory._encode(Image.new("RGB", (8, 8)), "JPEG", exif=factory.exif_bytes({0x010F: "Canon", 0x0110: "EOS R5"})),
])
def test_ordinary_images_have_no_generation_metadata(data):
    assert extract(data) == GenerationMetadata()


def test_unrecognised_generator_text_is_kept_raw():
    metadata = extract(factory.png_with_text({"Dream": '"an owl" -s 50 -S 3 -W 512 -H 512 -C 7.5 -A k_lms (seed)'}))
    assert metadata.source == "unknown"
    assert "Dream" in metadata.raw


def test_parameters_without_details_line_is_a_bare_prompt():
    metadata = extract(factory.png_with_text({"parameters": "just a prompt"}))
    assert (metadata.source, metadata.prompt) == ("unknown", "just a prompt")


# --- hostile input --------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"", b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n" + b"\xff" * 100, b"\xff\xd8\xff" + b"\0" * 50,
    b"RIFF\0\0\0\0WEBP" + b"\xff" * 40, factory.html_as_png(), factory.svg_as_png(), factory.gif(),
    factory.decompression_bomb_png(), factory.decompression_bomb_jpeg(), factory.truncated_jpeg(),
    factory.truncated(factory.comfyui_png(), 0.3),
    factory.png_with_chunks([b"\x7f\xff\xff\xfftEXtparameters\0Steps: 1"]),  # declared length beyond the file
    factory.png_with_chunks([factory._chunk(b"zTXt", b"parameters\0\0not zlib at all")]),
    factory.png_with_chunks([factory._chunk(b"iTXt", b"parameters")]),
    factory.png_with_chunks([factory._chunk(b"tEXt", b"\0no keyword")]),
])
def test_hostile_files_give_empty_or_partial_metadata(data):
    metadata = extract(data)
    assert isinstance(metadata, GenerationMetadata)
    json.dumps(metadata.to_dict(), allow_nan=False)


@pytest.mark.parametrize("texts,source", [
    ({"parameters": json.dumps({"sui_image_params": {"loras": 5, "loraweights": "x", "prompt": 3},
                                "sui_models": "x"})}, "swarmui"),
    ({"parameters": json.dumps({"loras": {"a": 1}, "resolution": 5, "seed": [1]}), "fooocus_scheme": "fooocus"}, "fooocus"),
    ({"invokeai_metadata": json.dumps({"loras": [1, {"model": 5}, {"lora": "x"}], "model": [1]})}, "invokeai"),
    ({"sd-metadata": json.dumps({"image": {"prompt": [1, {"prompt": "a"}]}})}, "invokeai"),
    ({"Software": "NovelAI", "Comment": "[]", "Source": "5"}, "novelai"),
])
def test_malformed_generator_json_keeps_the_source(texts, source):
    # The catch-all in extract() would turn a crash into an empty result: the source proves no crash.
    assert extract(factory.png_with_text(texts)).source == source


def test_compressed_text_bomb_is_capped():
    bomb = zlib.compress(b"a" * (64 * 1024 * 1024), 9)  # 64 MiB of text in 64 KiB
    assert len(bomb) < 100_000
    data = factory.png_with_chunks([factory._chunk(b"zTXt", b"parameters\0\0" + bomb)])
    metadata = extract(data)
    assert len(metadata.raw["parameters"]) == RAW_VALUE_CHARS
    assert len(metadata.prompt) == PROMPT_CHARS


def test_strings_and_collections_are_capped():
    loras = "".join(f"<lora:l{i}:0.5>" for i in range(1000))
    long_value = "v" * 100_000
    text = (f"{'p' * 50_000} {loras}\nNegative prompt: {'n' * 50_000}\n"
            f"Steps: 20, Sampler: Euler, Model: {long_value}, Weird: {long_value}")
    metadata = extract(factory.a1111_png("iTXt-z", text))
    assert len(metadata.prompt) == len(metadata.negative_prompt) == PROMPT_CHARS
    assert len(metadata.model_name) == len(metadata.extra["Weird"]) == VALUE_CHARS
    assert len(metadata.loras) == 200
    assert len(json.dumps(metadata.to_dict())) < 1_000_000


def test_deeply_nested_and_non_finite_json_is_harmless():
    nested = "[" * 100_000 + "]" * 100_000
    assert extract(factory.png_with_text({"prompt": nested, "invokeai_metadata": nested})).prompt is None
    settings = {"sui_image_params": {"prompt": "x", "cfgscale": float("nan"), "weird": float("inf"),
                                     "deep": [[[[[[[[[["too deep"]]]]]]]]]]}}
    metadata = extract(factory.png_with_text({"parameters": json.dumps(settings)}))
    assert "cfgScale" not in metadata.params
    assert metadata.extra["weird"] is None
    json.dumps(metadata.to_dict(), allow_nan=False)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it skips
def test_fuzzed_metadata_files_never_raise():
    rng = random.Random(99)
    seeds = [factory.a1111_png(), factory.comfyui_png(), factory.comfyui_webp(), factory.jpeg_with_user_comment(),
             factory.novelai_png(), factory.invokeai_png()]
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        json.dumps(extract(bytes(data)).to_dict(), allow_nan=False)


def test_fuzzed_infotexts_never_raise():
    rng = random.Random(7)
    alphabet = 'Steps: ,"{}[]<>lora:\n\\Negative prompt:0123456789x'
    for _ in range(500):
        parse_a1111("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))))
