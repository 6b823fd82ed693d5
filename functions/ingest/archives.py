"""A .zip holding one .safetensors file: found through the central directory (ranged reads), then
streamed out with limits that stop zip bombs. Nothing touches a filesystem."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator

ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # weights barely compress; a higher ratio means padding or a bomb
MAX_DIRECTORY = 1024 * 1024  # zipfile reads the whole central directory at once
MAX_ENTRIES = 1000
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, NotImplementedError,
                  RuntimeError, struct.error, ValueError)
CHUNK = 8 * 1024 * 1024


class InvalidArchive(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over ``read_range(start, length)`` (S3 ranged GETs)."""

    def __init__(self, read_range: Callable[[int, int], bytes], size: int) -> None:
        self._read_range, self._size, self._pos = read_range, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._read_range(self._pos, length)[:length]
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def single_safetensors(read_range: Callable[[int, int], bytes], size: int, max_size: int) -> tuple[str, int, Iterator[bytes]]:
    """(member name, uncompressed size, stream of its bytes) for the archive's one .safetensors member."""
    raw = io.BufferedReader(RangeFile(read_range, size), buffer_size=1024 * 1024)
    _check_directory(raw)
    try:
        archive = zipfile.ZipFile(raw)
    except ARCHIVE_ERRORS as e:
        raise InvalidArchive(f"Not a readable zip archive ({e})") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    for m in members:
        name = m.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise InvalidArchive(f"Unsafe path in archive: {m.filename!r}")
    models = [m for m in members if m.filename.lower().endswith(".safetensors")]
    if len(models) != 1:
        raise InvalidArchive(f"The archive must hold exactly one .safetensors file (found {len(models)})")
    member = models[0]
    if member.flag_bits & 0x1:
        raise InvalidArchive("Encrypted archives are not supported")
    if member.file_size > max_size:
        raise InvalidArchive(f"The packed model is larger than {max_size} bytes")
    if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
        raise InvalidArchive("Suspicious compression ratio (zip bomb?)")

    def stream() -> Iterator[bytes]:
        produced = 0
        try:
            with archive.open(member) as source:
                while chunk := source.read(CHUNK):
                    produced += len(chunk)
                    if produced > member.file_size:  # the declared size lied
                        raise InvalidArchive("The archive member is larger than it declares")
                    yield chunk
        except ARCHIVE_ERRORS as e:
            raise InvalidArchive(f"Corrupt archive ({e})") from None

    return member.filename.replace("\\", "/").rsplit("/", 1)[-1], member.file_size, stream()


def _check_directory(raw) -> None:
    """Refuse archives whose central directory is huge before zipfile reads it in one piece."""
    try:
        end = zipfile._EndRecData(raw)  # the standard library's own end-of-archive parser (handles Zip64)
    except ARCHIVE_ERRORS as e:
        raise InvalidArchive(f"Not a readable zip archive ({e})") from None
    if end is None:
        raise InvalidArchive("Not a zip archive (no end-of-archive record)")
    entries, directory_size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > MAX_ENTRIES or directory_size > MAX_DIRECTORY:
        raise InvalidArchive(f"The archive directory is too large ({entries} entries, {directory_size} bytes)")
    raw.seek(0)
