"""What happens when an uploaded object arrives: the ingest domain logic (no boto3 here).

``incoming/<session>/<index>-<name>`` objects are matched to their upload session and file. Model
files: header-only metadata through ranged reads, then every hash in one streaming pass, the hash
index, the base model. Images: type from bytes, generation metadata, resource links, adult
keywords, WebP thumbnails under deterministic keys. Finally the session's model/gallery/avatar is
completed when all its parts are ready.

Idempotent: each record remembers the ETag it was built from, so duplicate and out-of-order events
change nothing. Bad files end as ``error`` with a readable reason (no retry); infrastructure
errors propagate so the message is retried and eventually lands in the DLQ.
"""
from __future__ import annotations

import json
import time
from pathlib import PurePosixPath

from chalicelib.errors import StorageError
from chalicelib.models import AssetStatus, ModelVersion, UploadFile, UploadSession
from chalicelib.services import safety_service
from chalicelib.services.upload_service import (
    INCOMING_PREFIX,
    MAX_AVATAR_FILE,
    MAX_IMAGE_FILE,
    MAX_MODEL_FILE,
    safe_filename,
)
from functions.ingest import archives, generation_metadata, hashing, images, safetensors_meta, thumbnails

DERIVED_PREFIX = "derived/"
THUMB_CACHE = "public, max-age=31536000, immutable"
# Below the format's 100 MB limit: real LoRA headers are kilobytes to a few MiB, and parsing a hostile
# 100 MB header costs seconds and gigabytes in a Lambda.
HEADER_CAP = 16 * 1024 * 1024


class Poison(Exception):
    """The file itself is unacceptable: record the reason, never retry."""


class IngestPipeline:
    def __init__(self, storage, bucket: str, sessions, models, versions, image_repo, galleries, hashes, users,
                 safety, clock=time.time) -> None:
        self._storage = storage
        self._bucket = bucket
        self._sessions = sessions
        self._models = models
        self._versions = versions
        self._images = image_repo
        self._galleries = galleries
        self._hashes = hashes
        self._users = users
        self._safety = safety
        self._clock = clock

    # -- entry point ----------------------------------------------------------------------
    def handle(self, bucket: str, key: str, etag: str | None) -> str:
        if bucket != self._bucket or not key.startswith(INCOMING_PREFIX):
            return "ignored"
        session_id, _, rest = key[len(INCOMING_PREFIX):].partition("/")
        session = self._sessions.get(session_id)
        index = rest.partition("-")[0]
        if session is None or not index.isdigit() or int(index) >= len(session.files):
            return "orphan"  # no session: the scheduled sweep removes such objects
        upload = session.files[int(index)]
        if upload.key != key or session.status in ("aborted", "expired"):
            return "orphan"
        info = self._storage.head(bucket, key)
        if info is None:
            return "vanished"
        if etag and info.etag != etag.strip('"'):
            return "superseded"  # an older event for an object replaced since
        outcome = self._model_file(session, upload, info) if upload.role == "model" else self._image_file(session, upload, info)
        self._finish(session)
        return outcome

    # -- model files --------------------------------------------------------------------
    @staticmethod
    def _pending(repo, asset_id: str, etag: str):
        """The record this object becomes, or why there is nothing to do ("orphan", "duplicate")."""
        record = repo.get(asset_id)
        if record is None:
            return "orphan"
        if record.source_etag == etag and record.status != AssetStatus.PROCESSING:
            return "duplicate"
        return record

    def _model_file(self, session: UploadSession, upload: UploadFile, info) -> str:
        version = self._pending(self._versions, upload.asset_id, info.etag)
        if isinstance(version, str):
            return version
        key, size, filename = upload.key, info.size, upload.name
        try:
            if info.size != upload.size:
                raise Poison(f"The file is {info.size} bytes, not the announced {upload.size}")
            if self._storage.read_range(self._bucket, upload.key, 0, 4) == archives.ZIP_MAGIC:
                key, size, filename = self._unpack(version, upload, info)
            header = safetensors_meta.read_header(
                lambda start, length: self._storage.read_range(self._bucket, key, start, length), size,
                max_header=HEADER_CAP)
        except (Poison, safetensors_meta.InvalidSafetensors, archives.InvalidArchive) as e:
            self._versions.update(version.id, status=AssetStatus.ERROR, error=str(e)[:500], source_etag=info.etag,
                                  key=upload.key, size=info.size, updated_at=self._clock())
            return "rejected"
        with hashing.MultiHasher(header.data_offset, size) as hasher:  # worker threads end with the block
            for chunk in self._storage.iter_chunks(self._bucket, key):
                hasher.update(chunk)
            digests = hasher.result()
        header_key = f"{DERIVED_PREFIX}versions/{version.id}/header.json"
        self._storage.put(self._bucket, header_key, json.dumps(header.raw_header).encode(), "application/json")
        summary = {
            "baseModel": header.base_model, "baseModelSource": header.base_model_source, "kind": header.kind,
            "network": header.network, "resolution": header.resolution, "trainingImages": header.training_images,
            "outputName": header.output_name, "triggerCandidates": header.trigger_candidates,
            "tagFrequency": dict(list(header.tag_frequency.items())[:200]), "tensorCount": header.tensor_count,
            "modelspec": header.modelspec,
        }
        self._index_hashes(version, digests, filename)
        self._versions.update(version.id, status=AssetStatus.READY, error=None, source_etag=info.etag, key=key,
                              size=size, filename=filename, hashes=digests, metadata=summary, header_key=header_key,
                              updated_at=self._clock())
        if session.kind == "model":
            self._models.update(version.model_id, base_model=header.base_model, kind=header.kind,
                                updated_at=self._clock())
        return "recorded"

    def _unpack(self, version: ModelVersion, upload: UploadFile, info) -> tuple[str, int, str]:
        """Stream the archive's .safetensors into its own object (key derived from the source ETag)."""
        name, _, stream = archives.single_safetensors(
            lambda start, length: self._storage.read_range(self._bucket, upload.key, start, length), info.size,
            MAX_MODEL_FILE)
        filename = safe_filename(name)
        key = f"{DERIVED_PREFIX}versions/{version.id}/{info.etag[:16]}-{filename}"
        size = self._storage.write_stream(self._bucket, key, stream, "application/octet-stream")
        return key, size, filename

    def _index_hashes(self, version: ModelVersion, digests: dict, filename: str) -> None:
        values = {name.upper(): value for name, value in digests.items() if value}
        if digests.get("autov3"):
            values["AUTOV3_SHORT"] = digests["autov3"][:12]
        values["NAME"] = "NAME:" + PurePosixPath(filename).stem.lower()
        self._hashes.put(values, version.model_id, version.id)

    # -- images -------------------------------------------------------------------------
    def _image_file(self, session: UploadSession, upload: UploadFile, info) -> str:
        image = self._pending(self._images, upload.asset_id, info.etag)
        if isinstance(image, str):
            return image
        limit = MAX_AVATAR_FILE if upload.role == "avatar" else MAX_IMAGE_FILE
        try:
            if info.size != upload.size:
                raise Poison(f"The file is {info.size} bytes, not the announced {upload.size}")
            if info.size > limit:
                raise Poison(f"Images are limited to {limit} bytes")
            data = self._storage.read_all(self._bucket, upload.key, limit)
            inspected = images.inspect_image(data)
            if upload.role == "avatar" and inspected.mime not in ("image/png", "image/jpeg", "image/webp"):
                raise Poison("Avatars must be PNG, JPEG or WebP")
            thumbs = thumbnails.make_thumbnails(data)
        except (Poison, images.InvalidImage, StorageError) as e:
            self._images.update(image.id, status=AssetStatus.ERROR, error=str(e)[:500], source_etag=info.etag,
                                key=upload.key, size=info.size, updated_at=self._clock())
            return "rejected"
        meta = generation_metadata.extract(data).to_dict()
        raw = meta.pop("raw", None)
        if raw:
            # Raw chunks (whole ComfyUI graphs) can approach DynamoDB's 400 KB item limit: they live in S3.
            meta["rawKey"] = f"{DERIVED_PREFIX}images/{image.id}/{info.etag[:16]}-metadata.json"
            self._storage.put(self._bucket, meta["rawKey"], json.dumps(raw).encode(), "application/json")
        stored_thumbs = {}
        for name, thumb in thumbs.items():
            # Derived from the source ETag: a retry overwrites the same object instead of adding one.
            key = f"{DERIVED_PREFIX}images/{image.id}/{info.etag[:16]}-{name}.webp"
            self._storage.put(self._bucket, key, thumb.data, thumb.mime, THUMB_CACHE)
            stored_thumbs[name] = {"key": key, "width": thumb.width, "height": thumb.height, "mime": thumb.mime}
        adult = safety_service.matches(self._safety.adult_keywords(), [meta.get("prompt") or ""] + image.tags)
        self._images.update(
            image.id, status=AssetStatus.READY, error=None, source_etag=info.etag, key=upload.key, size=info.size,
            mime=inspected.mime, width=inspected.width, height=inspected.height, thumbnails=stored_thumbs,
            meta=meta, linked_version_ids=self._linked_versions(meta), is_adult=bool(adult), updated_at=self._clock())
        return "recorded"

    def _linked_versions(self, meta: dict) -> list[str]:
        """Versions of ours this render used: Model hash (AutoV2) and Lora hashes (AutoV3) first; file
        names (ComfyUI graphs carry no hashes) only when exactly one version has that name."""
        found: list[str] = []
        for value in [meta.get("model_hash"), *(meta.get("lora_hashes") or {}).values()]:
            if value and len(str(value)) <= 64:
                found += [v for _, _, v in self._hashes.find(str(value)) if v not in found]
        names = (meta.get("checkpoint_names") or []) + (meta.get("lora_names") or [])
        for name in names[:50]:
            matches = {v for _, _, v in self._hashes.find("NAME:" + PurePosixPath(str(name)).stem.lower()[:200])}
            if len(matches) == 1 and (only := matches.pop()) not in found:
                found.append(only)
        return found

    # -- completion ---------------------------------------------------------------------
    def _finish(self, session: UploadSession) -> None:
        """Flip the session's owner-visible record once all its files are processed."""
        now = self._clock()
        if session.kind in ("model", "model-version"):
            version = self._versions.get(session.version_id)
            cover = self._images.get(version.cover_image_id) if version else None
            if not version or not cover or AssetStatus.PROCESSING in (version.status, cover.status):
                return
            failed = [a.error for a in (version, cover) if a.status == AssetStatus.ERROR]
            if session.kind == "model":
                model = self._models.get(session.model_id)
                if failed:
                    self._models.update(model.id, status=AssetStatus.ERROR, error="; ".join(failed)[:500], updated_at=now)
                    return
                keywords = self._safety.adult_keywords()
                texts = [model.title, model.description, *model.trigger_words, *model.tags,
                         *version.metadata.get("tagFrequency", {}).keys()]
                self._models.update(model.id, status=AssetStatus.READY, error=None,
                                    is_adult=bool(safety_service.matches(keywords, texts)) or cover.is_adult,
                                    updated_at=now)
            elif not failed:
                self._models.update(session.model_id, primary_version_id=version.id, cover_image_id=cover.id,
                                    updated_at=now)
        elif session.kind == "avatar":
            image = self._images.get(session.files[0].asset_id)
            if image and image.status == AssetStatus.READY:
                self._users.set_avatar(session.owner_id, image.id)
        elif session.kind == "gallery-cover":
            image = self._images.get(session.files[0].asset_id)
            if image and image.status == AssetStatus.READY:
                self._galleries.update(session.gallery_id, cover_image_id=image.id, updated_at=now)


def recompute_adult(models, image_repo, safety) -> dict:
    """Re-evaluate adult flags after the keyword list changed (background job; walks the tables)."""
    keywords = safety.adult_keywords()
    changed = 0
    for image in image_repo.scan_all():
        adult = bool(safety_service.matches(keywords, [(image.meta or {}).get("prompt") or ""] + image.tags))
        if adult != image.is_adult:
            image_repo.update(image.id, is_adult=adult)
            changed += 1
    for model in models.scan_all():
        adult = bool(safety_service.matches(keywords, [model.title, model.description, *model.trigger_words, *model.tags]))
        if adult != model.is_adult:
            models.update(model.id, is_adult=adult)
            changed += 1
    return {"changed": changed}

