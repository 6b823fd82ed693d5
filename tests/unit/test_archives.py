import io
import zipfile

import pytest

from functions.ingest.archives import InvalidArchive, single_safetensors
from infra.local.seed import demo_safetensors


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _open(data: bytes, max_size: int = 5 * 1024**3):
    reads = []

    def read_range(start, length):
        reads.append(length)
        return data[start:start + length]

    name, size, stream = single_safetensors(read_range, len(data), max_size)
    return name, size, b"".join(stream), reads


def test_single_member_is_streamed_out():
    model = demo_safetensors()
    name, size, content, _ = _open(_zip({"nested/dir/style.safetensors": model, "README.txt": b"hi"}))
    assert (name, size, content) == ("style.safetensors", len(model), model)


@pytest.mark.parametrize("members,reason", [
    ({"a.safetensors": b"x", "b.safetensors": b"y"}, "exactly one"),
    ({"readme.txt": b"x"}, "exactly one"),
    ({"../../evil.safetensors": b"x"}, "Unsafe path"),
    ({"/abs.safetensors": b"x"}, "Unsafe path"),
    ({"bomb.safetensors": bytes(10_000_000)}, "compression ratio"),
])
def test_hostile_archives(members, reason):
    with pytest.raises(InvalidArchive, match=reason):
        _open(_zip(members))


def test_size_limit_and_garbage():
    with pytest.raises(InvalidArchive, match="larger than"):
        _open(_zip({"m.safetensors": demo_safetensors()}, zipfile.ZIP_STORED), max_size=100)
    with pytest.raises(InvalidArchive, match="Not a (readable )?zip"):
        _open(b"PK\x03\x04" + bytes(200))


def test_truncated_member_is_reported():
    data = _zip({"m.safetensors": demo_safetensors() * 50})
    cut = data[: len(data) // 2] + data[-200:]  # keeps a central directory-looking tail
    with pytest.raises(InvalidArchive):
        _open(cut)


def test_corrupt_deflate_stream_is_invalid_not_a_crash():
    data = bytearray(_zip({"m.safetensors": demo_safetensors() * 20}))
    start = data.find(b"m.safetensors") + len("m.safetensors")
    for i in range(start + 10, start + 60):
        data[i] ^= 0xFF
    with pytest.raises(InvalidArchive):
        _open(bytes(data))


def test_huge_central_directory_is_refused_before_reading_it():
    data = bytearray(_zip({"m.safetensors": demo_safetensors()}))
    end = data.rfind(b"PK\x05\x06")
    data[end + 12:end + 16] = (500 * 1024 * 1024).to_bytes(4, "little")  # claimed directory size
    with pytest.raises(InvalidArchive, match="too large|readable"):
        _open(bytes(data))
