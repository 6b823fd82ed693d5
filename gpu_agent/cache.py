"""Content-addressed model cache that exposes its files to ComfyUI under safe names.

Layout: ``<cache>/blobs/<key>`` holds the bytes (key = SHA-256 of the file, or a digest of URL path
and size when the platform does not know the file's SHA-256), ``<cache>/index.json`` records size,
kind and last use. Each cached file appears in ``<models>/checkpoints`` or ``<models>/loras`` as
``<sanitised stem>-<key prefix><ext>``: no path from the envelope ever reaches the file system, and
two different files never share a visible name.

Base models (checkpoints) are pinned: they are large and reused by most jobs. LoRAs are evicted
least recently used first when the budget is exceeded, except those the running job holds.

A downloaded file whose size differs from the announced one is a transfer problem
(TRANSIENT_ERROR, retryable). A file of the right size whose SHA-256 differs from the catalog's is
a catalog problem that no retry fixes (VALIDATION_ERROR, not retryable).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from gpu_agent.errors import JobCanceled, system_error, transient_error, validation_error
from gpu_agent.platform_client import redact
from gpu_agent.retry import RetryPolicy, is_retryable_status

log = logging.getLogger("visionsuit.agent.cache")

CHECKPOINT, LORA = "checkpoint", "lora"
SUBDIRS = {CHECKPOINT: "checkpoints", LORA: "loras"}
MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")
MAX_STEM_CHARS = 80
KEY_PREFIX_CHARS = 12
DISK_HEADROOM_BYTES = 256 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Progress = Callable[[int, int], None]  # (bytes done, bytes to do) over the whole lease


@dataclass(frozen=True)
class ModelFile:
    """A model file as the assignment describes it."""
    kind: str  # CHECKPOINT or LORA
    filename: str
    url: str
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class CachedModel:
    key: str
    kind: str
    visible_name: str  # what ComfyUI's ckpt_name / lora_name must say
    path: Path
    verified: bool  # False when the platform gave no SHA-256 to check against


def cache_key(file: ModelFile) -> tuple[str, bool]:
    """(key, verified). Without a SHA-256 the URL path (not its expiring query) and size stand in."""
    if file.sha256 is not None:
        if not _SHA256.match(file.sha256):
            raise validation_error(f"{file.filename}: sha256 is not 64 hex digits")
        return file.sha256.lower(), True
    identity = f"{urlsplit(file.url).path}\n{file.size}"
    return hashlib.sha256(identity.encode()).hexdigest(), False


def visible_name(filename: str, key: str) -> str:
    """A file name ComfyUI can list: ASCII, no separators, no leading dots, keyed by content."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, extension = base, ".safetensors"
    for known in MODEL_EXTENSIONS:
        if base.lower().endswith(known):
            stem, extension = base[:-len(known)], known
            break
    stem = _UNSAFE.sub("_", stem).strip("._-")[:MAX_STEM_CHARS] or "model"
    return f"{stem}-{key[:KEY_PREFIX_CHARS]}{extension}"


class ModelCache:
    def __init__(self, cache_dir: Path, models_dir: Path, budget_bytes: int, *, retry: RetryPolicy | None = None,
                 timeout_seconds: float = 60.0, chunk_bytes: int = 1024 * 1024,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.time) -> None:
        self._dir = Path(cache_dir)
        self._blobs = self._dir / "blobs"
        self._tmp = self._dir / "tmp"
        self._index_path = self._dir / "index.json"
        self._models_dir = Path(models_dir)
        self._budget = budget_bytes
        self._retry = retry or RetryPolicy()
        self._timeout = timeout_seconds
        self._chunk = chunk_bytes
        self._session = session or requests.Session()  # no credentials: every URL is presigned
        self._clock = clock
        self._lock = threading.RLock()
        self._in_use: Counter[str] = Counter()
        for directory in (self._blobs, self._tmp, *(self._models_dir / sub for sub in SUBDIRS.values())):
            directory.mkdir(parents=True, exist_ok=True)
        self._index: dict[str, dict] = self._load_index()

    # -- public ------------------------------------------------------------------------------
    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(entry["size"] for entry in self._index.values())

    def contains(self, key: str) -> bool:
        with self._lock:
            return key in self._index

    def describe(self, file: ModelFile) -> CachedModel:
        """Where the file is (or would be) visible, without fetching it."""
        key, verified = cache_key(file)
        name = visible_name(file.filename, key)
        return CachedModel(key, file.kind, name, self._models_dir / SUBDIRS[file.kind] / name, verified)

    @contextmanager
    def use(self, files: list[ModelFile], *, progress: Progress | None = None,
            cancel: threading.Event | None = None, warnings: list[str] | None = None) -> Iterator[list[CachedModel]]:
        """Fetch what is missing, expose everything to ComfyUI, and protect it from eviction meanwhile."""
        cancel = cancel or threading.Event()
        models = [self.describe(file) for file in files]
        with self._lock:
            self._in_use.update(model.key for model in models)
        try:
            missing = {model.key: file for model, file in zip(models, files, strict=True) if not self.contains(model.key)}
            total = sum(file.size or 0 for file in missing.values())
            done = 0
            for model, file in zip(models, files, strict=True):
                if not model.verified and warnings is not None:
                    warnings.append(f"{file.filename}: no SHA-256 from the platform; cached by URL path and size, "
                                    "not verified")
                if model.key in missing:
                    missing.pop(model.key)

                    def report(received: int, base: int = done) -> None:
                        if progress:
                            progress(base + received, total)

                    self._fetch(file, model, report, cancel, warnings)
                    done += file.size or 0
                self._touch(model)
                self._expose(model)
            yield models
        finally:
            with self._lock:
                self._in_use.subtract(model.key for model in models)
                self._in_use = +self._in_use  # drop zero counts

    # -- fetching ----------------------------------------------------------------------------
    def _fetch(self, file: ModelFile, model: CachedModel, report: Callable[[int], None], cancel: threading.Event,
               warnings: list[str] | None) -> None:
        self._make_room(file.size or 0, warnings)
        partial = self._tmp / f"{model.key}.{uuid.uuid4().hex}.part"
        try:
            digest, size = self._download(file, partial, report, cancel)
            if file.size is not None and size != file.size:
                raise transient_error(f"{file.filename}: received {size} bytes, expected {file.size}")
            if model.verified and digest != model.key:
                raise validation_error(f"{file.filename}: SHA-256 {digest} does not match the catalog's {model.key}")
            os.replace(partial, self._blobs / model.key)
        finally:
            with suppress(FileNotFoundError):
                partial.unlink()
        with self._lock:
            self._index[model.key] = {"kind": file.kind, "size": size, "lastUsed": self._clock(),
                                      "visible": model.visible_name, "verified": model.verified}
            self._save_index()
        log.info("cached %s as %s (%d bytes)", file.filename, model.visible_name, size)

    def _download(self, file: ModelFile, partial: Path, report: Callable[[int], None],
                  cancel: threading.Event) -> tuple[str, int]:
        """Stream to ``partial``; resume with a Range request after a broken connection."""
        hasher, received, failures = hashlib.sha256(), 0, 0
        with open(partial, "wb") as out:
            while True:
                headers = {"Range": f"bytes={received}-"} if received else {}
                try:
                    with self._session.get(file.url, headers=headers, stream=True, timeout=self._timeout,
                                           allow_redirects=False) as response:
                        if received and response.status_code == 200:  # Range ignored: start over
                            out.seek(0)
                            out.truncate()
                            hasher, received = hashlib.sha256(), 0
                        elif response.status_code not in (200, 206) or (response.status_code == 206 and not received):
                            if not is_retryable_status(response.status_code):
                                raise _download_refused(file, response.status_code)
                            raise requests.ConnectionError(f"HTTP {response.status_code}")
                        for chunk in response.iter_content(self._chunk):
                            if cancel.is_set():
                                raise JobCanceled()
                            out.write(chunk)
                            hasher.update(chunk)
                            received += len(chunk)
                            if file.size is not None and received > file.size:
                                raise transient_error(f"{file.filename}: more bytes than the announced {file.size}")
                            report(received)
                    if file.size is None or received >= file.size:
                        return hasher.hexdigest(), received
                    raise requests.ConnectionError("connection closed before the end of the file")
                except requests.RequestException as error:
                    failures += 1
                    if failures >= self._retry.attempts:
                        raise transient_error(f"{file.filename}: download failed ({error}) from "
                                              f"{redact(file.url)}") from None
                    wait = self._retry.delay(failures)
                    log.warning("download of %s interrupted at %d bytes (%s); resuming in %.1fs",
                                file.filename, received, error, wait)
                    if cancel.wait(wait):
                        raise JobCanceled() from None

    # -- budget ------------------------------------------------------------------------------
    def _make_room(self, incoming: int, warnings: list[str] | None) -> None:
        with self._lock:
            evictable = sorted((entry["lastUsed"], key) for key, entry in self._index.items()
                               if entry["kind"] != CHECKPOINT and not self._in_use[key])
            while self.used_bytes + incoming > self._budget and evictable:
                self._evict(evictable.pop(0)[1])
            overflow = self.used_bytes + incoming - self._budget
        if overflow > 0 and warnings is not None:
            warnings.append(f"model cache over its budget by {overflow} bytes (base models are kept)")
        free = shutil.disk_usage(self._dir).free
        if free < incoming + DISK_HEADROOM_BYTES:
            raise system_error(f"not enough disk space for a {incoming}-byte model ({free} bytes free)", retryable=True)

    def _evict(self, key: str) -> None:
        entry = self._index.pop(key)
        with suppress(FileNotFoundError):
            (self._models_dir / SUBDIRS[entry["kind"]] / entry["visible"]).unlink()
        with suppress(FileNotFoundError):
            (self._blobs / key).unlink()
        self._save_index()
        log.info("evicted %s (%d bytes)", entry["visible"], entry["size"])

    def _touch(self, model: CachedModel) -> None:
        with self._lock:
            self._index[model.key]["lastUsed"] = self._clock()
            self._save_index()

    # -- exposing to ComfyUI -----------------------------------------------------------------
    def _expose(self, model: CachedModel) -> None:
        blob, target = self._blobs / model.key, model.path
        if target.parent != self._models_dir / SUBDIRS[model.kind]:
            raise system_error(f"refusing to place a model outside the models dir: {model.visible_name}")
        with suppress(FileNotFoundError):
            if os.path.samefile(blob, target):
                return
            target.unlink()  # a stale link or copy of an evicted blob with the same name
        try:
            os.link(blob, target)  # no extra disk, survives a moved cache dir
        except OSError:
            try:
                os.symlink(blob.resolve(), target)  # cache and models on different file systems
            except OSError:
                staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
                shutil.copyfile(blob, staging)
                os.replace(staging, target)

    # -- index -------------------------------------------------------------------------------
    def _load_index(self) -> dict[str, dict]:
        for leftover in self._tmp.iterdir():  # partial downloads of a previous run
            with suppress(OSError):
                leftover.unlink()
        try:
            index = json.loads(self._index_path.read_text())
        except (FileNotFoundError, ValueError):
            index = {}
        index = {key: entry for key, entry in index.items()
                 if isinstance(entry, dict) and (self._blobs / key).is_file() and entry.get("kind") in SUBDIRS}
        for blob in self._blobs.iterdir():
            if blob.name not in index:  # no record of what it is or where it came from
                with suppress(OSError):
                    blob.unlink()
        return index

    def _save_index(self) -> None:
        staging = self._index_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        staging.write_text(json.dumps(self._index, indent=1, sort_keys=True))
        os.replace(staging, self._index_path)


def _download_refused(file: ModelFile, status: int) -> Exception:
    if status == 404:
        return validation_error(f"{file.filename}: not found at {redact(file.url)}")
    if status == 403:
        # Presigned URLs expire; a new attempt of the job comes with fresh ones.
        return transient_error(f"{file.filename}: download URL refused (expired?) HTTP 403")
    return system_error(f"{file.filename}: download answered HTTP {status}")
