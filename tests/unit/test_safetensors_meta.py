import json
import struct

import pytest

from functions.ingest.safetensors_meta import (
    MAX_NESTING_DEPTH,
    SPECULATIVE_READ,
    InvalidSafetensors,
    SafetensorsHeader,
    read_header,
)
from tests.fixtures import safetensors_factory as factory


class RecordingReader:
    """read_range over in-memory bytes that records every request and how many bytes it returned."""

    def __init__(self, data: bytes, *, ignores_range: bool = False, overshoot: int = 0) -> None:
        self.data = data
        self.ignores_range = ignores_range  # answers like a server replying 200 with the whole body
        self.overshoot = overshoot
        self.requests: list[tuple[int, int]] = []
        self.bytes_returned = 0

    def __call__(self, start: int, length: int) -> bytes:
        self.requests.append((start, length))
        chunk = self.data if self.ignores_range else self.data[start:start + length + self.overshoot]
        self.bytes_returned += len(chunk)
        return chunk


class ZeroTailFile:
    """A huge virtual file: real header bytes followed by ``data_length`` zeros that are never stored."""

    def __init__(self, header: bytes, data_length: int) -> None:
        self.header = header
        self.size = len(header) + data_length
        self.bytes_returned = 0

    def __call__(self, start: int, length: int) -> bytes:
        end = min(start + length, self.size)
        head = self.header[start:end]
        chunk = head + b"\0" * (end - max(start, len(self.header)))
        self.bytes_returned += len(chunk)
        return chunk


def parse(data: bytes, **options) -> SafetensorsHeader:
    return read_header(RecordingReader(data), len(data), **options)


def header_length_of(data: bytes) -> int:
    return struct.unpack("<Q", data[:8])[0]


def reason_for(data: bytes, **options) -> str:
    with pytest.raises(InvalidSafetensors) as caught:
        parse(data, **options)
    return caught.value.reason


# --- base model and kind ----------------------------------------------------------------------------

@pytest.mark.parametrize("base", ["SD1.5", "SD2", "SDXL", "Flux"])
def test_kohya_lora_base_model_comes_from_its_metadata(base):
    header = parse(factory.lora_bytes(base))
    assert (header.base_model, header.base_model_source, header.kind) == (base, "kohya", "lora")


@pytest.mark.parametrize("base,naming", [
    ("SD1.5", "kohya"), ("SD2", "kohya"), ("SDXL", "kohya"), ("SDXL", "diffusers"),
    ("Flux", "kohya"), ("Flux", "diffusers"), ("Flux", "bfl"),
])
def test_lora_without_metadata_is_recognised_from_tensor_keys_and_shapes(base, naming):
    header = parse(factory.lora_bytes(base, naming=naming, metadata={}))
    assert (header.base_model, header.base_model_source, header.kind) == (base, "tensors", "lora")
    assert header.metadata == {}


@pytest.mark.parametrize("base", sorted(factory.CHECKPOINT_LAYOUTS))
def test_checkpoint_key_sets_are_recognised(base):
    header = parse(factory.checkpoint_bytes(base))
    assert (header.base_model, header.base_model_source, header.kind) == (base, "tensors", "checkpoint")


@pytest.mark.parametrize("architecture,base,kind", [
    ("stable-diffusion-xl-v1-base/lora", "SDXL", "lora"),
    ("stable-diffusion-v1-lora", "SD1.5", "lora"),
    ("stable-diffusion-v2-768-v/lora", "SD2", "lora"),
    ("stable-diffusion-3-medium/lora", "SD3", "lora"),
    ("flux-1-dev/lora", "Flux", "lora"),
    ("flux-2-klein-4b/lora", "Flux.2", "lora"),
    ("chroma/lora", "Chroma", "lora"),
    ("lumina-2/lora", "Lumina2", "lora"),
    ("z-image-turbo/lora", "Z-Image", "lora"),
    ("qwen-image/lora", "Qwen-Image", "lora"),
    ("stable-diffusion-v1/textual-inversion", "SD1.5", "textual-inversion"),
    ("stable-diffusion-xl-v1-base", "SDXL", "checkpoint"),
])
def test_modelspec_architecture(architecture, base, kind):
    data = factory.safetensors_bytes({"weights": factory.weights((2, 2))}, factory.modelspec_metadata(architecture))
    header = parse(data)
    assert (header.base_model, header.base_model_source, header.kind) == (base, "modelspec", kind)


def test_modelspec_outranks_kohya_which_outranks_tensors():
    metadata = {**factory.kohya_metadata("SD1.5"), **factory.modelspec_metadata("flux-1-dev/lora")}
    assert parse(factory.lora_bytes("SDXL", metadata=metadata)).base_model == "Flux"
    assert parse(factory.lora_bytes("SDXL", metadata=factory.kohya_metadata("SD1.5"))).base_model == "SD1.5"


def test_unrecognised_modelspec_architecture_falls_through_to_kohya():
    metadata = {**factory.kohya_metadata("SDXL"), **factory.modelspec_metadata("hunyuan-image-2.1/lora")}
    header = parse(factory.lora_bytes("SDXL", metadata=metadata))
    assert (header.base_model, header.base_model_source) == ("SDXL", "kohya")


def test_legacy_ss_v2_flag_means_sd2():
    header = parse(factory.lora_bytes("SD1.5", metadata={"ss_v2": "True", "ss_network_module": "networks.lora"}))
    assert (header.base_model, header.base_model_source) == ("SD2", "kohya")


def test_ss_v2_false_alone_defers_to_tensor_shapes():
    header = parse(factory.lora_bytes("SDXL", metadata={"ss_v2": "False"}))
    assert (header.base_model, header.base_model_source) == ("SDXL", "tensors")


@pytest.mark.parametrize("base", ["SD1.5", "SD2", "SDXL"])
def test_textual_inversion(base):
    header = parse(factory.textual_inversion_bytes(base))
    assert (header.kind, header.base_model, header.base_model_source) == ("textual-inversion", base, "tensors")


def test_unrecognisable_file_is_unknown():
    header = parse(factory.safetensors_bytes({"encoder.conv_in.weight": factory.weights((4, 4))}))
    assert (header.base_model, header.base_model_source, header.kind) == ("Unknown", "none", "unknown")


# --- described fields -------------------------------------------------------------------------------

def test_kohya_metadata_is_decoded_and_summarised():
    data = factory.lora_bytes("SDXL", dim=8, metadata={**factory.kohya_metadata("SDXL", dim=8, alpha=4),
                                                      "modelspec.trigger_phrase": "hro_style, Hero , "})
    header = parse(data)
    assert header.header_length == header_length_of(data)
    assert header.data_offset == 8 + header.header_length
    assert header.tensor_count == 9
    assert header.metadata["ss_network_dim"] == "8"
    assert header.parsed["ss_tag_frequency"] == factory.TAG_FREQUENCY
    assert header.parsed["ss_dataset_dirs"] == factory.DATASET_DIRS
    assert header.parsed["ss_bucket_info"]["buckets"]["0"]["count"] == 15
    assert header.parsed["ss_network_args"] == {"conv_dim": "4", "conv_alpha": "1"}
    assert header.network == {"module": "networks.lora", "dim": 8, "alpha": 4.0}
    assert header.resolution == "1024x1024"
    assert header.training_images == 15
    assert header.output_name == "hero_style"
    assert list(header.tag_frequency.items()) == [("hero", 15), ("red cape", 7), ("city", 5), ("night", 2)]
    assert header.trigger_candidates == ["hro_style", "Hero", "red cape", "city", "night"]
    assert header.modelspec == {"trigger_phrase": "hro_style, Hero , "}
    assert set(header.raw_header) == {"__metadata__", *factory.lora_tensors("SDXL", dim=8)}


def test_tag_frequency_in_other_encodings():
    per_directory_strings = {"1_a": json.dumps({"x": 1, "y": 3}), "2_b": json.dumps({"x": 4})}
    header = parse(factory.lora_bytes("SD1.5", metadata={"ss_tag_frequency": json.dumps(per_directory_strings)}))
    assert header.tag_frequency == {"x": 5, "y": 3}
    assert header.parsed["ss_tag_frequency"] == {"1_a": {"x": 1, "y": 3}, "2_b": {"x": 4}}

    flat = parse(factory.lora_bytes("SD1.5", metadata={"ss_tag_frequency": json.dumps({"x": 2, "y": 9})}))
    assert list(flat.tag_frequency) == ["y", "x"]

    datasets = [{"tag_frequency": {"1_a": {"x": 2}}}, {"tag_frequency": {"1_b": {"x": 1, "z": 1}}}]
    nested = parse(factory.lora_bytes("SD1.5", metadata={"ss_datasets": json.dumps(datasets)}))
    assert nested.tag_frequency == {"x": 3, "z": 1}


def test_undecodable_kohya_json_is_kept_as_a_string():
    deep = "[" * 500 + "]" * 500
    header = parse(factory.lora_bytes("SD1.5", metadata={"ss_tag_frequency": "{oops", "ss_datasets": deep}))
    assert header.parsed == {"ss_tag_frequency": "{oops", "ss_datasets": deep}
    assert header.tag_frequency == {} and header.trigger_candidates == []


def test_trigger_candidates_are_deduplicated_and_capped():
    tags = {"1_a": {f"tag{i}": 100 - i for i in range(20)}}
    metadata = {"modelspec.trigger_phrase": "Tag0, special", "ss_tag_frequency": json.dumps(tags)}
    header = parse(factory.lora_bytes("SD1.5", metadata=metadata))
    assert header.trigger_candidates == ["Tag0", "special", *(f"tag{i}" for i in range(1, 9))]


def test_missing_and_unparseable_summary_values():
    metadata = {"ss_network_module": "lycoris.kohya", "ss_network_dim": "Dynamic", "ss_num_train_images": "many",
                "modelspec.resolution": "768x1024"}
    header = parse(factory.lora_bytes("SD1.5", metadata=metadata))
    assert header.network == {"module": "lycoris.kohya", "dim": "Dynamic", "alpha": None}
    assert header.training_images is None and header.output_name is None
    assert header.resolution == "768x1024"


def test_null_metadata_reads_as_empty_like_the_reference_implementation():
    data = factory.raw_safetensors({"__metadata__": None, "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}},
                                   b"\0" * 4)
    assert parse(data).metadata == {}


@pytest.mark.parametrize("dtype,shape,nbytes", [
    ("F4", [3], 2), ("F6_E2M3", [5], 4), ("F6_E3M2", [4], 3), ("BOOL", [3], 3), ("C64", [2], 16),
    ("F8_E8M0", [2, 2], 4), ("U8", [0, 7], 0), ("F32", [], 4),
])
def test_byte_size_per_dtype_including_sub_byte_and_empty_tensors(dtype, shape, nbytes):
    data = factory.raw_safetensors({"a": {"dtype": dtype, "shape": shape, "data_offsets": [0, nbytes]}}, b"\1" * nbytes)
    assert parse(data).tensor_count == 1


def test_empty_tensor_may_share_an_offset_with_its_neighbour():
    header = {"empty": {"dtype": "F16", "shape": [0], "data_offsets": [4, 4]},
              "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
              "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}
    assert parse(factory.raw_safetensors(header, b"\0" * 6)).tensor_count == 3


def test_trailing_space_padding_is_accepted():
    data = factory.raw_safetensors('{"__metadata__":{"a":"b"}}' + " " * 37, pad=False)
    assert parse(data).metadata == {"a": "b"}


# --- hostile files ----------------------------------------------------------------------------------

HOSTILE_REASONS = {
    "shorter_than_prefix": "too small for the 8-byte",
    "length_beyond_file": "runs past the end",
    "length_over_limit": "exceeds the 100000000-byte limit",
    "zero_length_header": "header length is 0",
    "not_json": "not valid JSON",
    "not_utf8": "not valid UTF-8",
    "leading_whitespace": "starting with '{'",
    "not_an_object": "starting with '{'",
    "deeply_nested": f"nested deeper than {MAX_NESTING_DEPTH}",
    "duplicate_keys": 'repeats the key "t"',
    "non_finite_number": "NaN is not a JSON value",
    "overlapping_offsets": 'tensor "b" overlaps',
    "hole_in_buffer": "hole: bytes 4..8",
    "trailing_unclaimed_bytes": "bytes that belong to no tensor",
    "wrong_byte_count": "spans 4 bytes but F32 [2] needs 8",
    "bad_dtype": 'unsupported dtype "F128"',
    "negative_dimension": "non-negative integers",
    "fractional_offsets": "data_offsets must be",
    "missing_data_offsets": "lacks data_offsets",
    "truncated_file": "truncated file",
    "truncated_inside_header": "runs past the end",
    "non_string_metadata": 'value for "ss_network_dim" must be a string, not a number',
    "metadata_not_an_object": "must be an object of strings, not an array",
}


def test_every_hostile_builder_has_an_expected_reason():
    assert set(HOSTILE_REASONS) == set(factory.HOSTILE_FILES)


@pytest.mark.parametrize("name", sorted(factory.HOSTILE_FILES))
def test_hostile_file_is_rejected_with_a_clear_reason(name):
    assert HOSTILE_REASONS[name] in reason_for(factory.HOSTILE_FILES[name]())


@pytest.mark.parametrize("json_text", [
    '{"x":' + "[" * 200_000 + "]" * 200_000 + "}",
    '{"x":' + "[" * 200_000,  # unbalanced too: refused before json.loads could recurse
    '{"x":' + "{\"k\":" * 65 + "1" + "}" * 65 + "}",
])
def test_extreme_nesting_is_rejected_without_recursion_errors(json_text):
    assert "nested deeper" in reason_for(factory.raw_safetensors(json_text))


def test_brackets_inside_strings_do_not_count_as_nesting():
    metadata = {"note": "[" * 1000 + '\\"{' * 100}
    assert parse(factory.lora_bytes("SD1.5", metadata=metadata)).metadata == metadata


def test_nesting_at_the_limit_is_fine():
    nested = "[" * (MAX_NESTING_DEPTH - 1) + "]" * (MAX_NESTING_DEPTH - 1)
    assert "nested" not in reason_for(factory.raw_safetensors('{"x":' + nested + "}"))  # fails later, as a tensor


def test_configurable_header_cap():
    data = factory.lora_bytes("SDXL")
    assert "exceeds the 100-byte limit" in reason_for(data, max_header=100)


# --- ranged reads -----------------------------------------------------------------------------------

def test_small_header_costs_one_request():
    for file in (factory.lora_bytes("SDXL"), factory.large_safetensors_bytes(200_000)):
        reader = RecordingReader(file)
        read_header(reader, len(file))
        assert reader.requests == [(0, min(len(file), 8 + SPECULATIVE_READ))]
        assert reader.bytes_returned <= header_length_of(file) + 8 + SPECULATIVE_READ


def test_large_header_costs_exactly_one_more_request_for_the_rest():
    data = factory.lora_bytes("SD1.5", metadata={"ss_training_comment": "x" * 300_000})
    length = header_length_of(data)
    reader = RecordingReader(data)
    header = read_header(reader, len(data))
    assert reader.requests == [(0, 8 + SPECULATIVE_READ), (8 + SPECULATIVE_READ, length - SPECULATIVE_READ)]
    assert reader.bytes_returned == 8 + length
    assert header.metadata["ss_training_comment"] == "x" * 300_000


def test_speculative_read_size_is_configurable():
    data = factory.lora_bytes("SD1.5", metadata={"ss_training_comment": "x" * 5000})
    reader = RecordingReader(data)
    read_header(reader, len(data), speculative=1024)
    assert [start for start, _ in reader.requests] == [0, 8 + 1024]
    assert reader.bytes_returned == 8 + header_length_of(data)


def test_header_of_a_huge_file_reads_only_the_header():
    data_length = 2 * 1024**3
    file = ZeroTailFile(factory.single_tensor_header(data_length, {"ss_output_name": "big"}), data_length)
    header = read_header(file, file.size)
    assert header.output_name == "big" and header.tensor_count == 1
    assert file.bytes_returned <= header.header_length + 8 + SPECULATIVE_READ


@pytest.mark.parametrize("metadata", [{}, {"ss_training_comment": "x" * 300_000}], ids=["small", "large"])
def test_server_that_ignores_range_and_returns_the_whole_body(metadata):
    data = factory.lora_bytes("SDXL", metadata=metadata)
    reader = RecordingReader(data, ignores_range=True)
    header = read_header(reader, len(data))
    assert header.base_model == "SDXL" and header.metadata == metadata
    assert len(reader.requests) == 1  # the first answer already held the whole header


def test_reader_returning_more_than_asked_is_sliced():
    data = factory.lora_bytes("SD1.5", metadata={"ss_training_comment": "x" * 300_000})
    header = read_header(RecordingReader(data, overshoot=1000), len(data))
    assert header.metadata["ss_training_comment"] == "x" * 300_000


def test_object_shorter_than_its_stated_size():
    data = factory.lora_bytes("SD1.5")
    with pytest.raises(InvalidSafetensors, match="shorter than its stated size"):
        read_header(RecordingReader(data), len(data) + 100_000)


def test_tiny_file_is_rejected_without_reading():
    reader = RecordingReader(b"1234567")
    with pytest.raises(InvalidSafetensors, match="too small"):
        read_header(reader, 7)
    assert reader.requests == []
