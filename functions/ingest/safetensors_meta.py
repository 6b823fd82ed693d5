"""Read and validate a .safetensors header through ranged reads, without touching tensor data.

The caller supplies ``read_range(start, length) -> bytes`` (an S3 ranged GET in the ingest Lambda)
and the object size. A header that fits in the speculative first read costs one request; a longer
one costs exactly one more. Validation follows the reference implementation (huggingface/safetensors
``tensor.rs``): every rule violation raises :class:`InvalidSafetensors` with a reason fit to show the
uploader. Everything needed for detection (tensor names and shapes) lives in the header.
"""
from __future__ import annotations

import json
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import Any, Literal, TypedDict

ReadRange = Callable[[int, int], bytes]
BaseModel = Literal["SD1.5", "SD2", "SDXL", "SD3", "Flux", "Flux.2", "Chroma", "Lumina2", "Z-Image", "Qwen-Image", "Unknown"]
BaseModelSource = Literal["modelspec", "kohya", "tensors", "none"]
ModelKind = Literal["lora", "checkpoint", "textual-inversion", "unknown"]

LENGTH_PREFIX_SIZE = 8
MAX_HEADER_SIZE = 100_000_000  # the reference implementation's MAX_HEADER_SIZE
SPECULATIVE_READ = 64 * 1024
MAX_NESTING_DEPTH = 64
MAX_TRIGGER_CANDIDATES = 10

DTYPE_BITS: Mapping[str, int] = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
    "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}
METADATA_KEY = "__metadata__"
KOHYA_JSON_KEYS = ("ss_tag_frequency", "ss_dataset_dirs", "ss_reg_dataset_dirs", "ss_datasets", "ss_bucket_info",
                   "ss_network_args")


class InvalidSafetensors(ValueError):
    """The bytes are not a well-formed safetensors file; ``reason`` says why, in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NetworkInfo(TypedDict):
    module: str | None
    dim: int | float | str | None  # a number when the stored string parses as one
    alpha: int | float | str | None


@dataclass(frozen=True, slots=True)
class SafetensorsHeader:
    header_length: int
    tensor_count: int
    metadata: dict[str, str]
    parsed: dict[str, Any]
    modelspec: dict[str, str]
    network: NetworkInfo
    resolution: str | None
    training_images: int | None
    output_name: str | None
    tag_frequency: dict[str, int]
    trigger_candidates: list[str]
    base_model: BaseModel
    base_model_source: BaseModelSource
    kind: ModelKind
    raw_header: dict[str, Any]
    data_offset: int


def read_header(read_range: ReadRange, size: int, *, max_header: int = MAX_HEADER_SIZE,
                speculative: int = SPECULATIVE_READ) -> SafetensorsHeader:
    """Fetch, validate and describe the header of a ``size``-byte safetensors object."""
    header_bytes = _fetch_header_bytes(read_range, size, max_header, speculative)
    document = _decode_header_json(header_bytes)
    metadata = _validated_metadata(document.get(METADATA_KEY))
    tensors = {name: entry for name, entry in document.items() if name != METADATA_KEY}
    _validate_tensor_layout(tensors, buffer_length=size - LENGTH_PREFIX_SIZE - len(header_bytes))
    return _describe(document, tensors, metadata, len(header_bytes))


# --- fetching -------------------------------------------------------------------------------------

def _fetch_header_bytes(read_range: ReadRange, size: int, max_header: int, speculative: int) -> bytes:
    if size < LENGTH_PREFIX_SIZE:
        raise InvalidSafetensors(f"file is {size} bytes, too small for the 8-byte header length prefix")
    first_length = min(size, LENGTH_PREFIX_SIZE + speculative)
    # Kept whole: a server that ignores Range answers with the entire object, which already holds the header.
    head = read_range(0, first_length)
    _require_length(head, first_length, start=0)
    header_length = int.from_bytes(head[:LENGTH_PREFIX_SIZE], "little")
    _check_header_length(header_length, size, max_header)
    data_offset = LENGTH_PREFIX_SIZE + header_length
    header_bytes = bytes(head[LENGTH_PREFIX_SIZE:data_offset])
    if len(header_bytes) < header_length:
        already_read = LENGTH_PREFIX_SIZE + len(header_bytes)
        header_bytes += _read_exact(read_range, already_read, data_offset - already_read, size)
    return header_bytes


def _read_exact(read_range: ReadRange, start: int, length: int, size: int) -> bytes:
    data = read_range(start, length)
    if len(data) > length:
        # A 200 answer carries the whole object (so it starts at 0); anything else over-long starts at ``start``.
        data = data[start:start + length] if len(data) == size else data[:length]
    _require_length(data, length, start)
    return bytes(data)


def _require_length(data: bytes, length: int, start: int) -> None:
    if len(data) < length:
        raise InvalidSafetensors(
            f"read {len(data)} bytes at offset {start} where {length} were expected: the file is shorter than its stated size")


def _check_header_length(header_length: int, size: int, max_header: int) -> None:
    if header_length == 0:
        raise InvalidSafetensors("header length is 0")
    if header_length > max_header:
        raise InvalidSafetensors(f"header length {header_length} exceeds the {max_header}-byte limit")
    if header_length > size - LENGTH_PREFIX_SIZE:
        raise InvalidSafetensors(
            f"header length {header_length} runs past the end of the {size}-byte file (truncated or not safetensors)")


# --- JSON decoding --------------------------------------------------------------------------------

_JSON_STRING_AFTER_UNESCAPING = re.compile(rb'"[^"]*"')
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


def _decode_header_json(header_bytes: bytes) -> dict[str, Any]:
    try:
        text = header_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSafetensors(f"header is not valid UTF-8 (bad byte at position {exc.start})") from None
    if not text.startswith("{"):
        raise InvalidSafetensors("header must be a JSON object starting with '{' (no leading whitespace)")
    if _nesting_exceeds(header_bytes, MAX_NESTING_DEPTH):
        raise InvalidSafetensors(f"header JSON is nested deeper than {MAX_NESTING_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_non_finite)
    except json.JSONDecodeError as exc:
        raise InvalidSafetensors(f"header is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _nesting_exceeds(json_bytes: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit``, decided without recursion.

    Every step runs in C (bytes.replace, re, translate, accumulate), so a hostile 100 MB header costs
    seconds, not minutes, and a deep one is refused at its first 65 brackets.
    """
    # Drop escaped backslashes first, then escaped quotes: every quote left delimits a string.
    unescaped = json_bytes.replace(b"\\\\", b"").replace(b'\\"', b"")
    steps = _JSON_STRING_AFTER_UNESCAPING.sub(b"", unescaped).translate(_BRACKET_STEPS, _NOT_A_BRACKET)
    depths = accumulate(memoryview(steps).cast("b"))
    return any(map(partial(operator.lt, limit), depths))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise InvalidSafetensors(f"header repeats the key {_quote(duplicate)}")
    return document


def _reject_non_finite(constant: str) -> float:
    raise InvalidSafetensors(f"header is not valid JSON: {constant} is not a JSON value")


# --- structural validation ------------------------------------------------------------------------

def _validated_metadata(value: Any) -> dict[str, str]:
    if value is None:  # the reference implementation reads null as "no metadata"
        return {}
    if not isinstance(value, dict):
        raise InvalidSafetensors(f"{METADATA_KEY} must be an object of strings, not {_json_type(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise InvalidSafetensors(
                f"{METADATA_KEY} value for {_quote(key)} must be a string, not {_json_type(item)}")
    return value


def _validate_tensor_layout(tensors: Mapping[str, Any], buffer_length: int) -> None:
    spans = sorted((*_validated_span(name, entry), name) for name, entry in tensors.items())
    cursor = 0
    for begin, end, name in spans:
        if begin < cursor:
            raise InvalidSafetensors(
                f"tensor {_quote(name)} overlaps another tensor (starts at {begin}, the previous one ends at {cursor})")
        if begin > cursor:
            raise InvalidSafetensors(f"data buffer has a hole: bytes {cursor}..{begin} belong to no tensor")
        cursor = end
    if cursor > buffer_length:
        raise InvalidSafetensors(
            f"tensors need {cursor} bytes of data but only {buffer_length} follow the header (truncated file?)")
    if cursor < buffer_length:
        raise InvalidSafetensors(f"data buffer ends with {buffer_length - cursor} bytes that belong to no tensor")


def _validated_span(name: str, entry: Any) -> tuple[int, int]:
    if not isinstance(entry, dict):
        raise InvalidSafetensors(f"tensor {_quote(name)} must be an object, not {_json_type(entry)}")
    missing = [field for field in ("dtype", "shape", "data_offsets") if field not in entry]
    if missing:
        raise InvalidSafetensors(f"tensor {_quote(name)} lacks {', '.join(missing)}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise InvalidSafetensors(f"tensor {_quote(name)} has unsupported dtype {_quote(str(dtype))}")
    if not isinstance(shape, list) or not all(map(_is_count, shape)):
        raise InvalidSafetensors(f"tensor {_quote(name)} shape must be a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise InvalidSafetensors(f"tensor {_quote(name)} data_offsets must be [begin, end] with 0 <= begin <= end")
    begin, end = offsets
    expected = (math.prod(shape) * DTYPE_BITS[dtype] + 7) // 8  # sub-byte dtypes round up to whole bytes
    if end - begin != expected:
        raise InvalidSafetensors(
            f"tensor {_quote(name)} spans {end - begin} bytes but {dtype} {shape} needs {expected}")
    return begin, end


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _quote(text: str, limit: int = 80) -> str:
    # Names come from the uploader: bound their length and escape them before they reach a message.
    return json.dumps(text[:limit] + ("…" if len(text) > limit else ""), ensure_ascii=False)


# --- description ----------------------------------------------------------------------------------

def _describe(document: dict[str, Any], tensors: Mapping[str, Any], metadata: dict[str, str],
              header_length: int) -> SafetensorsHeader:
    modelspec = {key.removeprefix("modelspec."): value for key, value in metadata.items() if key.startswith("modelspec.")}
    parsed = {key: _decode_kohya_value(key, metadata[key]) for key in KOHYA_JSON_KEYS if key in metadata}
    tag_frequency = _merged_tag_frequency(parsed.get("ss_tag_frequency"), parsed.get("ss_datasets"))
    tensor_base = _base_model_from_tensors(tensors)
    base_model, base_model_source = _detect_base_model(modelspec, metadata, tensor_base)
    return SafetensorsHeader(
        header_length=header_length,
        tensor_count=len(tensors),
        metadata=metadata,
        parsed=parsed,
        modelspec=modelspec,
        network=NetworkInfo(module=metadata.get("ss_network_module"),
                            dim=_parse_number(metadata.get("ss_network_dim")),
                            alpha=_parse_number(metadata.get("ss_network_alpha"))),
        resolution=_resolution(metadata.get("ss_resolution"), modelspec.get("resolution")),
        training_images=_parse_int(metadata.get("ss_num_train_images")),
        output_name=metadata.get("ss_output_name"),
        tag_frequency=tag_frequency,
        trigger_candidates=_trigger_candidates(modelspec.get("trigger_phrase", ""), tag_frequency),
        base_model=base_model,
        base_model_source=base_model_source,
        kind=_detect_kind(modelspec, metadata, tensors, tensor_base),
        raw_header=document,
        data_offset=LENGTH_PREFIX_SIZE + header_length,
    )


def _decode_kohya_value(key: str, text: str) -> Any:
    value = _decode_json_string(text)
    if key == "ss_tag_frequency" and isinstance(value, dict):
        # Some writers encode each directory's counts as a JSON string of its own.
        value = {directory: _decode_json_string(counts) if isinstance(counts, str) else counts
                 for directory, counts in value.items()}
    return value


def _decode_json_string(text: str) -> Any:
    """The decoded value, or ``text`` itself when it is not (safely decodable) JSON."""
    if _nesting_exceeds(text.encode(), MAX_NESTING_DEPTH):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _merged_tag_frequency(tag_frequency: Any, datasets: Any) -> dict[str, int]:
    """Tag counts summed over every training directory, most frequent first."""
    if isinstance(tag_frequency, dict):
        sources = [tag_frequency]
    elif isinstance(datasets, list):  # newer kohya keeps per-dataset counts inside ss_datasets
        sources = [dataset["tag_frequency"] for dataset in datasets
                   if isinstance(dataset, dict) and isinstance(dataset.get("tag_frequency"), dict)]
    else:
        sources = []
    counts: Counter[str] = Counter()
    for source in sources:
        for key, value in source.items():
            nested = value if isinstance(value, dict) else {key: value}  # per-directory or flat tag → count
            for tag, count in nested.items():
                amount = _parse_int(count)
                if tag.strip() and amount and amount > 0:
                    counts[tag.strip()] += amount
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _trigger_candidates(trigger_phrase: str, tag_frequency: Mapping[str, int]) -> list[str]:
    candidates: dict[str, str] = {}
    for candidate in [*trigger_phrase.split(","), *tag_frequency]:
        text = candidate.strip()
        if text:
            candidates.setdefault(text.casefold(), text)
        if len(candidates) == MAX_TRIGGER_CANDIDATES:
            break
    return list(candidates.values())


def _resolution(*declared: str | None) -> str | None:
    for text in declared:
        numbers = re.findall(r"\d+", text or "")
        if len(numbers) in (1, 2):
            width, height = numbers[0], numbers[-1]
            return f"{int(width)}x{int(height)}"
    return None


def _parse_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _parse_number(text: str | None) -> int | float | str | None:
    if text is None:
        return None
    if (integer := _parse_int(text)) is not None:
        return integer
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


# --- base model and kind --------------------------------------------------------------------------

_ARCHITECTURE_PREFIXES: tuple[tuple[str, BaseModel], ...] = (
    ("stable-diffusion-xl", "SDXL"), ("stable-diffusion-v1", "SD1.5"), ("stable-diffusion-v2", "SD2"),
    ("stable-diffusion-3", "SD3"), ("flux-2", "Flux.2"), ("flux.2", "Flux.2"), ("flux-1", "Flux"),
    ("chroma", "Chroma"), ("lumina-2", "Lumina2"), ("lumina2", "Lumina2"), ("z-image", "Z-Image"),
    ("qwen-image", "Qwen-Image"),
)
_KOHYA_VERSION_PREFIXES: tuple[tuple[str, BaseModel], ...] = (
    ("sdxl", "SDXL"), ("sd_v1", "SD1.5"), ("sd_v2", "SD2"), ("sd3", "SD3"), ("flux2", "Flux.2"), ("flux1", "Flux"),
    ("chroma", "Chroma"), ("lumina2", "Lumina2"), ("lumina-2", "Lumina2"), ("z_image", "Z-Image"),
    ("z-image", "Z-Image"), ("qwen_image", "Qwen-Image"), ("qwen-image", "Qwen-Image"),
)
_ADAPTER_SUFFIXES: tuple[tuple[str, ModelKind], ...] = (
    ("/lora", "lora"), ("-lora", "lora"), ("/textual-inversion", "textual-inversion"),
    ("-textual-inversion", "textual-inversion"),
)


def _detect_base_model(modelspec: Mapping[str, str], metadata: Mapping[str, str],
                       tensor_base: BaseModel | None) -> tuple[BaseModel, BaseModelSource]:
    architecture = _strip_adapter_suffix(modelspec.get("architecture", "").strip().lower())
    if base := _match_prefix(architecture, _ARCHITECTURE_PREFIXES):
        return base, "modelspec"
    if base := _match_prefix(metadata.get("ss_base_model_version", "").strip().lower(), _KOHYA_VERSION_PREFIXES):
        return base, "kohya"
    if metadata.get("ss_v2", "").strip().lower() == "true":
        return "SD2", "kohya"
    if tensor_base:
        return tensor_base, "tensors"
    return "Unknown", "none"


def _strip_adapter_suffix(architecture: str) -> str:
    for suffix, _ in _ADAPTER_SUFFIXES:
        if architecture.endswith(suffix):
            return architecture.removesuffix(suffix)
    return architecture


def _match_prefix(value: str, table: tuple[tuple[str, BaseModel], ...]) -> BaseModel | None:
    return next((base for prefix, base in table if value.startswith(prefix)), None) if value else None


def _detect_kind(modelspec: Mapping[str, str], metadata: Mapping[str, str], tensors: Mapping[str, Any],
                 tensor_base: BaseModel | None) -> ModelKind:
    architecture = modelspec.get("architecture", "").strip().lower()
    if adapter := next((kind for suffix, kind in _ADAPTER_SUFFIXES if architecture.endswith(suffix)), None):
        return adapter
    if "ss_network_module" in metadata or any(_LORA_WEIGHT.search(name) for name in tensors):
        return "lora"
    if tensors and len(tensors) <= 4 and all(_EMBEDDING.match(name) for name in tensors):
        return "textual-inversion"
    if architecture or tensor_base or any(name.startswith(_CHECKPOINT_PREFIXES) for name in tensors):
        return "checkpoint"
    return "unknown"


# Separators differ between key styles: kohya joins module paths with "_", diffusers/BFL/ldm with ".".
_LORA_WEIGHT = re.compile(r"lora_down|lora_up|lora_[AB]\.|lora\.(?:down|up)\.|hada_w[12]|lokr_w[12]")
_EMBEDDING = re.compile(r"^(?:emb_params|clip_[lg]|string_to_(?:param|token)\..+)$")
_CHECKPOINT_PREFIXES = ("model.diffusion_model.", "first_stage_model.", "conditioner.embedders.", "cond_stage_model.")
_FLUX_BLOCK = re.compile(r"(?:^|[._])(?:double_blocks|single_blocks)[._]\d+[._]|single_transformer_blocks\.\d+\.")
_FLUX2_MODULATION = re.compile(r"(?:double|single)_stream_modulation")
_FLUX_TEXT_INPUT = re.compile(r"(?:^|[._])(?:txt_in|context_embedder)[._]")
_FLUX_VECTOR_INPUT = re.compile(r"(?:^|[._])vector_in[._]in_layer[._]")
_FLUX_HIDDEN = re.compile(r"double_blocks[._]\d+[._]img_attn[._]qkv[._]")
_MMDIT_BLOCK = re.compile(r"(?:^|[._])joint_blocks[._]\d+[._]")
_QWEN_BLOCK = re.compile(r"transformer_blocks[._]\d+[._](?:img|txt)_(?:mlp|mod)[._]")
_NEXTDIT_ATTENTION = re.compile(r"(?:^|[._])(?:layers|context_refiner|noise_refiner)[._]\d+[._]attention[._](?:qkv|to_q)[._]")
_NEXTDIT_CAPTION = re.compile(r"(?:^|[._])cap_embedder\.1\.weight$")
_CROSS_ATTENTION_KEY = re.compile(r"attn2[._]to_k[._]")
_SINGLE_TEXT_ENCODER = re.compile(r"^lora_te_.*(?:mlp_fc1|self_attn_q_proj)\.")
_SDXL_MARKERS = ("lora_te1_", "lora_te2_", "text_encoder_2.", "conditioner.embedders.1.model.ln_final.weight")
_EMBEDDING_VECTORS = re.compile(r"^(?:emb_params|clip_l|string_to_param\..+)$")
_UNET_CONTEXT_WIDTHS: Mapping[int, BaseModel] = {768: "SD1.5", 1024: "SD2", 1280: "SDXL", 2048: "SDXL"}
_TEXT_WIDTHS: Mapping[int, BaseModel] = {768: "SD1.5", 1024: "SD2"}
_FLUX1_TEXT_WIDTH, _FLUX1_VECTOR_WIDTH = 4096, 768
_FLUX2_HIDDEN_SIZES = (4096, 6144)
_NEXTDIT_WIDTHS: Mapping[int, BaseModel] = {2304: "Lumina2", 3840: "Z-Image"}


def _base_model_from_tensors(tensors: Mapping[str, Any]) -> BaseModel | None:
    """Architecture from key families and input widths (InvokeAI/ComfyUI heuristics, header-only)."""
    names = list(tensors)
    if any(_FLUX_BLOCK.search(name) for name in names):
        return _flux_variant(tensors)
    if any(_MMDIT_BLOCK.search(name) for name in names):
        return "SD3"
    if any(_QWEN_BLOCK.search(name) for name in names):
        return "Qwen-Image"
    if nextdit := _nextdit_variant(tensors):
        return nextdit
    return _unet_variant(tensors)


def _flux_variant(tensors: Mapping[str, Any]) -> BaseModel:
    if any("distilled_guidance_layer" in name for name in tensors):
        return "Chroma"
    text_width = _input_width(tensors, _FLUX_TEXT_INPUT)
    vector_width = _input_width(tensors, _FLUX_VECTOR_INPUT)
    if (any(_FLUX2_MODULATION.search(name) for name in tensors)
            or text_width not in (None, _FLUX1_TEXT_WIDTH) or vector_width not in (None, _FLUX1_VECTOR_WIDTH)
            or _input_width(tensors, _FLUX_HIDDEN) in _FLUX2_HIDDEN_SIZES):
        return "Flux.2"
    return "Flux"


def _nextdit_variant(tensors: Mapping[str, Any]) -> BaseModel | None:
    caption = next((entry["shape"] for name, entry in tensors.items() if _NEXTDIT_CAPTION.search(name)), None)
    width = caption[0] if caption and len(caption) == 2 else _input_width(tensors, _NEXTDIT_ATTENTION)
    return _NEXTDIT_WIDTHS.get(width) if width else None


def _unet_variant(tensors: Mapping[str, Any]) -> BaseModel | None:
    if any(name.startswith(_SDXL_MARKERS) or name == "clip_g" for name in tensors):
        return "SDXL"
    if width := _input_width(tensors, _CROSS_ATTENTION_KEY):
        return _UNET_CONTEXT_WIDTHS.get(width)
    if width := _input_width(tensors, _SINGLE_TEXT_ENCODER):
        return _TEXT_WIDTHS.get(width)
    embedding = next((entry["shape"] for name, entry in tensors.items() if _EMBEDDING_VECTORS.match(name)), None)
    return _TEXT_WIDTHS.get(embedding[-1]) if embedding else None


def _input_width(tensors: Mapping[str, Any], key: re.Pattern[str]) -> int | None:
    """Input features of the first matching layer: shape[1] of its weight or of its LoRA down projection."""
    for name, entry in tensors.items():
        if key.search(name) and _is_input_projection(name) and len(entry["shape"]) == 2:
            return entry["shape"][1]
    return None


def _is_input_projection(name: str) -> bool:
    if name.endswith(("lora_down.weight", "lora_A.weight", "lora.down.weight")):
        return True
    return name.endswith(".weight") and not _LORA_WEIGHT.search(name)
