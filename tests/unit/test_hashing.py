import hashlib
import struct
import threading
import zlib

import blake3
import pytest

from functions.ingest.hashing import AUTOV1_MIN_FILE_SIZE, MultiHasher, hash_chunks, hash_file
from tests.fixtures import safetensors_factory as factory


def independent_hashes(data: bytes, header_end: int | None) -> dict[str, str | None]:
    """The CivitAI definitions, computed directly with hashlib / zlib / blake3."""
    sha256 = hashlib.sha256(data).hexdigest().upper()
    return {
        "sha256": sha256,
        "autov1": hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8].upper() if len(data) >= 2 * 1024**2 else None,
        "autov2": sha256[:10],
        "autov3": hashlib.sha256(data[header_end:]).hexdigest().upper() if header_end is not None else None,
        "crc32": zlib.crc32(data).to_bytes(4, "little").hex().upper(),  # .NET Crc32 byte order, as CivitAI
        "blake3": blake3.blake3(data).hexdigest().upper(),
    }


def data_offset(data: bytes) -> int:
    return 8 + struct.unpack("<Q", data[:8])[0]


def pieces(data: bytes, sizes: list[int]):
    position, index = 0, 0
    while position < len(data):
        size = sizes[index % len(sizes)]
        yield data[position:position + size]
        position, index = position + size, index + 1


@pytest.fixture(scope="module")
def large_file() -> bytes:
    return factory.large_safetensors_bytes(3 * factory.MiB, metadata={"ss_output_name": "big"})


def test_large_safetensors_file_matches_every_independent_hash(tmp_path, large_file):
    path = tmp_path / "model.safetensors"
    path.write_bytes(large_file)
    result = hash_file(path)
    assert result == independent_hashes(large_file, data_offset(large_file))
    assert result["autov1"] is not None and len(result["autov1"]) == 8
    assert result["autov3"] == hashlib.sha256(large_file[data_offset(large_file):]).hexdigest().upper()


def test_small_file_has_no_autov1(tmp_path):
    data = factory.lora_bytes("SD1.5")
    path = tmp_path / "small.safetensors"
    path.write_bytes(data)
    result = hash_file(path)
    assert result == independent_hashes(data, data_offset(data))
    assert result["autov1"] is None and result["autov3"] is not None


@pytest.mark.parametrize("size,has_autov1", [(AUTOV1_MIN_FILE_SIZE - 1, False), (AUTOV1_MIN_FILE_SIZE, True)])
def test_autov1_threshold_is_two_mebibytes(size, has_autov1):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    result = hash_chunks([data], size=size, header_end=None)
    assert (result["autov1"] is not None) is has_autov1
    assert result == independent_hashes(data, None)


def test_non_safetensors_file_has_no_autov3(tmp_path):
    data = b"\x89PNG\r\n\x1a\n" + bytes(5000)
    path = tmp_path / "image.png"
    path.write_bytes(data)
    assert hash_file(path) == independent_hashes(data, None)


def test_header_only_file_hashes_empty_tensor_data():
    data = factory.raw_safetensors({"__metadata__": {"a": "b"}})
    result = hash_chunks([data], size=len(data), header_end=len(data))
    assert result["autov3"] == hashlib.sha256(b"").hexdigest().upper()


def test_crc32_uses_the_byte_order_civitai_stores():
    assert zlib.crc32(b"123456789") == 0xCBF43926  # the standard CRC-32 check value
    assert hash_chunks([b"123456789"], size=9, header_end=None)["crc32"] == "2639F4CB"


def test_empty_input():
    assert hash_chunks([], size=0, header_end=None) == independent_hashes(b"", None)


@pytest.mark.parametrize("sizes", [[1, 7, 65_537], [1_048_575, 3], [4096], [3 * 1024**2 + 500]])
@pytest.mark.parametrize("chunk_size", [1000, 256 * 1024, 8 * 1024**2])
def test_result_does_not_depend_on_how_the_stream_is_cut(large_file, sizes, chunk_size):
    header_end = data_offset(large_file)
    hasher = MultiHasher(header_end, len(large_file), chunk_size=chunk_size)
    for piece in pieces(large_file, sizes):
        hasher.update(piece)
    assert hasher.result() == independent_hashes(large_file, header_end)


def test_caller_may_reuse_its_buffer_after_update(large_file):
    header_end = data_offset(large_file)
    buffer = bytearray(64 * 1024)
    with MultiHasher(header_end, len(large_file), chunk_size=128 * 1024) as hasher:
        for position in range(0, len(large_file), len(buffer)):
            piece = large_file[position:position + len(buffer)]
            buffer[:len(piece)] = piece
            hasher.update(memoryview(buffer)[:len(piece)])
            buffer[:] = bytes(len(buffer))  # scribble over it before the workers could have read it
        assert hasher.result() == independent_hashes(large_file, header_end)


def test_stream_shorter_or_longer_than_declared_size_is_an_error():
    with pytest.raises(ValueError, match="hashed 10 bytes but the file is 11"):
        hash_chunks([b"0123456789"], size=11, header_end=None)
    with pytest.raises(ValueError, match="hashed 10 bytes but the file is 9"):
        hash_chunks([b"0123456789"], size=9, header_end=None)


def test_header_end_must_fit_the_file():
    with pytest.raises(ValueError):
        MultiHasher(header_end=20, size=10)


def test_result_is_stable_and_update_after_result_is_refused():
    hasher = MultiHasher(None, 3)
    hasher.update(b"abc")
    first = hasher.result()
    assert hasher.result() == first
    with pytest.raises(RuntimeError):
        hasher.update(b"d")


def test_abandoned_stream_releases_its_worker_threads():
    before = threading.active_count()
    with pytest.raises(OSError), MultiHasher(None, 100) as hasher:
        hasher.update(b"x" * 10)
        raise OSError("connection reset")
    assert threading.active_count() == before
    hasher.close()  # idempotent
