"""Upload sessions (presigned PUT, no bytes through the API) and what ingest records about them."""
from __future__ import annotations

import re
import time
import uuid

from chalicelib.errors import NotFound, PayloadTooLarge, ValidationError
from chalicelib.models import Role, Upload, User
from chalicelib.services import sniffing

MAX_SIMPLE_UPLOAD = 64 * 1024 * 1024
INCOMING_PREFIX = "incoming/"
ALLOWED_TYPES = {
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/webp": "image/webp",
    "application/octet-stream": sniffing.SAFETENSORS,  # browsers send this for .safetensors
    sniffing.SAFETENSORS: sniffing.SAFETENSORS,
}


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")
    return cleaned[:120] or "file"


class UploadService:
    def __init__(self, repo, storage, bucket: str, url_ttl: int, clock=time.time) -> None:
        self._repo = repo
        self._storage = storage
        self._bucket = bucket
        self._ttl = url_ttl
        self._clock = clock

    def create(self, owner: User, filename: str, content_type: str, size: int) -> tuple[Upload, str, dict]:
        if content_type not in ALLOWED_TYPES:
            raise ValidationError(f"Unsupported content type; allowed: {', '.join(sorted(ALLOWED_TYPES))}", field="contentType")
        if size > MAX_SIMPLE_UPLOAD:
            raise PayloadTooLarge(f"Files above {MAX_SIMPLE_UPLOAD} bytes (64 MiB) need a multipart upload", field="size")
        upload_id = uuid.uuid4().hex
        name = safe_filename(filename)
        upload = Upload(upload_id, owner.id, f"{INCOMING_PREFIX}{upload_id}/{name}", name, content_type, size,
                        "pending", self._clock())
        self._repo.create(upload)
        url, headers = self._storage.presign_put(self._bucket, upload.key, content_type, size, self._ttl)
        return upload, url, headers

    def get(self, viewer: User, upload_id: str) -> Upload:
        upload = self._repo.get(upload_id)
        # Someone else's session is reported as missing, not forbidden: ids are not disclosed.
        if upload is None or (upload.owner_id != viewer.id and viewer.role < Role.ADMIN):
            raise NotFound("Upload not found")
        return upload

    def ingest(self, bucket: str, key: str, etag: str | None) -> str:
        """Handle one ObjectCreated record. Returns what happened (for logs and metrics)."""
        if bucket != self._bucket or not key.startswith(INCOMING_PREFIX):
            return "ignored"
        upload_id = key[len(INCOMING_PREFIX):].split("/", 1)[0]
        upload = self._repo.get(upload_id)
        if upload is None or upload.key != key:
            return "orphan"  # no session: the scheduled cleanup removes such objects
        info = self._storage.head(bucket, key)
        if info is None:
            return "vanished"  # deleted before we got here: a later event or cleanup settles it
        if etag and info.etag != etag.strip('"'):
            return "superseded"  # an older event for an object that was overwritten since
        head = self._storage.read_range(bucket, key, 0, sniffing.SNIFF_BYTES)
        detected = sniffing.sniff(head, info.size)
        expected = ALLOWED_TYPES.get(upload.declared_type)
        now = self._clock()
        if info.size != upload.declared_size:
            reason = f"Size {info.size} differs from the announced {upload.declared_size} bytes"
            changed = self._repo.record_outcome(upload_id, info.etag, "rejected", now, size=info.size, detected_type=detected, reason=reason)
        elif detected != expected:
            reason = f"Content is {detected or 'unrecognised'}, not {expected}"
            changed = self._repo.record_outcome(upload_id, info.etag, "rejected", now, size=info.size, detected_type=detected, reason=reason)
        else:
            changed = self._repo.record_outcome(upload_id, info.etag, "received", now, size=info.size, detected_type=detected)
        return "recorded" if changed else "duplicate"
