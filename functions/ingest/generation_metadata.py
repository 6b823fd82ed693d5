"""Read the generation parameters that AI tools embed in their images.

Sources, in the order the first match wins (CivitAI's order, extended):
  A1111/Forge infotext (PNG ``parameters`` or EXIF ``UserComment``) -> SwarmUI JSON -> Fooocus
  -> ComfyUI API graph (PNG ``prompt`` or EXIF ``Model`` = "prompt:{...}") -> InvokeAI -> NovelAI.
Text that is present but matches none of them is kept in ``raw`` with ``source="unknown"``.

``extract`` never raises: uploads are hostile until proven otherwise, so any failure yields an
empty ``GenerationMetadata``. Every string and collection kept is capped in size.
"""
from __future__ import annotations

import json
import math
import re
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from io import BytesIO
from typing import Any

from PIL import Image

from functions.ingest.images import PNG, detect_mime

MAX_TEXT_CHUNK_BYTES = 8 * 1024 * 1024  # large ComfyUI workflows reach a few MiB
MAX_TOTAL_TEXT_BYTES = 32 * 1024 * 1024
MAX_TEXT_CHUNKS = 256
RAW_VALUE_CHARS = 32 * 1024
PROMPT_CHARS = 20_000
VALUE_CHARS = 2_000
MAX_ITEMS = 200
MAX_DEPTH = 6
MAX_GRAPH_NODES = 5_000
MAX_NODE_INPUTS = 200
MAX_GRAPH_STEPS = 20_000

Json = Any


@dataclass
class GenerationMetadata:
    source: str | None = None  # a1111 | comfyui | invokeai | novelai | fooocus | swarmui | unknown
    prompt: str | None = None
    negative_prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # camelCase: steps, sampler, cfgScale, seed...
    model_name: str | None = None
    model_hash: str | None = None
    lora_hashes: dict[str, str] = field(default_factory=dict)
    loras: list[dict[str, Any]] = field(default_factory=list)  # {"name", "weight", "hash"}
    checkpoint_names: list[str] = field(default_factory=list)
    lora_names: list[str] = field(default_factory=list)
    ti_hashes: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # A1111 "Hashes" (sd_civitai_extension)
    civitai_resources: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unrecognised keys, values kept
    raw: dict[str, str] = field(default_factory=dict)  # embedded texts as found, truncated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def extract(data: bytes) -> GenerationMetadata:
    """Generation metadata embedded in an image file; empty when there is none or it is unreadable."""
    try:
        texts = _embedded_texts(data)
        metadata = _interpret(texts)
        if metadata.source is not None:
            metadata.raw = {key: value[:RAW_VALUE_CHARS] for key, value in list(texts.items())[:MAX_ITEMS]}
        return _bounded(metadata)
    except Exception:  # hostile input must never break ingest
        return GenerationMetadata()


# --- reading the embedded texts -------------------------------------------------------------------

def _embedded_texts(data: bytes) -> dict[str, str]:
    """Named texts from PNG text chunks and EXIF, keyed by PNG keyword or "exif:<Tag>"."""
    if detect_mime(data) != PNG:
        return _container_texts(data)
    texts, exif_payload = _png_texts(data)
    exif = _load_exif(exif_payload) if exif_payload else None
    if exif is not None:
        texts.update({key: value for key, value in _exif_texts(exif).items() if key not in texts})
    return texts


def _png_texts(data: bytes) -> tuple[dict[str, str], bytes | None]:
    texts: dict[str, str] = {}
    exif_payload = None
    budget = MAX_TOTAL_TEXT_BYTES
    for kind, body in _png_chunks(data):
        if kind == b"eXIf":
            exif_payload = bytes(body)
        elif kind in (b"tEXt", b"zTXt", b"iTXt") and len(texts) < MAX_TEXT_CHUNKS and budget > 0:
            decoded = _decode_text_chunk(kind, bytes(body), min(budget, MAX_TEXT_CHUNK_BYTES))
            if decoded and decoded[0] not in texts:
                texts[decoded[0]] = decoded[1]
                budget -= len(decoded[1])
    return texts, exif_payload


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    """(type, body) of each complete chunk; CRCs are not checked, metadata is read leniently."""
    view = memoryview(data)  # slicing a view does not copy the (large) image data chunks
    position = 8
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", view[position:position + 8])
        body = view[position + 8:position + 8 + length]
        if len(body) < length or kind == b"IEND":
            return
        yield kind, body
        position += 12 + length


def _decode_text_chunk(kind: bytes, body: bytes, limit: int) -> tuple[str, str] | None:
    keyword, separator, rest = body.partition(b"\0")
    if not separator or not 0 < len(keyword) < 80:
        return None
    name = keyword.decode("latin-1")
    if kind == b"tEXt":
        return name, _decode_latin1_or_utf8(rest[:limit])
    if kind == b"zTXt":
        return name, _decode_latin1_or_utf8(_inflate(rest[1:], limit))
    if len(rest) < 2:
        return None
    compressed = rest[0] == 1
    _language, _, rest = rest[2:].partition(b"\0")
    _translated, _, payload = rest.partition(b"\0")
    text = _inflate(payload, limit) if compressed else payload[:limit]
    return name, text.decode("utf-8", "replace")


def _inflate(payload: bytes, limit: int) -> bytes:
    """zlib-decompress at most ``limit`` bytes, so a compressed text bomb cannot exhaust memory."""
    try:
        return zlib.decompressobj().decompress(payload, limit)
    except zlib.error:
        return b""


def _decode_latin1_or_utf8(raw: bytes) -> str:
    # The PNG spec says Latin-1, but several tools write UTF-8 into tEXt; valid UTF-8 is rarely
    # anything else, so try it first.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_EXIF_IFD_POINTER = 0x8769
_USER_COMMENT, _MAKER_NOTE = 0x9286, 0x927C
_EXIF_TEXT_TAGS = {0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software", 0x013B: "Artist"}
# ComfyUI writes "prompt:" into Model and each extra_pnginfo key into Make, then counts down.
_PREFIXED_JSON = re.compile(r"^([A-Za-z_][\w-]{0,63}):\s*(?=[{\[])")


def _container_texts(data: bytes) -> dict[str, str]:
    """EXIF texts (and a JPEG COM segment) of a JPEG, WebP or AVIF file, read from its header."""
    try:
        with Image.open(BytesIO(data), formats=["JPEG", "WEBP", "AVIF"]) as image:
            texts = _exif_texts(image.getexif())
            comment = image.info.get("comment")
    except Exception:
        return {}
    if isinstance(comment, str | bytes) and comment:
        texts.setdefault("jpeg:comment", _as_text(comment))
    return texts


def _load_exif(payload: bytes) -> Image.Exif | None:
    exif = Image.Exif()
    try:
        exif.load(payload)
    except Exception:
        return None
    return exif


def _exif_texts(exif: Image.Exif) -> dict[str, str]:
    texts: dict[str, str] = {}
    try:
        exif_ifd = exif.get_ifd(_EXIF_IFD_POINTER)
    except Exception:
        exif_ifd = {}
    # Fooocus writes UserComment and MakerNote into IFD0 instead of the Exif sub-IFD.
    comment = exif_ifd.get(_USER_COMMENT) or exif.get(_USER_COMMENT)
    if comment:
        texts["exif:UserComment"] = decode_user_comment(comment)
    maker_note = exif_ifd.get(_MAKER_NOTE) or exif.get(_MAKER_NOTE)
    if isinstance(maker_note, str | bytes) and len(maker_note) < 64:
        texts["exif:MakerNote"] = _as_text(maker_note)
    for tag, name in _EXIF_TEXT_TAGS.items():
        value = exif.get(tag)
        if not isinstance(value, str | bytes) or not value:
            continue
        text = _as_text(value)
        prefixed = _PREFIXED_JSON.match(text)
        if prefixed and tag != 0x0131:
            texts.setdefault(prefixed.group(1), text[prefixed.end():])
        else:
            texts[f"exif:{name}"] = text
    return texts


def _as_text(value: str | bytes) -> str:
    text = value if isinstance(value, str) else _decode_latin1_or_utf8(value)
    return text.strip("\0")


def decode_user_comment(value: str | bytes) -> str:
    """EXIF UserComment text: 8-byte charset prefix (UNICODE, ASCII, JIS, undefined) or bare bytes."""
    if isinstance(value, str):
        return value.strip("\0")
    prefix, body = value[:8], value[8:]
    if prefix == b"UNICODE\0":
        text = _decode_utf16(body)
    elif prefix == b"ASCII\0\0\0":
        text = body.decode("utf-8", "replace")  # lenient: some writers put UTF-8 here
    elif prefix == b"JIS\0\0\0\0\0":
        text = body.decode("shift_jis", "replace")
    elif prefix == b"\0" * 8 or prefix.rstrip(b"\0") in (b"UTF8", b"UTF-8"):
        text = _decode_unmarked(body)
    else:
        text = _decode_unmarked(value)
    return text.strip("\0")


def _decode_utf16(body: bytes) -> str:
    if body.startswith((b"\xfe\xff", b"\xff\xfe")):
        return body.decode("utf-16", "replace")
    # No BOM: mostly-ASCII text has its zero bytes first in big-endian, second in little-endian.
    sample = body[:1024]
    zeros_first, zeros_second = sample[0::2].count(0), sample[1::2].count(0)
    encoding = "utf-16-le" if zeros_second > zeros_first else "utf-16-be"
    return body[:len(body) - len(body) % 2].decode(encoding, "replace")


def _decode_unmarked(body: bytes) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    if body.startswith((b"\xfe\xff", b"\xff\xfe")) or body[:256].count(0) > len(body[:256]) // 4:
        return _decode_utf16(body)
    return body.decode("utf-8", "replace")


# --- choosing the interpretation ------------------------------------------------------------------

def _interpret(texts: dict[str, str]) -> GenerationMetadata:
    if not texts:
        return GenerationMetadata()
    infotext = texts.get("parameters") or texts.get("exif:UserComment") or texts.get("jpeg:comment") or ""
    settings = _json_object(infotext)
    scheme = texts.get("fooocus_scheme") or texts.get("exif:MakerNote")
    made_by_fooocus = scheme in ("fooocus", "a1111") or texts.get("exif:Software", "").startswith("Fooocus")
    if settings is None and "Steps: " in infotext:
        return _build(parse_a1111(infotext), source="fooocus" if made_by_fooocus else "a1111")
    if settings is not None and "sui_image_params" in settings:
        return _from_swarmui(settings)
    if "sui_image_params" in texts and (swarm := _json_object(texts["sui_image_params"])) is not None:
        return _from_swarmui({"sui_image_params": swarm})
    if settings is not None and (made_by_fooocus or _looks_like_fooocus(settings)):
        return _from_fooocus(settings)
    if (graph := _json_object(texts.get("prompt", ""))) is not None and _Graph(graph).nodes:
        return _build(parse_comfyui(graph), source="comfyui")
    if "workflow" in texts:
        return GenerationMetadata(source="comfyui")
    if (invoke := _json_object(texts.get("invokeai_metadata", "") or texts.get("sd-metadata", ""))) is not None:
        return _from_invokeai(invoke)
    if "invokeai_graph" in texts or "invokeai_workflow" in texts:
        return GenerationMetadata(source="invokeai")
    if texts.get("Software", "").startswith("NovelAI") or (_json_object(texts.get("Comment", "")) or {}).get("uc"):
        return _from_novelai(texts)
    if "parameters" in texts and settings is None:
        return GenerationMetadata(source="unknown", prompt=texts["parameters"].strip())
    return GenerationMetadata(source="unknown") if _mentions_generation(texts) else GenerationMetadata()


_GENERATION_WORDS = re.compile(r"prompt|seed|sampler|steps|cfg|checkpoint|lora", re.IGNORECASE)


def _mentions_generation(texts: dict[str, str]) -> bool:
    """Cameras, editors and screenshots leave texts too; only generator vocabulary counts."""
    return any(_GENERATION_WORDS.search(key) or _GENERATION_WORDS.search(value[:4096]) for key, value in texts.items())


def _build(fields: dict[str, Any], *, source: str) -> GenerationMetadata:
    return GenerationMetadata(source=source, **fields)


def _json_object(text: str) -> dict | None:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# --- A1111 / Forge infotext -----------------------------------------------------------------------

_NEGATIVE_MARKER = "Negative prompt:"
_KEY_PATTERN = re.compile(r"^\w[\w \-/+().']{0,63}$")
_LORA_TAG = re.compile(r"<(?:lora|lyco|locon):([^:<>]+)(?::([^:<>]*))?(?::[^<>]*)?>", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$")
_INTEGER = re.compile(r"^\s*-?\d{1,40}\s*$")
_JSON_DECODER = json.JSONDecoder()


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)  # exact, even for 64-bit seeds that a float would round
    number = _to_float(value)
    return int(number) if number is not None and number.is_integer() else None


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _to_str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


_A1111_PARAMS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Steps": ("steps", _to_int), "Sampler": ("sampler", _to_str), "Schedule type": ("scheduler", _to_str),
    "CFG scale": ("cfgScale", _to_float), "Distilled CFG Scale": ("distilledCfgScale", _to_float),
    "Seed": ("seed", _to_int), "Clip skip": ("clipSkip", _to_int), "Denoising strength": ("denoise", _to_float),
    "Variation seed": ("variationSeed", _to_int), "Variation seed strength": ("variationSeedStrength", _to_float),
    "ENSD": ("ensd", _to_int), "RNG": ("rng", _to_str), "VAE": ("vae", _to_str), "VAE hash": ("vaeHash", _to_str),
    "Hires upscale": ("hiresUpscale", _to_float), "Hires steps": ("hiresSteps", _to_int),
    "Hires upscaler": ("hiresUpscaler", _to_str), "Refiner": ("refiner", _to_str),
    "Refiner switch at": ("refinerSwitchAt", _to_float),
}


def parse_a1111(text: str) -> dict[str, Any]:
    """Parse an A1111/Forge infotext into ``GenerationMetadata`` field values (without source/raw)."""
    lines = text.replace("\r\n", "\n").split("\n")
    details_at = _details_line_index(lines)
    body = lines if details_at is None else lines[:details_at]
    prompt, negative = _split_prompts(body)
    fields: dict[str, Any] = {"prompt": prompt or None, "negative_prompt": negative, "params": {}, "extra": {},
                              "lora_hashes": {}, "ti_hashes": {}, "hashes": {}}
    if details_at is not None:
        for key, value in _details_pairs(lines[details_at]):
            _apply_a1111_pair(fields, key, value)
        for line in lines[details_at + 1:]:
            _apply_trailing_line(fields["extra"], line)
    fields["loras"] = _a1111_loras(prompt, fields["lora_hashes"])
    fields["lora_names"] = [lora["name"] for lora in fields["loras"]]
    fields["checkpoint_names"] = [fields["model_name"]] if fields.get("model_name") else []
    return fields


def _details_line_index(lines: list[str]) -> int | None:
    for index in range(len(lines) - 1, -1, -1):
        if "Steps: " in lines[index] and any(key == "Steps" for key, _ in _details_pairs(lines[index])):
            return index
    return None


def _split_prompts(lines: list[str]) -> tuple[str, str | None]:
    for index, line in enumerate(lines):
        if line.startswith(_NEGATIVE_MARKER):
            negative = "\n".join([line[len(_NEGATIVE_MARKER):], *lines[index + 1:]]).strip()
            return "\n".join(lines[:index]).strip(), negative or None
    return "\n".join(lines).strip(), None


def _details_pairs(line: str) -> list[tuple[str, Any]]:
    """``Key: value`` pairs; values may be JSON strings (with commas) or unquoted JSON objects/arrays."""
    pairs: list[tuple[str, Any]] = []
    position, end = 0, len(line)
    while position < end and len(pairs) < MAX_ITEMS:
        while position < end and line[position] in " ,":
            position += 1
        colon, comma = line.find(":", position), line.find(",", position)
        if position >= end or colon == -1:
            break
        if comma != -1 and comma < colon:  # a bare flag such as "Tiling"; A1111's reader skips it too
            position = comma + 1
            continue
        key = line[position:colon].strip()
        value, position = _details_value(line, colon + 1)
        if _KEY_PATTERN.match(key):
            pairs.append((key, value))
    return pairs


def _details_value(line: str, position: int) -> tuple[Any, int]:
    while position < len(line) and line[position] == " ":
        position += 1
    if line[position:position + 1] in ('"', "{", "["):
        try:
            return _JSON_DECODER.raw_decode(line, position)
        except (ValueError, RecursionError):
            pass
    comma = line.find(",", position)
    stop = len(line) if comma == -1 else comma
    return line[position:stop].strip(), stop


def _apply_a1111_pair(fields: dict[str, Any], key: str, value: Any) -> None:
    handler = _A1111_HANDLERS.get(key)
    if handler is None or not handler(fields, value):
        fields["extra"][key] = value  # unknown key, or a known one whose value did not parse


def _param(name: str, convert: Callable[[Any], Any]) -> Callable[[dict[str, Any], Any], bool]:
    def set_param(fields: dict[str, Any], value: Any) -> bool:
        if (converted := convert(value)) is not None:
            fields["params"][name] = converted
        return converted is not None
    return set_param


def _set_size(fields: dict[str, Any], value: Any) -> bool:
    size = _SIZE.match(value) if isinstance(value, str) else None
    if size:
        fields["params"]["width"], fields["params"]["height"] = int(size[1]), int(size[2])
    return size is not None


def _setter(field_name: str) -> Callable[[dict[str, Any], Any], bool]:
    def set_text(fields: dict[str, Any], value: Any) -> bool:
        if (text := _to_str(value)) is not None:
            fields[field_name] = text
        return text is not None
    return set_text


def _merger(field_name: str) -> Callable[[dict[str, Any], Any], bool]:
    def merge_name_hashes(fields: dict[str, Any], value: Any) -> bool:
        if isinstance(value, str):
            fields[field_name].update(_name_hash_list(value))
        return isinstance(value, str)
    return merge_name_hashes


def _set_civitai_resources(fields: dict[str, Any], value: Any) -> bool:
    if isinstance(value, list):
        fields["civitai_resources"] = [item for item in value if isinstance(item, dict)]
    return isinstance(value, list)


def _set_civitai_hashes(fields: dict[str, Any], value: Any) -> bool:
    """``Hashes: {"model": ..., "lora:<name>": ..., "embed:<name>": ...}`` (sd_civitai_extension)."""
    if not isinstance(value, dict):
        return False
    fields["hashes"] = {str(key): str(digest) for key, digest in value.items() if isinstance(digest, str | int)}
    for key, digest in fields["hashes"].items():
        kind, _, name = key.partition(":")
        if key == "model":
            fields.setdefault("model_hash", digest)
        elif kind == "lora" and name:
            fields["lora_hashes"].setdefault(name, digest)
        elif kind == "embed" and name:
            fields["ti_hashes"].setdefault(name, digest)
    return True


_A1111_HANDLERS: dict[str, Callable[[dict[str, Any], Any], bool]] = {
    **{key: _param(name, convert) for key, (name, convert) in _A1111_PARAMS.items()},
    "Size": _set_size, "Model": _setter("model_name"), "Model hash": _setter("model_hash"),
    "Version": _setter("version"), "Lora hashes": _merger("lora_hashes"), "TI hashes": _merger("ti_hashes"),
    "Hashes": _set_civitai_hashes, "Civitai resources": _set_civitai_resources,
}


def _name_hash_list(value: str) -> dict[str, str]:
    """``"name: hash, other: hash"`` as written for Lora hashes and TI hashes."""
    pairs = {}
    for item in value.split(","):
        name, separator, digest = item.rpartition(":")
        if separator and name.strip() and digest.strip():
            pairs[name.strip()] = digest.strip()
    return pairs


def _apply_trailing_line(extra: dict[str, Any], line: str) -> None:
    """Lines after the details line, e.g. Dynamic Prompts' ``Template: ...``."""
    key, separator, value = line.partition(":")
    if separator and _KEY_PATTERN.match(key.strip()):
        extra[key.strip()] = value.strip()
    elif line.strip():
        extra["trailing text"] = (extra.get("trailing text", "") + "\n" + line.strip()).strip()


def _a1111_loras(prompt: str, lora_hashes: dict[str, str]) -> list[dict[str, Any]]:
    loras: dict[str, dict[str, Any]] = {}
    for match in _LORA_TAG.finditer(prompt):
        name = match[1].strip()
        weight = 1.0 if match[2] is None else _to_float(match[2])
        loras.setdefault(name, {"name": name, "weight": weight, "hash": lora_hashes.get(name)})
    for name, digest in lora_hashes.items():
        loras.setdefault(name, {"name": name, "weight": None, "hash": digest})
    return list(loras.values())


# --- ComfyUI API-format graph ---------------------------------------------------------------------

_SAMPLING_INPUTS = ("seed", "noise_seed", "steps", "sampler_name", "sampler", "noise", "sigmas")
_CHECKPOINT_INPUTS = ("ckpt_name", "unet_name")
_LATENT_INPUTS = ("latent_image", "samples", "latent", "latents")


class _Graph:
    """Read-only view of a ComfyUI API prompt: {node_id: {"class_type", "inputs": {...}}}."""

    def __init__(self, raw: dict) -> None:
        self._inputs: dict[str, dict[str, Any]] = {}
        self._class_types: dict[str, str] = {}
        for node_id, node in list(raw.items())[:MAX_GRAPH_NODES]:
            if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
                # Capping inputs per node bounds the work of every walk step on hostile graphs.
                self._inputs[str(node_id)] = dict(list(node["inputs"].items())[:MAX_NODE_INPUTS])
                class_type = node.get("class_type")
                self._class_types[str(node_id)] = class_type if isinstance(class_type, str) else ""
        self.nodes = sorted(self._inputs, key=_node_order)
        self.steps_left = MAX_GRAPH_STEPS

    def inputs(self, node_id: str) -> dict[str, Any]:
        return self._inputs[node_id]

    def class_type(self, node_id: str) -> str:
        return self._class_types[node_id]

    def link(self, value: Any) -> tuple[str, int] | None:
        """``[node_id, output_slot]`` pointing at a node of this graph, else None."""
        if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int)
                and isinstance(value[1], int) and not isinstance(value[1], bool) and str(value[0]) in self._inputs):
            return str(value[0]), value[1]
        return None

    def walk(self, starts: list[tuple[str, int]], follow: Callable[[str, int], list[tuple[str, int]]]) -> Iterator[tuple[str, int]]:
        """Breadth-first over (node, slot) from ``starts``; cycles and oversized graphs end the walk."""
        queue, seen = deque(starts), set()
        while queue and self.steps_left > 0:
            self.steps_left -= 1
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            yield current
            queue.extend(follow(*current))

    def scalar(self, value: Any, keys: tuple[str, ...]) -> Any:
        """A literal input, or the first literal among ``keys`` on the node it links to (seed nodes...)."""
        link = self.link(value)
        if link is None:
            return value
        for node_id, _slot in self.walk([link], lambda node_id, _slot: self.linked(node_id, keys)):
            for key in keys:
                candidate = self.inputs(node_id).get(key)
                if candidate is not None and self.link(candidate) is None:
                    return candidate
        return None

    def linked(self, node_id: str, keys: tuple[str, ...]) -> list[tuple[str, int]]:
        """Links held by the inputs named ``keys`` of a node."""
        inputs = self.inputs(node_id)
        return [link for key in keys if (link := self.link(inputs.get(key)))]


def _node_order(node_id: str) -> tuple[bool, int, str]:
    """Numeric ids in numeric order (ComfyUI's creation order), then the others."""
    numeric = node_id.isascii() and node_id.isdecimal()
    return not numeric, len(node_id) if numeric else 0, node_id


def parse_comfyui(prompt_graph: dict) -> dict[str, Any]:
    """``GenerationMetadata`` field values from a ComfyUI API-format prompt graph."""
    graph = _Graph(prompt_graph)
    samplers = [node_id for node_id in graph.nodes if _is_sampler(graph, node_id)]
    primary = _primary_sampler(graph, samplers) if samplers else None
    positives: list[str] = []
    negatives: list[str] = []
    for sampler in sorted(samplers, key=lambda node_id: node_id != primary):
        positive_links, negative_links = _conditioning_links(graph, sampler)
        positives += _conditioning_texts(graph, positive_links)
        negatives += _conditioning_texts(graph, negative_links)
    params = _sampler_params(graph, primary) if primary else {}
    params.update(_latent_size(graph, primary))
    checkpoints = _checkpoint_names(graph)
    loras = _comfy_loras(graph)
    return {
        "prompt": "\n".join(_unique(positives)) or None,
        "negative_prompt": "\n".join(_unique(negatives)) or None,
        "params": params,
        "model_name": (_sampler_checkpoint(graph, primary) if primary else None) or next(iter(checkpoints), None),
        "checkpoint_names": checkpoints,
        "loras": loras,
        "lora_names": _unique(lora["name"] for lora in loras),
    }


def _is_sampler(graph: _Graph, node_id: str) -> bool:
    inputs = graph.inputs(node_id)
    conditioned = any(graph.link(inputs.get(key)) for key in ("positive", "negative", "guider"))
    samples = any(key in inputs for key in _SAMPLING_INPUTS) or "sampler" in graph.class_type(node_id).lower()
    return conditioned and samples


def _primary_sampler(graph: _Graph, samplers: list[str]) -> str:
    """The base pass: full denoise from step 0 (hires-fix and refiner passes come later)."""
    for node_id in samplers:
        inputs = graph.inputs(node_id)
        denoise = _to_float(inputs.get("denoise", 1.0))
        start = _to_int(inputs.get("start_at_step", 0))
        if (denoise is None or denoise >= 0.999) and not start:
            return node_id
    return samplers[0]


def _conditioning_links(graph: _Graph, sampler: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    holder = graph.inputs(sampler)
    if guider := graph.link(holder.get("guider")):  # SamplerCustomAdvanced -> CFGGuider/BasicGuider
        holder = graph.inputs(guider[0])
    positive = graph.link(holder.get("positive")) or graph.link(holder.get("conditioning"))
    negative = graph.link(holder.get("negative"))
    return ([positive] if positive else []), ([negative] if negative else [])


def _is_text_input(key: str) -> bool:
    lowered = key.lower()
    return lowered.startswith(("text", "string", "prompt")) or lowered in ("value", "t5xxl", "clip_l", "clip_g")


def _conditioning_texts(graph: _Graph, starts: list[tuple[str, int]]) -> list[str]:
    """Texts feeding a conditioning input, through combine/concat/area/ControlNet nodes."""
    texts = []
    for node_id, _slot in graph.walk(starts, lambda node_id, slot: _conditioning_sources(graph, node_id, slot)):
        for key, value in graph.inputs(node_id).items():
            if _is_text_input(key):
                texts += _string_values(graph, value)
    return texts


def _conditioning_sources(graph: _Graph, node_id: str, slot: int) -> list[tuple[str, int]]:
    if "zeroout" in graph.class_type(node_id).lower():
        return []  # ConditioningZeroOut: an empty negative, not a copy of the positive
    inputs = graph.inputs(node_id)
    pass_through = [graph.link(inputs.get(key)) for key in ("positive", "negative")]
    if pass_through[0] and pass_through[1]:  # e.g. ControlNetApplyAdvanced: output 0 positive, 1 negative
        return [pass_through[1] if slot == 1 else pass_through[0]]
    return [link for key, value in inputs.items()
            if ("cond" in key.lower() or key in ("positive", "negative")) and (link := graph.link(value))]


def _string_values(graph: _Graph, value: Any) -> list[str]:
    """A literal prompt string, or the strings of the text nodes it links to (concatenations...)."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    link = graph.link(value)
    if link is None:
        return []
    strings = []
    for node_id, _slot in graph.walk([link], lambda node_id, _slot: _text_links(graph, node_id)):
        strings += [item.strip() for key, item in graph.inputs(node_id).items()
                    if _is_text_input(key) and isinstance(item, str) and item.strip()]
    return strings


def _text_links(graph: _Graph, node_id: str) -> list[tuple[str, int]]:
    return [link for key, item in graph.inputs(node_id).items() if _is_text_input(key) and (link := graph.link(item))]


def _sampler_params(graph: _Graph, sampler: str) -> dict[str, Any]:
    """Sampling settings on the sampler or on the nodes it delegates to (guider, noise, sigmas)."""
    inputs = graph.inputs(sampler)
    sources = [inputs] + [graph.inputs(link[0]) for key in ("guider", "noise", "sampler", "sigmas")
                          if (link := graph.link(inputs.get(key)))]

    def find(*keys: str) -> Any:
        for source in sources:
            for key in keys:
                if key in source:
                    return graph.scalar(source[key], keys)
        return None

    params = {
        "seed": _to_int(find("seed", "noise_seed")), "steps": _to_int(find("steps")),
        "cfgScale": _to_float(find("cfg")), "sampler": _to_str(find("sampler_name")),
        "scheduler": _to_str(find("scheduler")), "denoise": _to_float(find("denoise")),
    }
    return {key: value for key, value in params.items() if value is not None}


def _checkpoint_names(graph: _Graph) -> list[str]:
    names = (graph.inputs(node_id).get(key) for node_id in graph.nodes for key in _CHECKPOINT_INPUTS)
    return _unique(name for name in names if isinstance(name, str))


def _sampler_checkpoint(graph: _Graph, sampler: str) -> str | None:
    """The checkpoint at the end of the sampler's model chain (through LoRA and patch nodes)."""
    holder = graph.inputs(sampler)
    if guider := graph.link(holder.get("guider")):
        holder = graph.inputs(guider[0])
    start = graph.link(holder.get("model"))
    for node_id, _slot in graph.walk([start] if start else [], lambda node_id, _slot: graph.linked(node_id, ("model",))):
        for key in _CHECKPOINT_INPUTS:
            if isinstance(name := graph.inputs(node_id).get(key), str):
                return name
    return None


def _comfy_loras(graph: _Graph) -> list[dict[str, Any]]:
    loras = []
    for node_id in graph.nodes:
        inputs = graph.inputs(node_id)
        if isinstance(inputs.get("lora_name"), str):
            loras.append(_lora_entry(inputs["lora_name"], inputs.get("strength_model")))
        for value in inputs.values():  # rgthree "Power Lora Loader": {"on", "lora", "strength"}
            if isinstance(value, dict) and isinstance(value.get("lora"), str) and value.get("on", True):
                loras.append(_lora_entry(value["lora"], value.get("strength")))
    return loras


def _latent_size(graph: _Graph, sampler: str | None) -> dict[str, int]:
    """Width/height of the latent the base sampler starts from, else of any Empty*Latent* node."""
    start = graph.link(graph.inputs(sampler).get("latent_image")) if sampler else None
    upstream = graph.walk([start] if start else [], lambda node_id, _slot: graph.linked(node_id, _LATENT_INPUTS))
    linked = [node_id for node_id, _slot in upstream]
    fallback = [node_id for node_id in graph.nodes if "latent" in graph.class_type(node_id).lower()]
    for node_id in linked + fallback:
        inputs = graph.inputs(node_id)
        width, height = _to_int(inputs.get("width")), _to_int(inputs.get("height"))
        if width and height and width > 0 and height > 0:
            return {"width": width, "height": height}
    return {}


def _unique(items: Any) -> list:
    return list(dict.fromkeys(item for item in items if item))


# --- JSON-based tools -----------------------------------------------------------------------------

_JSON_ALIASES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "positive_prompt", "Prompt"),
    "negative_prompt": ("negative_prompt", "negativeprompt", "Negative", "uc"),
    "steps": ("steps",), "seed": ("seed",),
    "cfgScale": ("cfg_scale", "cfgscale", "guidance_scale", "cfg", "scale"),
    "sampler": ("sampler", "sampler_name", "comfyuisampler"), "scheduler": ("scheduler", "comfyuischeduler"),
    "width": ("width",), "height": ("height",), "clipSkip": ("clip_skip", "clipskip"),
    "denoise": ("denoise", "denoising_strength", "strength"),
    "model": ("base_model", "model", "base_model_name", "model_name"),
    "model_hash": ("base_model_hash", "model_hash"),
    "version": ("version", "app_version", "swarm_version"),
}
_PARAM_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "steps": _to_int, "seed": _to_int, "cfgScale": _to_float, "sampler": _to_str, "scheduler": _to_str,
    "width": _to_int, "height": _to_int, "clipSkip": _to_int, "denoise": _to_float,
}


def _from_settings(settings: dict, *, source: str, consumed: tuple[str, ...] = ()) -> GenerationMetadata:
    """Map the common keys of a JSON settings object; everything unmapped lands in ``extra``."""
    used = set(consumed)

    def take(field_name: str) -> Any:
        for alias in _JSON_ALIASES[field_name]:
            if alias in settings:
                used.add(alias)
                return settings[alias]
        return None

    metadata = GenerationMetadata(source=source, prompt=_to_str(take("prompt")),
                                  negative_prompt=_to_str(take("negative_prompt")), version=_to_str(take("version")))
    for name, convert in _PARAM_CONVERTERS.items():
        if (value := convert(take(name))) is not None:
            metadata.params[name] = value
    model, model_hash = take("model"), take("model_hash")
    if isinstance(model, dict):  # InvokeAI: {"name", "hash", "base", ...}
        model_hash = model_hash or model.get("hash")
        model = model.get("name") or model.get("model_name")
    metadata.model_name, metadata.model_hash = _to_str(model), _to_str(model_hash)
    metadata.checkpoint_names = [metadata.model_name] if metadata.model_name else []
    metadata.extra = {key: value for key, value in settings.items() if key not in used}
    return metadata


def _with_loras(metadata: GenerationMetadata, loras: list[dict[str, Any]]) -> GenerationMetadata:
    metadata.loras = [lora for lora in loras if lora["name"]]
    metadata.lora_names = _unique(lora["name"] for lora in metadata.loras)
    metadata.lora_hashes = {lora["name"]: lora["hash"] for lora in metadata.loras if lora["hash"]}
    return metadata


def _lora_entry(name: Any, weight: Any = None, digest: Any = None) -> dict[str, Any]:
    return {"name": _to_str(name), "weight": _to_float(weight), "hash": _to_str(digest)}


def _looks_like_fooocus(settings: dict) -> bool:
    return (str(settings.get("software", "")).lower().endswith("fooocus")
            or str(settings.get("version", "")).startswith("Fooocus") or "full_prompt" in settings)


def _from_fooocus(settings: dict) -> GenerationMetadata:
    metadata = _from_settings(settings, source="fooocus", consumed=("loras", "resolution"))
    resolution = re.findall(r"\d+", str(settings.get("resolution", "")))
    if len(resolution) == 2:
        metadata.params["width"], metadata.params["height"] = int(resolution[0]), int(resolution[1])
    loras = [_lora_entry(*item[:3]) for item in _list(settings.get("loras")) if isinstance(item, list) and item]
    return _with_loras(metadata, loras)


def _from_swarmui(document: dict) -> GenerationMetadata:
    settings = document["sui_image_params"] if isinstance(document["sui_image_params"], dict) else {}
    metadata = _from_settings(settings, source="swarmui", consumed=("loras", "loraweights"))
    models = [item for item in _list(document.get("sui_models")) if isinstance(item, dict)]
    model_hash = next((item.get("hash") for item in models if item.get("param") == "model"), None)
    metadata.model_hash = metadata.model_hash or _to_str(model_hash)
    lora_hashes = {_stem(item.get("name")): item.get("hash") for item in models if item.get("param") == "loras"}
    names, weights = _list(settings.get("loras")), _list(settings.get("loraweights"))
    loras = [_lora_entry(name, weights[index] if index < len(weights) else None, lora_hashes.get(_stem(name)))
             for index, name in enumerate(names)]
    metadata.extra.update({key: value for key, value in document.items() if key != "sui_image_params"})
    return _with_loras(metadata, loras)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _stem(name: Any) -> str:
    text = str(name or "")
    return text.rsplit("/", 1)[-1].removesuffix(".safetensors")


def _from_invokeai(settings: dict) -> GenerationMetadata:
    if isinstance(settings.get("image"), dict):  # legacy "sd-metadata": {"model_weights", "image": {...}}
        image = settings["image"]
        prompt = image.get("prompt")
        if isinstance(prompt, list):
            prompt = " ".join(str(item.get("prompt", "")) for item in prompt if isinstance(item, dict))
        settings = {**image, "prompt": prompt, "model": settings.get("model_weights"),
                    "app_version": settings.get("app_version")}
    metadata = _from_settings(settings, source="invokeai", consumed=("loras",))
    loras = []
    for item in _list(settings.get("loras")):
        if isinstance(item, dict):
            model = item.get("model") or item.get("lora") or {}
            model = model if isinstance(model, dict) else {"name": model}
            loras.append(_lora_entry(model.get("name") or model.get("model_name"), item.get("weight"), model.get("hash")))
    return _with_loras(metadata, loras)


_TRAILING_HASH = re.compile(r"^(.*?)\s+([0-9A-Fa-f]{8})$")


def _from_novelai(texts: dict[str, str]) -> GenerationMetadata:
    settings = _json_object(texts.get("Comment", "")) or {}
    metadata = _from_settings(settings, source="novelai")
    metadata.prompt = metadata.prompt or _to_str(texts.get("Description"))
    model_source = _to_str(texts.get("Source"))
    if model_source:  # e.g. "Stable Diffusion XL C1E1DE52": model name, then an 8-hex hash
        named = _TRAILING_HASH.match(model_source)
        metadata.model_name, metadata.model_hash = (named[1], named[2]) if named else (model_source, None)
        metadata.checkpoint_names = [metadata.model_name]
    return metadata


# --- size limits ----------------------------------------------------------------------------------

def _bounded(metadata: GenerationMetadata) -> GenerationMetadata:
    metadata.prompt = _clip_text(metadata.prompt, PROMPT_CHARS)
    metadata.negative_prompt = _clip_text(metadata.negative_prompt, PROMPT_CHARS)
    for name in ("model_name", "model_hash", "version"):
        setattr(metadata, name, _clip_text(getattr(metadata, name), VALUE_CHARS))
    for name in ("params", "lora_hashes", "loras", "checkpoint_names", "lora_names", "ti_hashes", "hashes",
                 "civitai_resources", "extra"):
        setattr(metadata, name, _clip_value(getattr(metadata, name), MAX_DEPTH))
    return metadata


def _clip_text(text: str | None, limit: int) -> str | None:
    return text[:limit] if isinstance(text, str) else text


def _clip_value(value: Json, depth: int) -> Json:
    """Strings, lists and dicts capped in length and nesting; other JSON scalars unchanged."""
    if isinstance(value, str):
        return value[:VALUE_CHARS]
    if isinstance(value, dict):
        if depth <= 0:
            return {}
        return {str(key)[:VALUE_CHARS]: _clip_value(item, depth - 1) for key, item in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [] if depth <= 0 else [_clip_value(item, depth - 1) for item in list(value)[:MAX_ITEMS]]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
