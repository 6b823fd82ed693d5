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
from dataclasses import replace
from pathlib import PurePosixPath

from chalicelib import observability
from chalicelib.models import AssetStatus, ModelVersion, UploadFile, UploadSession
from chalicelib.services.catalog_service import hash_lookup_values
from chalicelib.services.upload_service import (
    INCOMING_PREFIX,
    MAX_AVATAR_FILE,
    MAX_IMAGE_FILE,
    MAX_MODEL_FILE,
    display_filename,
    safe_filename,
)
from functions.ingest import archives, generation_metadata, hashing, images, safetensors_meta, thumbnails

DERIVED_PREFIX = "derived/"
ASSETS_PREFIX = "assets/"
THUMB_CACHE = "public, max-age=31536000, immutable"
# Below the format's 100 MB limit: real LoRA headers are kilobytes to a few MiB, and parsing a hostile
# 100 MB header costs seconds and gigabytes in a Lambda.
HEADER_CAP = 16 * 1024 * 1024


class IngestPipeline:
    def __init__(self, storage, bucket: str, sessions, models, versions, image_repo, galleries, hashes, users,
                 safety, indexer, clock=time.time) -> None:
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
        self._indexer = indexer
        self._clock = clock

    # -- entry point ----------------------------------------------------------------------
    def handle(self, bucket: str, key: str, etag: str | None) -> str:
        if bucket != self._bucket or not key.startswith(INCOMING_PREFIX):
            return "ignored"
        session_id, _, rest = key[len(INCOMING_PREFIX):].partition("/")
        session = self._sessions.get(session_id)
        observability.bind("ingest", upload_session_id=session_id if session else None)
        index = rest.partition("-")[0]
        if session is None or not index.isdigit() or int(index) >= len(session.files):
            return "orphan"  # no session: the bucket's lifecycle rule expires such objects
        upload = session.files[int(index)]
        observability.bind("ingest", asset_id=upload.asset_id)
        if upload.key != key or session.status in ("aborted", "expired"):
            return "orphan"
        info = self._storage.head(bucket, key)
        if info is None:
            return "vanished"
        if etag and info.etag != etag.strip('"'):
            return "superseded"  # an older event for an object replaced since
        outcome = self._model_file(session, upload, info) if upload.role == "model" else self._image_file(session, upload, info)
        if outcome in ("recorded", "rejected"):
            # Only a run that changed a record may complete the session: a duplicate or late event must
            # not re-apply (and so undo) what newer uploads did since.
            self._finish(session)
            if upload.role != "model":
                self._indexer.refresh_or_queue("image", upload.asset_id)
            if session.model_id:
                self._indexer.refresh_or_queue("model", session.model_id)
        return outcome

    @staticmethod
    def _pending(repo, asset_id: str, etag: str):
        """The record this object becomes, or why there is nothing to do.

        A ``ready`` record is final: its bytes were copied away and hashed, and a later PUT to the
        upload URL changes nothing (a new file is a new version). An ``error`` record may be retried
        with a corrected file while the session is open."""
        record = repo.get(asset_id)
        if record is None:
            return "orphan"
        if record.status == AssetStatus.READY or (record.source_etag == etag and record.status == AssetStatus.ERROR):
            return "duplicate"
        return record

    def _adopt(self, upload: UploadFile, info, kind: str, asset_id: str) -> str | None:
        """Copy the uploaded object, pinned to the ETag that was announced, to the asset's own key.
        Everything afterwards reads that copy, so a later PUT to the upload URL cannot change it."""
        key = f"{ASSETS_PREFIX}{kind}/{asset_id}/{info.etag[:16]}-{upload.name}"
        return key if self._storage.copy_pinned(self._bucket, upload.key, key, info.etag) else None

    def _reject(self, repo, record_id: str, reason: str, info, category: str) -> str:
        observability.get_metrics("ingest").count("IngestRejected", reason=category)
        repo.settle(record_id, status=AssetStatus.ERROR, error=reason[:500], source_etag=info.etag, size=info.size,
                    updated_at=self._clock())
        return "rejected"

    # -- model files --------------------------------------------------------------------
    def _model_file(self, session: UploadSession, upload: UploadFile, info) -> str:
        version = self._pending(self._versions, upload.asset_id, info.etag)
        if isinstance(version, str):
            return version
        if info.size != upload.size:
            return self._reject(self._versions, version.id, f"The file is {info.size} bytes, not the announced {upload.size}", info,
                                "size-mismatch")
        key = self._adopt(upload, info, "versions", version.id)
        if key is None:
            return "superseded"
        size, filename = info.size, version.filename
        try:
            read = self._prefetched_reader(key)
            if read(0, 4) == archives.ZIP_MAGIC:
                archive_key = key
                key, size, filename = self._unpack(version, archive_key, info)
                self._storage.delete(self._bucket, [archive_key])
                read = self._prefetched_reader(key)
            header = safetensors_meta.read_header(read, size, max_header=HEADER_CAP)
        except (safetensors_meta.InvalidSafetensors, archives.InvalidArchive) as e:
            self._storage.delete(self._bucket, [key])
            return self._reject(self._versions, version.id, str(e), info,
                                "invalid-archive" if isinstance(e, archives.InvalidArchive) else "invalid-model-file")
        with hashing.MultiHasher(header.data_offset, size) as hasher:  # worker threads end with the block
            for chunk in self._storage.iter_chunks(self._bucket, key):
                hasher.update(chunk)
            digests = hasher.result()
        header_key = f"{DERIVED_PREFIX}versions/{version.id}/header.json"
        self._storage.put(self._bucket, header_key, json.dumps(header.raw_header).encode(), "application/json")
        if not self._versions.settle(version.id, status=AssetStatus.READY, error=None, source_etag=info.etag, key=key,
                                     size=size, filename=filename, hashes=digests, metadata=version_summary(header),
                                     header_key=header_key, updated_at=self._clock()):
            return "duplicate"  # a concurrent run of the same object finished first
        self._index_hashes(version, digests, filename)
        return "recorded"

    def _prefetched_reader(self, key: str):
        """Ranged reads of ``key`` where the prefix the header parser asks for first is fetched once
        and also answers the archive check: typically one GET per model file."""
        prefix_length = 8 + safetensors_meta.SPECULATIVE_READ
        prefix = self._storage.read_range(self._bucket, key, 0, prefix_length)

        def read(start: int, length: int) -> bytes:
            if start + length <= len(prefix) or len(prefix) < prefix_length:  # a short prefix is the whole file
                return prefix[start:start + length]
            return self._storage.read_range(self._bucket, key, start, length)

        return read

    def _unpack(self, version: ModelVersion, archive_key: str, info) -> tuple[str, int, str]:
        """Stream the archive's .safetensors into its own object (key derived from the source ETag)."""
        name, _, stream = archives.single_safetensors(
            lambda start, length: self._storage.read_range(self._bucket, archive_key, start, length), info.size,
            MAX_MODEL_FILE)
        filename = display_filename(name)
        key = f"{ASSETS_PREFIX}versions/{version.id}/{info.etag[:16]}-{safe_filename(name)}"
        size = self._storage.write_stream(self._bucket, key, stream, "application/octet-stream")
        return key, size, filename

    def _index_hashes(self, version: ModelVersion, digests: dict, filename: str) -> None:
        self._hashes.put(hash_lookup_values(digests, filename), version.model_id, version.id)

    # -- images -------------------------------------------------------------------------
    def _image_file(self, session: UploadSession, upload: UploadFile, info) -> str:
        image = self._pending(self._images, upload.asset_id, info.etag)
        if isinstance(image, str):
            return image
        limit = MAX_AVATAR_FILE if upload.role == "avatar" else MAX_IMAGE_FILE
        # Render slots (size 0) are filled by a GPU agent that could not announce a size; the limit still holds.
        if upload.size and info.size != upload.size:
            return self._reject(self._images, image.id, f"The file is {info.size} bytes, not the announced {upload.size}", info,
                                "size-mismatch")
        if info.size > limit:
            return self._reject(self._images, image.id, f"Images are limited to {limit} bytes", info, "too-large")
        key = self._adopt(upload, info, "images", image.id)
        if key is None:
            return "superseded"
        try:
            data = self._storage.read_all(self._bucket, key, limit)
            inspected = images.inspect_image(data)
            if upload.role == "avatar" and inspected.mime not in ("image/png", "image/jpeg", "image/webp"):
                raise images.InvalidImage("Avatars must be PNG, JPEG or WebP")
            if session.kind == "render" and inspected.mime != "image/png":
                raise images.InvalidImage("Renders must be PNG")
            thumbs = thumbnails.make_thumbnails(data)
        except images.InvalidImage as e:
            self._storage.delete(self._bucket, [key])
            return self._reject(self._images, image.id, str(e), info, "invalid-image")
        meta = bounded_meta(generation_metadata.extract(data).to_dict())
        raw = meta.pop("raw", None)
        if raw:
            # Raw chunks (whole ComfyUI graphs) can approach DynamoDB's 400 KB item limit: they live in S3.
            meta["rawKey"] = f"{DERIVED_PREFIX}images/{image.id}/{info.etag[:16]}-metadata.json"
            self._storage.put(self._bucket, meta["rawKey"], json.dumps(raw).encode(), "application/json")
        stored_thumbs = {}
        for name, thumb in thumbs.items():
            # Derived from the source ETag: a retry overwrites the same object instead of adding one.
            thumb_key = f"{DERIVED_PREFIX}images/{image.id}/{info.etag[:16]}-{name}.webp"
            self._storage.put(self._bucket, thumb_key, thumb.data, thumb.mime, THUMB_CACHE)
            stored_thumbs[name] = {"key": thumb_key, "width": thumb.width, "height": thumb.height, "mime": thumb.mime}
        verdict = self._safety.rules().judge_image(replace(image, meta=meta))
        if verdict.reasons:
            # Before the record turns ready: should flagging fail, the retried message screens it again.
            self._safety.flag("image", image.id, verdict.reasons)
        if not self._images.settle(
                image.id, status=AssetStatus.READY, error=None, source_etag=info.etag, key=key, size=info.size,
                mime=inspected.mime, width=inspected.width, height=inspected.height, thumbnails=stored_thumbs,
                meta=meta, linked_version_ids=self._links(image, meta), is_adult=verdict.adult,
                updated_at=self._clock()):
            return "duplicate"
        return "recorded"

    def _links(self, image, meta: dict) -> list[str]:
        """A render's placeholder already names the versions its job used (checked when it was asked
        for); whatever the file's own metadata resolves to is added."""
        return list(dict.fromkeys([*image.linked_version_ids, *self._linked_versions(meta, image.owner_id)]))[:50]

    def _linked_versions(self, meta: dict, owner_id: str) -> list[str]:
        """Versions of ours this render used: Model hash (AutoV2) and Lora hashes (AutoV3) first; file
        names (ComfyUI graphs carry no hashes) only when exactly one version has that name. Only
        versions the render's owner may see are linked (public ones, or their own)."""
        candidates: list[str] = []
        for value in [meta.get("model_hash"), *(meta.get("lora_hashes") or {}).values()]:
            if value and len(str(value)) <= 64:
                candidates += [v for _, _, v in self._hashes.find(str(value)) if v not in candidates]
        names = (meta.get("checkpoint_names") or []) + (meta.get("lora_names") or [])
        for name in names[:50]:
            matches = {v for _, _, v in self._hashes.find("NAME:" + PurePosixPath(str(name)).stem.lower()[:200])}
            if len(matches) == 1 and (only := matches.pop()) not in candidates:
                candidates.append(only)
        linked = []
        for version_id in candidates[:50]:
            version = self._versions.get(version_id)
            model = self._models.get(version.model_id) if version else None
            if (version and model and version.status == AssetStatus.READY and model.status == AssetStatus.READY
                    and model.moderation == "active" and (model.visibility == "public" or model.owner_id == owner_id)):
                linked.append(version_id)
        return linked

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
            model = self._models.get(session.model_id)
            if model is None:
                return  # deleted meanwhile
            if session.kind == "model":
                if failed:
                    self._models.update_if_status(model.id, AssetStatus.PROCESSING, status=AssetStatus.ERROR,
                                                  error="; ".join(failed)[:500], updated_at=now)
                    return
                verdict = self._screen_model(model, [version], cover)
                self._models.update_if_status(
                    model.id, AssetStatus.PROCESSING, status=AssetStatus.READY, error=None,
                    base_model=version.metadata.get("baseModel"), kind=version.metadata.get("kind") or "lora",
                    is_adult=verdict.adult, updated_at=now)
                return
            current = self._versions.get(model.primary_version_id) if model.primary_version_id else None
            if not failed and (current is None or current.created_at <= version.created_at):
                # The newest published version becomes primary; a late event for an older one never wins.
                verdict = self._screen_model(model, self._versions.for_model(model.id), cover)
                self._models.update(model.id, primary_version_id=version.id, cover_image_id=cover.id,
                                    base_model=version.metadata.get("baseModel"), is_adult=verdict.adult,
                                    updated_at=now)
        elif session.kind == "avatar":
            image = self._images.get(session.files[0].asset_id)
            if image and image.status == AssetStatus.READY:
                self._users.set_avatar(session.owner_id, image.id)
        elif session.kind == "gallery-cover":
            image = self._images.get(session.files[0].asset_id)
            if image and image.status == AssetStatus.READY:
                self._galleries.update(session.gallery_id, cover_image_id=image.id, updated_at=now)

    def _screen_model(self, model, versions: list, cover):
        """Adult flag and illegal screening of a model; flagged before it is published, so a failure
        is retried with the message."""
        verdict = self._safety.rules().judge_model(model, versions, cover)
        if verdict.reasons:
            self._safety.flag("model", model.id, verdict.reasons)
        return verdict


# -- rules shared by ingest and the re-evaluation job -------------------------------------
MAX_TEXT = 2000
MAX_ITEMS = 100
META_BUDGET = 100_000  # bytes of JSON kept on the DynamoDB item (limit 400 KB for everything)


def version_summary(header) -> dict:
    """What a version item keeps of its header; the full header is stored as an object."""
    modelspec = {k: v[:MAX_TEXT] for k, v in header.modelspec.items() if k != "thumbnail"}
    tags = {tag[:100]: count for tag, count in list(header.tag_frequency.items())[:200]}
    return {
        "baseModel": header.base_model, "baseModelSource": header.base_model_source, "kind": header.kind,
        "network": header.network, "resolution": header.resolution, "trainingImages": header.training_images,
        "outputName": (header.output_name or "")[:MAX_TEXT] or None,
        "triggerCandidates": [t[:100] for t in header.trigger_candidates], "tagFrequency": tags,
        "tensorCount": header.tensor_count, "modelspec": modelspec,
    }


def bounded_meta(meta: dict) -> dict:
    """Generation metadata within a size budget: unknown extras go first, then long lists are cut."""
    if len(json.dumps(meta, default=str)) <= META_BUDGET:
        return meta
    meta = {**meta, "extra": {}}
    for key, value in list(meta.items()):
        if isinstance(value, list):
            meta[key] = value[:MAX_ITEMS]
        elif isinstance(value, dict) and key != "raw":
            meta[key] = dict(list(value.items())[:MAX_ITEMS])
    if len(json.dumps({k: v for k, v in meta.items() if k != "raw"}, default=str)) > META_BUDGET:
        keep = ("source", "prompt", "negative_prompt", "params", "model_name", "model_hash", "raw")
        meta = {k: v for k, v in meta.items() if k in keep}
        meta["params"] = dict(list((meta.get("params") or {}).items())[:50])
    return meta
