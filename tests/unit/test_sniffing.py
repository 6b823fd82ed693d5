import json
import struct

import pytest

from chalicelib.services.sniffing import SAFETENSORS, sniff
from chalicelib.services.upload_service import safe_filename


def _safetensors(header: dict) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw


@pytest.mark.parametrize("head,size,expected", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, 100, "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 12, 100, "image/jpeg"),
    (b"RIFF\0\0\0\0WEBPVP8 ", 100, "image/webp"),
    (b"GIF89a" + b"\0" * 10, 100, "image/gif"),
    (b"PK\x03\x04" + b"\0" * 12, 100, "application/zip"),
    (_safetensors({"__metadata__": {}})[:16], 1000, SAFETENSORS),
    (struct.pack("<Q", 10**9) + b"{", 2 * 10**9, None),  # header length over the 100 MB cap
    (struct.pack("<Q", 500) + b"{", 100, None),  # header longer than the file
    (b"<html><script>", 100, None),
    (b"", 0, None),
])
def test_sniff(head, size, expected):
    assert sniff(head, size) == expected


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"), ("C:\\evil\\x.png", "x.png"), ("...", "file"), ("a b<c>.png", "a_b_c_.png"),
    ("x" * 300 + ".png", "x" * 120),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected
