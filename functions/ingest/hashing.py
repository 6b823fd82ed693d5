"""Every file hash CivitAI publishes (SHA256, AutoV1, AutoV2, AutoV3, CRC32, BLAKE3), in one pass.

Definitions and formats follow CivitAI's model scanner (civitai/model-scanner HashTask.cs; AutoV3 from
its later commit e7eb905a), so values compare equal to CivitAI's by-hash lookups:
  sha256  SHA-256 of the whole file
  autov1  first 8 hex of SHA-256 over the 64 KiB at offset 1 MiB; None below 2 MiB (A1111's legacy model_hash)
  autov2  first 10 hex of sha256
  autov3  SHA-256 of the tensor data, i.e. everything after the safetensors header; None for other files
  crc32   CRC-32 (IEEE, zlib.crc32) written as .NET's Crc32.GetCurrentHash() bytes: little-endian, so
          b"123456789" gives "2639F4CB", not the conventional "CBF43926"
  blake3  BLAKE3 of the whole file
All values are uppercase hex, as CivitAI shows them; compare case-insensitively.

Speed: the two full-length SHA-256 streams dominate. Each digest runs on its own worker thread fed
through a short queue, so on two cores the whole and the tail SHA-256 proceed in parallel while the
caller reads the next chunk (hashlib, zlib and blake3 release the GIL on large buffers).
"""
from __future__ import annotations

import hashlib
import os
import queue
import threading
import zlib
from collections.abc import Iterable
from typing import BinaryIO, Protocol

from blake3 import blake3

from functions.ingest.safetensors_meta import InvalidSafetensors, read_header

AUTOV1_OFFSET = 0x100000
AUTOV1_LENGTH = 0x10000
AUTOV1_MIN_FILE_SIZE = 2 * 1024 * 1024
CHUNK_SIZE = 8 * 1024 * 1024
QUEUE_DEPTH = 2  # chunks waiting per digest: bounds memory to a few chunks however slow one digest is


class _Digest(Protocol):
    def update(self, data: bytes | memoryview, /) -> object: ...

    def hexdigest(self) -> str: ...


class _Crc32:
    """zlib.crc32 behind the hashlib interface, so every digest lane looks alike, formatted as CivitAI stores it."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes | memoryview) -> None:
        self._value = zlib.crc32(data, self._value)

    def hexdigest(self) -> str:
        return self._value.to_bytes(4, "little").hex()


_END = object()


class _DigestLane:
    """One worker thread that feeds its digest every chunk, in order."""

    def __init__(self, name: str, digest: _Digest) -> None:
        self.digest = digest
        self._chunks: queue.Queue[object] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"hash-{name}", daemon=True)
        self._thread.start()

    def feed(self, chunk: bytes | memoryview) -> None:
        self._chunks.put(chunk)

    def finish(self) -> Exception | None:
        """Wait for the queued chunks; returns the digest's failure, if any, for the caller's thread to raise."""
        self._chunks.put(_END)
        self._thread.join()
        return self._error

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not _END:
            if self._error is None:  # after a failure keep draining, so the producer never blocks on a full queue
                try:
                    self.digest.update(chunk)
                except Exception as exc:
                    self._error = exc


class MultiHasher:
    """Feed a file's bytes in order with :meth:`update`; :meth:`result` returns every hash.

    ``header_end`` is the safetensors data offset (8 + header length), or None for a file that is not
    safetensors. ``size`` is the expected byte count: a stream that ends short or runs long is an error
    rather than a silently wrong hash. Use as a context manager, or call :meth:`close`, when a stream
    may be abandoned, so the worker threads end.
    """

    def __init__(self, header_end: int | None, size: int, *, chunk_size: int = CHUNK_SIZE) -> None:
        if size < 0 or (header_end is not None and not 0 <= header_end <= size):
            raise ValueError(f"header_end {header_end} does not fit a {size}-byte file")
        self._header_end = header_end
        self._size = size
        self._chunk_size = chunk_size
        self._pending = bytearray()
        self._dispatched = 0
        self._autov1_window = bytearray()
        self._stopped = False
        self._failure: Exception | None = None
        self._result: dict[str, str | None] | None = None
        self._lanes = {"sha256": _DigestLane("sha256", hashlib.sha256()),
                       "blake3": _DigestLane("blake3", blake3()),
                       "crc32": _DigestLane("crc32", _Crc32())}
        if header_end is not None:
            self._lanes["autov3"] = _DigestLane("autov3", hashlib.sha256())

    def __enter__(self) -> MultiHasher:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._stopped:
            raise RuntimeError("update() after result() or close()")
        # Workers read chunks after update() returns, so a caller's reusable buffer must be copied.
        data = chunk if isinstance(chunk, bytes) else bytes(chunk)
        if not self._pending and len(data) >= self._chunk_size:
            self._dispatch(data)
            return
        # Small pieces (e.g. network reads) are batched: per-chunk thread hand-offs would cost more than hashing.
        self._pending += data
        if len(self._pending) >= self._chunk_size:
            self._flush_pending()

    def result(self) -> dict[str, str | None]:
        if self._result is None:
            if not self._stopped:
                self._flush_pending()
            self.close()
            if self._failure is not None:
                raise self._failure
            if self._dispatched != self._size:
                raise ValueError(f"hashed {self._dispatched} bytes but the file is {self._size} bytes")
            self._result = self._collect()
        return dict(self._result)

    def close(self) -> None:
        """End the worker threads; bytes still pending are dropped. Idempotent, and implied by result()."""
        if self._stopped:
            return
        self._stopped = True
        errors = [error for lane in self._lanes.values() if (error := lane.finish()) is not None]
        if errors:
            self._failure = errors[0]
            raise self._failure

    def _flush_pending(self) -> None:
        if self._pending:
            self._dispatch(bytes(self._pending))
            self._pending.clear()

    def _dispatch(self, data: bytes) -> None:
        start, end = self._dispatched, self._dispatched + len(data)
        self._dispatched = end
        view = memoryview(data)
        self._capture_autov1_window(view, start, end)
        self._lanes["sha256"].feed(data)
        self._lanes["blake3"].feed(data)
        self._lanes["crc32"].feed(data)
        if self._header_end is not None and end > self._header_end:
            self._lanes["autov3"].feed(view[max(0, self._header_end - start):])

    def _capture_autov1_window(self, view: memoryview, start: int, end: int) -> None:
        window_end = AUTOV1_OFFSET + AUTOV1_LENGTH
        if start < window_end and end > AUTOV1_OFFSET:
            self._autov1_window += view[max(0, AUTOV1_OFFSET - start):min(len(view), window_end - start)]

    def _collect(self) -> dict[str, str | None]:
        sha256 = self._lanes["sha256"].digest.hexdigest().upper()
        autov3_lane = self._lanes.get("autov3")
        autov1 = None
        if self._size >= AUTOV1_MIN_FILE_SIZE:
            autov1 = hashlib.sha256(self._autov1_window).hexdigest()[:8].upper()
        return {
            "sha256": sha256,
            "autov1": autov1,
            "autov2": sha256[:10],
            "autov3": autov3_lane.digest.hexdigest().upper() if autov3_lane else None,
            "crc32": self._lanes["crc32"].digest.hexdigest().upper(),
            "blake3": self._lanes["blake3"].digest.hexdigest().upper(),
        }


def hash_chunks(chunks: Iterable[bytes | bytearray | memoryview], *, size: int,
                header_end: int | None) -> dict[str, str | None]:
    """Hash a stream (e.g. an S3 body's chunks) whose total ``size`` and safetensors data offset are known."""
    with MultiHasher(header_end, size) as hasher:
        for chunk in chunks:
            hasher.update(chunk)
        return hasher.result()


def hash_file(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> dict[str, str | None]:
    """Hash a local file; AutoV3 is computed when the file has a valid safetensors header."""
    with open(path, "rb", buffering=0) as file:
        size = os.fstat(file.fileno()).st_size
        header_end = _safetensors_data_offset(file, size)
        file.seek(0)
        return hash_chunks(iter(lambda: file.read(chunk_size), b""), size=size, header_end=header_end)


def _safetensors_data_offset(file: BinaryIO, size: int) -> int | None:
    def read_range(start: int, length: int) -> bytes:
        file.seek(start)
        return file.read(length)

    try:
        return read_header(read_range, size).data_offset
    except InvalidSafetensors:
        return None
