"""Upload sessions: presigned PUTs for small files, presigned multipart parts for large ones.

No file bytes pass through the API. A session announces its files up front (sizes validated
against the limits), creates the records they will become (status ``processing``, invisible in
lists), and hands out URLs. Ingest fills the records in as objects arrive; ``complete`` finishes
multipart uploads; ``abort`` and the scheduled sweep remove everything a session left behind.
"""
from __future__ import annotations

import math
import re
import time
import uuid
from dataclasses import dataclass, field

from chalicelib.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, StorageError, ValidationError
from chalicelib.models import (
    AssetStatus,
    Gallery,
    ImageAsset,
    ModelAsset,
    ModelVersion,
    Role,
    UploadFile,
    UploadSession,
    User,
)
from chalicelib.services.visibility import can_manage

MiB, GiB = 1024 * 1024, 1024 * 1024 * 1024
MAX_MODEL_FILE = 5 * GiB
MAX_IMAGE_FILE = 64 * MiB
MAX_AVATAR_FILE = 5 * MiB
MAX_FILES = 12
SINGLE_PUT_LIMIT = 64 * MiB
MIN_PART = 8 * MiB
MAX_PARTS = 10_000
PART_URLS_PER_CALL = 100
SESSION_TTL = 24 * 3600
INCOMING_PREFIX = "incoming/"

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/avif"}
AVATAR_TYPES = {"image/png", "image/jpeg", "image/webp"}
MODEL_TYPES = {"application/octet-stream", "application/vnd.safetensors", "application/zip",
               "application/x-zip-compressed"}
KINDS = ("model", "model-version", "images", "avatar", "gallery-cover")


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")
    return cleaned[:120] or "file"


def display_filename(name: str) -> str:
    """The original file name for people (Unicode kept, path and control characters dropped);
    storage keys use :func:`safe_filename`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"\\').strip()
    return cleaned[:200] or "file"


@dataclass
class FileSpec:
    name: str
    size: int
    content_type: str
    role: str | None = None


@dataclass
class SessionRequest:
    kind: str
    files: list[FileSpec]
    title: str | None = None
    description: str = ""
    trigger_words: list[str] | None = None
    tags: list[str] | None = None
    category: str | None = None
    visibility: str = "private"
    gallery_id: str | None = None
    gallery_title: str | None = None
    model_id: str | None = None
    version_name: str | None = None


@dataclass
class _Plan:
    """Records a session will write, built before anything is written."""

    asset_ids: list[str]
    model: ModelAsset | None = None
    versions: list[ModelVersion] = field(default_factory=list)
    images: list[ImageAsset] = field(default_factory=list)
    galleries: list[Gallery] = field(default_factory=list)
    entries: list[tuple[str, str, str, float]] = field(default_factory=list)
    created_gallery: bool = False


def part_size_for(size: int) -> int:
    """Smallest whole-MiB part size >= 8 MiB that keeps the upload within 10,000 parts."""
    return max(MIN_PART, math.ceil(size / MAX_PARTS / MiB) * MiB)


class UploadService:
    def __init__(self, sessions, models, versions, images, galleries, entries, storage, bucket: str,
                 url_ttl: int, reports=None, indexer=None, clock=time.time) -> None:
        self._reports = reports  # where the scheduled sweep files its report
        self._indexer = indexer  # placeholders are listed to their owner ("processing") and to admins
        self._sessions = sessions
        self._models = models
        self._versions = versions
        self._images = images
        self._galleries = galleries
        self._entries = entries
        self._storage = storage
        self._bucket = bucket
        self._ttl = url_ttl
        self._clock = clock

    # -- validation ---------------------------------------------------------------------
    def _assign_roles(self, req: SessionRequest) -> list[FileSpec]:
        files = req.files
        if not 1 <= len(files) <= MAX_FILES:
            raise ValidationError(f"A session holds 1 to {MAX_FILES} files", field="files")
        if req.kind in ("model", "model-version"):
            model = [f for f in files if f.role == "model" or (f.role is None and f.content_type in MODEL_TYPES)]
            covers = [f for f in files if f not in model]
            if len(model) != 1 or len(covers) != 1:
                raise ValidationError("A model upload needs exactly one .safetensors (or .zip) file and one cover image",
                                      field="files")
            model[0].role, covers[0].role = "model", "cover"
            if not model[0].name.lower().endswith((".safetensors", ".zip")):
                raise ValidationError("The model file must be a .safetensors file or a .zip holding one", field="files")
        elif req.kind == "images":
            for f in files:
                f.role = "image"
        else:
            if len(files) != 1:
                raise ValidationError(f"A {req.kind} upload is exactly one image", field="files")
            files[0].role = req.kind
        for i, f in enumerate(files):
            self._check_file(req.kind, i, f)
        return files

    @staticmethod
    def _check_file(kind: str, i: int, f: FileSpec) -> None:
        field = f"files.{i}"
        if f.role == "model":
            if f.content_type not in MODEL_TYPES:
                raise ValidationError(f"Unsupported model content type; allowed: {', '.join(sorted(MODEL_TYPES))}",
                                      field=f"{field}.contentType")
            if f.size > MAX_MODEL_FILE:
                raise PayloadTooLarge(f"Model files are limited to 5 GiB ({MAX_MODEL_FILE} bytes)", field=f"{field}.size")
            return
        allowed = AVATAR_TYPES if kind == "avatar" else IMAGE_TYPES
        if f.content_type not in allowed:
            raise ValidationError(f"Unsupported image type; allowed: {', '.join(sorted(allowed))}",
                                  field=f"{field}.contentType")
        limit = MAX_AVATAR_FILE if kind == "avatar" else MAX_IMAGE_FILE
        if f.size > limit:
            raise PayloadTooLarge(f"Images are limited to {limit // MiB} MiB ({limit} bytes)", field=f"{field}.size")

    # -- sessions -----------------------------------------------------------------------
    def create(self, owner: User, req: SessionRequest) -> tuple[UploadSession, dict[int, dict]]:
        """Validate everything, then write: session first, so a failure later leaves nothing the
        scheduled sweep cannot find and remove."""
        if req.kind != "avatar" and owner.role < Role.CURATOR:
            raise Forbidden("Requires the CURATOR role")
        files = self._assign_roles(req)
        now, sid = self._clock(), uuid.uuid4().hex
        session = UploadSession(sid, owner.id, req.kind, "open", now, now + SESSION_TTL)
        plan = self._plan(owner, req, session, files, now)
        for i, f in enumerate(files):
            key = f"{INCOMING_PREFIX}{sid}/{i}-{safe_filename(f.name)}"
            upload = UploadFile(i, safe_filename(f.name), f.role, key, f.size, f.content_type, plan.asset_ids[i])
            if f.size > SINGLE_PUT_LIMIT:
                upload.multipart_id = self._storage.start_multipart(self._bucket, key, f.content_type)
                upload.part_size = part_size_for(f.size)
            session.files.append(upload)
        session.created_gallery = plan.created_gallery
        self._sessions.create(session)
        for gallery in plan.galleries:
            self._galleries.create(gallery)
        if plan.model:
            self._models.create(plan.model)
        for version in plan.versions:
            self._versions.create(version)
        for image in plan.images:
            self._images.create(image)
        for gallery_id, kind, asset_id, at in plan.entries:
            self._entries.add(gallery_id, kind, asset_id, at)
        placeholders = [("gallery", g.id) for g in plan.galleries] + [("image", i.id) for i in plan.images]
        self._reindex(placeholders + ([("model", plan.model.id)] if plan.model else []))
        return session, {f.index: self._urls(f, range(1, min(self.part_count(f), PART_URLS_PER_CALL) + 1))
                         for f in session.files}

    def _plan(self, owner: User, req: SessionRequest, session: UploadSession, files: list[FileSpec],
              now: float) -> _Plan:
        plan = _Plan([uuid.uuid4().hex for _ in files])
        title = (req.title or "").strip()
        if req.kind in ("model", "model-version"):
            model_index = next(i for i, f in enumerate(files) if f.role == "model")
            cover_index = 1 - model_index
            version_id, cover_id = plan.asset_ids[model_index], plan.asset_ids[cover_index]
            if req.kind == "model":
                if not title:
                    raise ValidationError("A model needs a title", field="title")
                if not req.trigger_words:
                    raise ValidationError("A model needs at least one trigger word", field="triggerWords")
                model = ModelAsset(uuid.uuid4().hex, owner.id, title, AssetStatus.PROCESSING, now, now,
                                   description=req.description, trigger_words=req.trigger_words, tags=req.tags or [],
                                   category=req.category, visibility=req.visibility, primary_version_id=version_id,
                                   cover_image_id=cover_id)
                if req.gallery_id or req.gallery_title:
                    model.gallery_id = session.gallery_id = self._target_gallery(owner, req, now, plan).id
                    plan.entries.append((model.gallery_id, "model", model.id, now))
                plan.model = model
                version_name = req.version_name or "1.0"
            else:
                model = self._models.get(req.model_id or "")
                if model is None or not can_manage(owner, model.owner_id):
                    raise NotFound("Model not found", field="modelId")
                if not req.version_name:
                    raise ValidationError("A new version needs a name", field="versionName")
                if any(v.name == req.version_name for v in self._versions.for_model(model.id)):
                    raise Conflict("This model already has a version with that name", field="versionName")
                version_name = req.version_name
            session.model_id, session.version_id = model.id, version_id
            plan.versions.append(ModelVersion(version_id, model.id, version_name, AssetStatus.PROCESSING,
                                              display_filename(files[model_index].name), "", now, now,
                                              cover_image_id=cover_id))
            plan.images.append(ImageAsset(cover_id, owner.id, f"{model.title} cover", AssetStatus.PROCESSING, "",
                                          safe_filename(files[cover_index].name), now, now,
                                          visibility=model.visibility, model_id=model.id, purpose="model-cover"))
            return plan
        gallery = None
        if req.kind == "images":
            gallery = self._target_gallery(owner, req, now, plan)
        elif req.kind == "gallery-cover":
            gallery = self._galleries.get(req.gallery_id or "")
            if gallery is None or not can_manage(owner, gallery.owner_id):
                raise NotFound("Gallery not found", field="galleryId")
        session.gallery_id = gallery.id if gallery else None
        for n, (image_id, f) in enumerate(zip(plan.asset_ids, files, strict=True)):
            name = f"{title} #{n + 1}" if title and len(files) > 1 else (title or safe_filename(f.name))
            in_gallery = req.kind == "images"
            # A gallery's cover is as visible as the gallery; avatars are public like profiles.
            visibility = {"gallery-cover": gallery.visibility if gallery else "private", "avatar": "public"}.get(
                req.kind, req.visibility)
            plan.images.append(ImageAsset(image_id, owner.id, name[:180], AssetStatus.PROCESSING, "",
                                          safe_filename(f.name), now, now, visibility=visibility,
                                          tags=req.tags or [], gallery_id=gallery.id if in_gallery else None,
                                          purpose="image" if in_gallery else req.kind))
            if in_gallery:
                plan.entries.append((gallery.id, "image", image_id, now + n / 1000))
        return plan

    def _target_gallery(self, owner: User, req: SessionRequest, now: float, plan: _Plan) -> Gallery:
        if req.gallery_id:
            gallery = self._galleries.get(req.gallery_id)
            # Someone else's gallery is reported as missing: ids are not disclosed.
            if gallery is None or not can_manage(owner, gallery.owner_id):
                raise NotFound("Gallery not found", field="galleryId")
            return gallery
        title = (req.gallery_title or (f"{req.title} Collection" if req.title else "Uploads")).strip()[:160]
        gallery = Gallery(uuid.uuid4().hex, owner.id, title, now, now, visibility=req.visibility)
        plan.galleries.append(gallery)
        plan.created_gallery = True
        return gallery

    @staticmethod
    def part_count(f: UploadFile) -> int:
        return math.ceil(f.size / f.part_size) if f.multipart_id else 1

    def _urls(self, f: UploadFile, part_numbers) -> dict:
        if not f.multipart_id:
            url, headers = self._storage.presign_put(self._bucket, f.key, f.content_type, f.size, self._ttl)
            return {"method": "PUT", "url": url, "headers": headers}
        return {"method": "multipart", "partSize": f.part_size, "partCount": self.part_count(f),
                "parts": [{"partNumber": n, "url": self._storage.presign_part(self._bucket, f.key, f.multipart_id, n, self._ttl)}
                          for n in part_numbers]}

    def _owned_session(self, viewer: User, session_id: str) -> UploadSession:
        session = self._sessions.get(session_id)
        # A generation job's output slots belong to the job, not to the uploads API.
        if session is None or session.kind == "render" or not can_manage(viewer, session.owner_id):
            raise NotFound("Upload session not found")
        return session

    def _open_session(self, viewer: User, session_id: str) -> UploadSession:
        session = self._owned_session(viewer, session_id)
        if session.status != "open":
            raise Conflict(f"The upload session is {session.status}")
        return session

    def part_urls(self, viewer: User, session_id: str, file_index: int, part_numbers: list[int]) -> dict:
        session = self._open_session(viewer, session_id)
        f = self._file(session, file_index)
        if not f.multipart_id:
            return self._urls(f, [])
        count = self.part_count(f)
        bad = [n for n in part_numbers if not 1 <= n <= count]
        if bad or not part_numbers or len(part_numbers) > PART_URLS_PER_CALL:
            raise ValidationError(f"Part numbers must be 1..{count}, at most {PART_URLS_PER_CALL} per call",
                                  field="partNumbers")
        return self._urls(f, sorted(set(part_numbers)))

    @staticmethod
    def _file(session: UploadSession, index: int) -> UploadFile:
        if not 0 <= index < len(session.files):
            raise NotFound("No such file in this session", field="fileIndex")
        return session.files[index]

    def describe(self, viewer: User, session_id: str) -> tuple[UploadSession, list[dict]]:
        """The session with, per file, what has arrived (uploaded parts for multipart files)."""
        session = self._owned_session(viewer, session_id)
        files = []
        for f in session.files:
            arrived = self._storage.head(self._bucket, f.key) is not None
            state = {"index": f.index, "name": f.name, "role": f.role, "size": f.size, "uploaded": arrived,
                     "assetId": f.asset_id, "multipart": bool(f.multipart_id)}
            if f.multipart_id and not arrived and session.status == "open":
                parts = self._storage.list_parts(self._bucket, f.key, f.multipart_id) or []
                state.update(partSize=f.part_size, partCount=self.part_count(f),
                             uploadedParts=[p["number"] for p in parts])
            asset = self._versions.get(f.asset_id) if f.role == "model" else self._images.get(f.asset_id)
            if asset:
                state.update(status=asset.status, error=asset.error)
            files.append(state)
        return session, files

    def complete(self, viewer: User, session_id: str) -> UploadSession:
        session = self._open_session(viewer, session_id)
        problems = []
        for f in session.files:
            if self._storage.head(self._bucket, f.key) is not None:
                continue
            if not f.multipart_id:
                problems.append(f"{f.name}: not uploaded")
                continue
            parts = self._storage.list_parts(self._bucket, f.key, f.multipart_id)
            if parts is None:
                problems.append(f"{f.name}: the multipart upload no longer exists")
                continue
            count = self.part_count(f)
            missing = sorted(set(range(1, count + 1)) - {p["number"] for p in parts})
            wrong = [p["number"] for p in parts if p["number"] < count and p["size"] != f.part_size]
            if missing:
                problems.append(f"{f.name}: missing parts {missing[:20]}")
            elif wrong:
                problems.append(f"{f.name}: parts {wrong[:20]} are not {f.part_size} bytes; upload them again")
            elif sum(p["size"] for p in parts) != f.size:
                problems.append(f"{f.name}: parts add up to {sum(p['size'] for p in parts)} bytes, not {f.size}")
        if problems:
            raise Conflict("Upload incomplete: " + "; ".join(problems))
        # Claim the transition first: a concurrent abort or sweep then finds the session closed.
        if not self._sessions.update(session.id, condition=self._sessions.item_cls.status == "open", status="completed"):
            raise Conflict("The upload session was closed meanwhile")
        for f in session.files:
            if f.multipart_id and self._storage.head(self._bucket, f.key) is None:
                try:
                    self._storage.complete_multipart(self._bucket, f.key, f.multipart_id,
                                                     self._storage.list_parts(self._bucket, f.key, f.multipart_id))
                except StorageError as e:
                    self._sessions.update(session.id, status="open")
                    raise Conflict(f"{f.name}: storage refused to assemble the parts ({e})") from None
        session.status = "completed"
        return session

    def abort(self, viewer: User, session_id: str) -> None:
        self.discard(self._open_session(viewer, session_id), "aborted")

    def discard(self, session: UploadSession, status: str) -> None:
        """Remove everything an unfinished session created: parts, objects, placeholder records.
        Assets that are already ready keep their own copies (ingest adopted them)."""
        if not self._sessions.update(session.id, condition=self._sessions.item_cls.status == "open", status=status):
            raise Conflict("The upload session was closed meanwhile")
        for f in session.files:
            if f.multipart_id:
                self._storage.abort_multipart(self._bucket, f.key, f.multipart_id)
        self._storage.delete_prefix(self._bucket, f"{INCOMING_PREFIX}{session.id}/")
        for f in session.files:
            repo = self._versions if f.role == "model" else self._images
            asset = repo.get(f.asset_id)
            if asset and asset.status != AssetStatus.READY:
                repo.delete(f.asset_id)
                if session.gallery_id and f.role == "image":
                    self._entries.remove_asset(session.gallery_id, f.asset_id)
        if session.kind == "model" and session.model_id:
            model = self._models.get(session.model_id)
            if model and model.status != AssetStatus.READY:
                self._models.delete(model.id)
                if model.gallery_id:
                    self._entries.remove_asset(model.gallery_id, model.id)
        if session.created_gallery and session.gallery_id and not self._entries.entries(session.gallery_id):
            self._galleries.delete(session.gallery_id)
        touched = [("image", f.asset_id) for f in session.files if f.role != "model"]
        if session.model_id:
            touched.append(("model", session.model_id))
        if session.created_gallery and session.gallery_id:
            touched.append(("gallery", session.gallery_id))
        self._reindex(touched)

    def _reindex(self, assets: list[tuple[str, str]]) -> None:
        if self._indexer is not None:
            for kind, asset_id in assets:
                self._indexer.refresh_or_queue(kind, asset_id)

    def sweep_expired(self, limit: int) -> dict:
        """Scheduled: discard sessions left open past their expiry, then orphaned multipart uploads.
        Bounded (``limit`` of each per run; ``more`` says a full batch was found), idempotent (a session
        is claimed by its status transition, aborting a gone upload succeeds), and one failing session
        or upload is counted under ``errors`` without stopping the run (a session that failed after its
        transition leaves objects that cleanup-orphans removes)."""
        now, discarded, stale, failures = self._clock(), [], [], []
        try:
            sessions = self._sessions.expired("open", now, limit)
        except Exception as e:
            sessions = []
            failures.append(f"query sessions: {type(e).__name__}: {e}")
        for session in sessions:
            try:
                self.discard(session, "expired")
            except Conflict:
                continue  # completed or aborted between the query and now
            except Exception as e:
                failures.append(f"session {session.id}: {type(e).__name__}: {e}")
                continue
            discarded.append(session.id)
        try:
            uploads = self._storage.stale_multipart_uploads(self._bucket, INCOMING_PREFIX, now - SESSION_TTL - 3600,
                                                            limit)
        except Exception as e:
            uploads = []
            failures.append(f"list multipart uploads: {type(e).__name__}: {e}")
        for key, upload_id in uploads:
            # Only orphans: a multipart upload of a session that is still open is that session's business
            # (its own expiry discards it above), whatever age the store reports.
            try:
                owner = self._sessions.get(key[len(INCOMING_PREFIX):].split("/", 1)[0])
                if owner is None or owner.status != "open":
                    self._storage.abort_multipart(self._bucket, key, upload_id)
                    stale.append(key)
            except Exception as e:
                failures.append(f"multipart {key}: {type(e).__name__}: {e}")
        report = {"sessions": discarded, "count": len(discarded), "abortedMultipart": len(stale), "limit": limit,
                  "ranAt": now, "more": len(sessions) >= limit or len(uploads) >= limit, "errors": len(failures),
                  "errorSamples": [f[:300] for f in failures[:5]]}
        if self._reports:
            self._reports.record_schedule_run("sweep-uploads", report)
        return report
