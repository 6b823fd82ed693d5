"""Content types detected from bytes, never from what the client declared."""
from __future__ import annotations

import struct

SAFETENSORS = "application/vnd.safetensors"
SAFETENSORS_HEADER_CAP = 100_000_000
SNIFF_BYTES = 16


def sniff(head: bytes, total_size: int) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if len(head) >= 9:
        (header_len,) = struct.unpack("<Q", head[:8])
        if 2 <= header_len <= min(SAFETENSORS_HEADER_CAP, total_size - 8) and head[8:9] == b"{":
            return SAFETENSORS
    return None
