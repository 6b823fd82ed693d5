"""Generation metadata in the PNG: A1111 ``parameters`` infotext and ComfyUI's ``prompt`` graph.

Text chunks are spliced into the PNG byte stream rather than re-encoding the image: the pixels
ComfyUI wrote stay untouched and a 1024² render is not compressed a second time. Values that
Latin-1 can carry go into ``tEXt`` (what every reader expects), others into UTF-8 ``iTXt``,
the same rule Pillow's ``PngInfo.add_text`` follows.
"""
from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_NAME_BREAKERS = re.compile(r'[,:"\r\n\t\x00-\x1f]+')


@dataclass(frozen=True)
class Infotext:
    prompt: str
    negative_prompt: str
    steps: int
    sampler: str
    scheduler: str
    cfg_scale: float
    seed: int
    width: int
    height: int
    model_name: str
    model_hash: str | None
    lora_hashes: Sequence[tuple[str, str]]  # (name, AutoV3 hash)


def quote(value: object) -> str:
    """A1111's rule: JSON-quote a value that a ``, `` / ``: `` splitting reader would cut."""
    text = str(value)
    if "," not in text and ":" not in text and "\n" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def resource_name(filename: str) -> str:
    """The name A1111 shows for a model file: its stem, minus what would break ``name: hash`` lists."""
    stem = re.split(r"[\\/]", filename)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return _NAME_BREAKERS.sub("_", stem).strip() or "model"


def unique_names(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``name: hash`` lists are read into a mapping, so two LoRAs whose files share a name would
    collapse into one; the later ones get their hash's first digits appended."""
    seen: set[str] = set()
    out = []
    for name, digest in pairs:
        if name in seen:
            name = f"{name}_{digest[:6]}"
        seen.add(name)
        out.append((name, digest))
    return out


def _number(value: float) -> str:
    return format(float(value), "g")


def a1111_parameters(info: Infotext) -> str:
    lines = [info.prompt]
    if info.negative_prompt:
        lines.append(f"Negative prompt: {info.negative_prompt}")
    details = [("Steps", info.steps), ("Sampler", info.sampler), ("Schedule type", info.scheduler),
               ("CFG scale", _number(info.cfg_scale)), ("Seed", info.seed), ("Size", f"{info.width}x{info.height}")]
    if info.model_hash:
        details.append(("Model hash", info.model_hash))
    details.append(("Model", info.model_name))
    if info.lora_hashes:
        details.append(("Lora hashes", ", ".join(f"{name}: {digest}" for name, digest in info.lora_hashes)))
    lines.append(", ".join(f"{key}: {quote(value)}" for key, value in details))
    return "\n".join(lines)


def graph_text(graph: Mapping) -> str:
    """ComfyUI's own serialisation of the executed graph (ASCII-escaped JSON)."""
    return json.dumps(graph)


# --- PNG chunks -----------------------------------------------------------------------------------

def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, position = [], len(PNG_SIGNATURE)
    while position + 12 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        end = position + 12 + length
        if end > len(png):
            raise ValueError("truncated PNG chunk")
        chunks.append((kind, png[position:end]))
        position = end
        if kind == b"IEND":
            return chunks
    raise ValueError("PNG without IEND")


def _encode_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def text_chunk(keyword: str, value: str) -> bytes:
    key = keyword.encode("latin-1")
    if not 0 < len(key) < 80:
        raise ValueError("PNG text keywords are 1-79 Latin-1 characters")
    try:
        return _encode_chunk(b"tEXt", key + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt: keyword, compression flag and method, empty language tag and translated keyword.
        return _encode_chunk(b"iTXt", key + b"\0\0\0\0\0" + value.encode("utf-8"))


def _keyword(kind: bytes, chunk: bytes) -> str | None:
    if kind not in TEXT_CHUNKS:
        return None
    return chunk[8:-4].split(b"\0", 1)[0].decode("latin-1")


def embed_texts(png: bytes, texts: Mapping[str, str]) -> bytes:
    """The PNG with ``texts`` as text chunks before the image data, replacing same-named ones."""
    kept = [(kind, chunk) for kind, chunk in _chunks(png) if _keyword(kind, chunk) not in texts]
    new = b"".join(text_chunk(keyword, value) for keyword, value in texts.items())
    out, inserted = [PNG_SIGNATURE], False
    for kind, chunk in kept:
        if kind in (b"IDAT", b"IEND") and not inserted:
            out.append(new)
            inserted = True
        out.append(chunk)
    return b"".join(out)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def read_texts(png: bytes) -> dict[str, str]:
    """tEXt and uncompressed iTXt values by keyword (enough to check what this module writes)."""
    texts = {}
    for kind, chunk in _chunks(png):
        body = chunk[8:-4]
        keyword, _, rest = body.partition(b"\0")
        if kind == b"tEXt":
            texts[keyword.decode("latin-1")] = rest.decode("latin-1")
        elif kind == b"iTXt" and rest[:1] == b"\0":
            texts[keyword.decode("latin-1")] = rest[2:].split(b"\0", 2)[2].decode("utf-8")
    return texts
