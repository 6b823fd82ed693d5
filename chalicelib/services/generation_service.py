"""Generation requests: what a member may ask the GPU for, what the agent is handed, what comes back.

A request is validated against the generator settings and enforced server-side (access mode,
switch, pause, blocks, limits, and that every model is one the caller may use). It is stored as a
``pending`` job; ``GeneratorService`` admits it to an execution when an agent is ready. The
assignment an agent receives is built here from the stored request: presigned GETs for the model
files and the workflow, presigned PUTs for the outputs, never a key. The outputs are an upload
session of the requester, so ingest turns them into private images like any upload.
"""
from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.models import AssetStatus, ImageAsset, Job, JobStatus, Role, UploadFile, UploadSession, User
from chalicelib.services.asset_service import ImageChanges
from chalicelib.services.gallery_service import GalleryDraft, ItemRef
from chalicelib.services.visibility import FULL, access

WORKFLOW_FILE = Path(__file__).resolve().parents[2] / "functions" / "generator" / "workflows" / "sdxl-lora.json"
WORKFLOW_NAME = "sdxl-lora"
RENDER_PREFIX = "incoming/"
MAX_LORAS = 12
SEED_MAX = 2**32 - 1
PENDING_TTL = 24 * 3600  # a request nobody admitted for a day is timed out by the sweep
MODEL_URL_TTL = 3600
CLEAR_BATCH = 200


@dataclass
class LoraChoice:
    model_id: str
    strength: float = 1.0


@dataclass
class GenerationRequest:
    base_model: str
    prompt: str
    loras: list[LoraChoice] = field(default_factory=list)
    negative_prompt: str = ""
    seed: int | None = None
    cfg_scale: float | None = None
    steps: int | None = None
    width: int | None = None
    height: int | None = None
    sampler: str | None = None
    scheduler: str | None = None
    batch_size: int = 1
    client_request_id: str | None = None  # a retried submit with the same id returns the first job


@dataclass
class ImportRequest:
    mode: str  # existing | new
    gallery_id: str | None = None
    gallery_title: str | None = None
    gallery_description: str = ""
    gallery_visibility: str = "private"
    image_ids: list[str] | None = None  # default: every ready render of the job


@dataclass
class JobView:
    job: Job
    renders: list[tuple[ImageAsset, dict]]  # (image, preview urls)
    is_admin: bool


@dataclass
class QueueView:
    telemetry: object  # generator_service.QueueTelemetry
    usage: dict  # the viewer's {active, today}
    block: object | None  # the viewer's block (reason), if any
    is_admin: bool


@functools.cache
def _shipped_workflow() -> tuple[bytes, str]:
    """The shipped workflow and its SHA-256, read once per process (it only changes with a deployment)."""
    data = WORKFLOW_FILE.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


class GenerationService:
    def __init__(self, jobs, generator, settings, catalog, users, storage, bucket: str, base_bucket: str,
                 gallery_service, asset_service, catalog_service, indexer, audit, *, output_url_ttl: int,
                 job_timeout: int, heartbeat_seconds: int, clock=time.time) -> None:
        self._jobs = jobs
        self._generator = generator  # GeneratorService: executions, cancellation, outcomes
        self._settings = settings  # GeneratorSettingsService: settings, queue switch, blocks, limits
        self._catalog = catalog
        self._users = users
        self._storage = storage
        self._bucket = bucket
        self._base_bucket = base_bucket
        self._galleries = gallery_service
        self._assets = asset_service
        self._previews = catalog_service
        self._indexer = indexer
        self._audit = audit
        self._output_ttl = output_url_ttl
        self._job_timeout = job_timeout
        self._heartbeat = heartbeat_seconds
        self._clock = clock
        self._workflow_key: str | None = None

    # -- requests -----------------------------------------------------------------------------
    def _usable_model(self, viewer: User, model_id: str, field_name: str, kind: str | None):
        model = self._catalog.models.get(model_id)
        # Whatever the reason (missing, private, flagged, removed), the caller learns only "not found".
        if model is None or access(viewer, model) != FULL or model.status != AssetStatus.READY:
            raise NotFound("Model not found", field=field_name)
        if model.is_adult and not viewer.show_adult:
            raise Forbidden("This model is adult content; turn on adult content in your settings to use it",
                            field=field_name)
        if kind and model.kind != kind:
            raise ValidationError(f"This model is a {model.kind}, not a {kind}", field=field_name)
        version = self._catalog.versions.get(model.primary_version_id or "")
        if version is None or version.status != AssetStatus.READY:
            raise Conflict("This model has no ready file", field=field_name)
        return model, version

    def _parameters(self, req: GenerationRequest, s) -> dict:
        width = req.width if req.width is not None else s.sizes.default.width
        height = req.height if req.height is not None else s.sizes.default.height
        for name, value in (("width", width), ("height", height)):
            if value % 8 or not s.sizes.min_side <= value <= s.sizes.max_side:
                raise ValidationError(f"{name} must be a multiple of 8 between {s.sizes.min_side} and "
                                      f"{s.sizes.max_side}", field=name)
        if width * height > s.sizes.max_pixels:
            raise ValidationError(f"width × height may be at most {s.sizes.max_pixels} pixels", field="width")
        sampler = req.sampler or s.default_sampler
        if sampler not in s.samplers:
            raise ValidationError(f"sampler must be one of {', '.join(s.samplers)}", field="sampler")
        scheduler = req.scheduler or s.default_scheduler
        if scheduler not in s.schedulers:
            raise ValidationError(f"scheduler must be one of {', '.join(s.schedulers)}", field="scheduler")
        steps = req.steps if req.steps is not None else s.steps.default
        if not 1 <= steps <= s.steps.max:
            raise ValidationError(f"steps must be between 1 and {s.steps.max}", field="steps")
        cfg = req.cfg_scale if req.cfg_scale is not None else s.cfg.default
        if not s.cfg.min <= cfg <= s.cfg.max:
            raise ValidationError(f"cfgScale must be between {s.cfg.min} and {s.cfg.max}", field="cfgScale")
        if not 1 <= req.batch_size <= s.max_batch:
            raise ValidationError(f"batchSize must be between 1 and {s.max_batch}", field="batchSize")
        seed = req.seed if req.seed is not None else secrets.randbelow(SEED_MAX + 1)
        return {"prompt": req.prompt, "negativePrompt": req.negative_prompt, "seed": seed, "cfgScale": float(cfg),
                "steps": steps, "width": width, "height": height, "sampler": sampler, "scheduler": scheduler,
                "batchSize": req.batch_size}

    def _base_model(self, viewer: User, entry_id: str) -> dict:
        choice = self._settings.resolve_base_model(entry_id)
        if choice.model_id:
            # A catalog checkpoint obeys the same visibility, review and adult rules as a LoRA.
            self._usable_model(viewer, choice.model_id, "baseModel", None)
        return {"id": choice.entry_id, "label": choice.label, "type": choice.type, "filename": choice.filename,
                "bucket": choice.bucket, "key": choice.key, "size": choice.size, "sha256": choice.sha256,
                "modelHash": choice.model_hash, "modelId": choice.model_id, "versionId": choice.version_id}

    def _loras(self, viewer: User, choices: list[LoraChoice]) -> list[dict]:
        if len(choices) > MAX_LORAS:
            raise ValidationError(f"At most {MAX_LORAS} LoRAs", field="loras")
        seen, loras = set(), []
        for n, choice in enumerate(choices):
            if choice.model_id in seen:
                raise ValidationError("Each LoRA may be chosen once", field=f"loras[{n}].modelId")
            seen.add(choice.model_id)
            if not -2 <= choice.strength <= 2:
                raise ValidationError("strength must be between -2 and 2", field=f"loras[{n}].strength")
            model, version = self._usable_model(viewer, choice.model_id, f"loras[{n}].modelId", "lora")
            loras.append({"modelId": model.id, "versionId": version.id, "name": model.title,
                          "filename": version.filename, "key": version.key, "size": version.size,
                          "sha256": (version.hashes or {}).get("sha256"),
                          # A1111 writes the 12-digit AutoV3 prefix in "Lora hashes" (the hash index files it too).
                          "hash": ((version.hashes or {}).get("autov3") or "")[:12].lower() or None,
                          "strength": round(float(choice.strength), 2), "triggerWords": list(model.trigger_words)})
        return loras

    @staticmethod
    def _job_id(viewer: User, req: GenerationRequest) -> str:
        if req.client_request_id is None:
            return uuid.uuid4().hex
        # Derived, so a double submit (a retry after a lost response, a double click) lands on one job.
        return hashlib.sha256(f"{viewer.id}:{req.client_request_id}".encode()).hexdigest()[:32]

    def _replayed(self, viewer: User, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner_id == viewer.id else None

    def create(self, viewer: User, req: GenerationRequest) -> Job:
        job_id = self._job_id(viewer, req)
        if req.client_request_id and (earlier := self._replayed(viewer, job_id)):
            return earlier
        # Access mode, switch, blocks and a declining queue: refused before anything else is looked at.
        settings = self._settings.ensure_can_request(viewer)
        request = {**self._parameters(req, settings), "baseModel": self._base_model(viewer, req.base_model),
                   "loras": self._loras(viewer, req.loras)}
        # Limits last: a request refused for any other reason costs nothing.
        now = self._clock()
        self._settings.reserve(viewer, settings, now)
        job = Job(job_id, viewer.id, "generate", JobStatus.PENDING, now, now, now + PENDING_TTL,
                  request=request, slot_held=True)
        try:
            created = self._jobs.create(job)
        except Exception:
            self._settings.release(viewer.id, refund_at=now)
            raise
        if not created:  # the same client request id won a race a moment ago
            self._settings.release(viewer.id, refund_at=now)
            earlier = self._replayed(viewer, job_id)
            if earlier is None:
                raise Conflict("This clientRequestId is in use", field="clientRequestId")
            return earlier
        return job

    def retry(self, admin: User, job_id: str) -> Job:
        """A failed job asked for again, as a new job of the same requester (outside their limits)."""
        old = self._job(admin, job_id)
        if old.kind != "generate" or old.status not in (*JobStatus.FAILURES, JobStatus.CANCELLED):
            raise Conflict("Only failed, timed-out or cancelled generation jobs can be retried")
        now = self._clock()
        job = Job(uuid.uuid4().hex, old.owner_id, "generate", JobStatus.PENDING, now, now, now + PENDING_TTL,
                  request=old.request, retry_of=old.id)
        self._jobs.create(job)
        self._audit.record(admin, "generator.retry", "job", old.id, {"newJobId": job.id})
        return job

    # -- reading ------------------------------------------------------------------------------
    def _job(self, viewer: User, job_id: str) -> Job:
        return self._generator.get(viewer, job_id)  # the owner's or, for admins, anyone's

    def view(self, viewer: User, job_id: str) -> JobView:
        job = self._job(viewer, job_id)
        images = self._catalog.images.get_many(set(job.renders)) if job.renders else {}
        renders = [(images[i], self._previews.preview_urls(images[i])) for i in job.renders if i in images]
        return JobView(job, renders, viewer.role >= Role.ADMIN)

    def page(self, viewer: User, scope: str, statuses: tuple[str, ...] | None, after: dict | None,
             limit: int) -> tuple[list[Job], dict | None]:
        if scope == "all":
            if viewer.role < Role.ADMIN:
                raise Forbidden("Only administrators see everyone's jobs", field="scope")
            return self._jobs.page_all(after, limit, statuses)
        return self._jobs.page_for_owner(viewer.id, after, limit, statuses)

    def queue_view(self, viewer: User) -> QueueView:
        usage = self._settings.usage(viewer.id, self._clock())
        return QueueView(self._generator.telemetry(), usage, self._settings.block_of(viewer.id),
                         viewer.role >= Role.ADMIN)

    def failures(self, after: dict | None, limit: int) -> tuple[list[Job], dict | None]:
        return self._jobs.failures(after, limit)

    # -- admin queue actions ------------------------------------------------------------------
    def clear_pending(self, admin: User) -> dict:
        """Cancel requests not yet admitted (bounded per call; call again for the rest)."""
        cleared = []
        for job in self._jobs.oldest(JobStatus.PENDING, CLEAR_BATCH):
            if self._generator.finish_cancelled(job, "Cleared by administrator"):
                cleared.append(job.id)
        remaining = self._jobs.count(JobStatus.PENDING)
        self._audit.record(admin, "generator.clear", "queue", "generator", {"cleared": len(cleared)})
        return {"cleared": len(cleared), "remaining": remaining}

    # -- dispatch -----------------------------------------------------------------------------
    def _workflow(self) -> tuple[str, str]:
        """The shipped workflow as a content-addressed object: written once, never changed."""
        data, digest = _shipped_workflow()
        key = f"system/workflows/{WORKFLOW_NAME}-{digest[:16]}.json"
        if self._workflow_key != key:
            if self._storage.head(self._bucket, key) is None:
                self._storage.put(self._bucket, key, data, "application/json")
            self._workflow_key = key
        return key, digest

    def _still_usable(self, job: Job) -> str | None:
        """Why the job may no longer run (a model was flagged, removed or deleted since it was asked for)."""
        owner = self._users.get(job.owner_id)
        if owner is None or not owner.is_active:
            return "The requester's account is no longer active"
        block = self._settings.block_of(owner.id)
        if block is not None:
            return f"The requester was blocked from the generator: {block.reason}"
        ids = [lora["modelId"] for lora in job.request["loras"]]
        if job.request["baseModel"].get("modelId"):
            ids.append(job.request["baseModel"]["modelId"])
        for model_id in ids:
            model = self._catalog.models.get(model_id)
            if model is None or access(owner, model) != FULL or model.status != AssetStatus.READY:
                return f"Model {model_id} is no longer available"
        return None

    def prepare(self, job: Job, attempt: int) -> dict:
        """The generation part of an assignment (see docs/generation.md); raises ValueError when the
        job can no longer run."""
        problem = self._still_usable(job)
        if problem:
            raise ValueError(problem)
        request, now = job.request, self._clock()
        renders = self._render_session(job, now)
        workflow_key, workflow_sha = self._workflow()
        base = request["baseModel"]
        base_bucket = self._bucket if base.get("modelId") else self._base_bucket
        outputs = []
        for f in renders.files:
            url, headers = self._storage.presign_put_unsized(self._bucket, f.key, f.content_type, self._output_ttl)
            outputs.append({"index": f.index, "url": url, "headers": headers})
        return {
            "heartbeatSeconds": self._heartbeat,
            "expiresAt": int(now + min(self._output_ttl, MODEL_URL_TTL)),
            "workflow": {"name": WORKFLOW_NAME, "sha256": workflow_sha,
                         "url": self._storage.presign_get(self._bucket, workflow_key, MODEL_URL_TTL)},
            "baseModel": {"name": base["label"], "type": base["type"], "filename": base["filename"],
                          "size": base.get("size"), "sha256": (base.get("sha256") or "").lower() or None,
                          "modelHash": base.get("modelHash"),
                          "url": self._storage.presign_get(base_bucket, base["key"], MODEL_URL_TTL)},
            "loras": [{"name": lora["name"], "filename": lora["filename"], "size": lora.get("size"),
                       "sha256": (lora.get("sha256") or "").lower() or None, "hash": lora.get("hash"),
                       "strength": lora["strength"],
                       "url": self._storage.presign_get(self._bucket, lora["key"], MODEL_URL_TTL)}
                      for lora in request["loras"]],
            "parameters": {k: request[k] for k in ("prompt", "negativePrompt", "seed", "cfgScale", "steps", "width",
                                                   "height", "sampler", "scheduler", "batchSize")},
            "outputs": outputs,
        }

    def _render_session(self, job: Job, now: float) -> UploadSession:
        """One upload session per job (id = job id), made on its first dispatch: retries of the job
        upload to the same keys, and ingest handles them like any upload of the requester."""
        session = self._catalog.sessions.get(job.id)
        if session is not None:
            return session
        request = job.request
        title = " ".join(request["prompt"].split())[:150] or "Render"
        session = UploadSession(job.id, job.owner_id, "render", "open", now, now + self._job_timeout + 3600)
        images = []
        used = [lora["versionId"] for lora in request["loras"]]
        if request["baseModel"].get("versionId"):
            used.insert(0, request["baseModel"]["versionId"])
        for n in range(request["batchSize"]):
            image_id = uuid.uuid4().hex
            name = f"{n}-render.png"
            session.files.append(UploadFile(n, name, "image", f"{RENDER_PREFIX}{job.id}/{name}", 0, "image/png",
                                            image_id))
            images.append(ImageAsset(image_id, job.owner_id, title if request["batchSize"] == 1 else f"{title} #{n + 1}",
                                     AssetStatus.PROCESSING, "", name, now, now, visibility="private",
                                     job_id=job.id, linked_version_ids=used))
        if not self._catalog.sessions.create(session):
            return self._catalog.sessions.get(job.id)  # a concurrent dispatch made it first
        for image in images:
            self._catalog.images.create(image)
        self._jobs.set_renders(job.id, [i.id for i in images])
        return session

    def verify_outputs(self, job: Job, claimed: list[int]) -> list[int]:
        """Which of the outputs the agent says it uploaded exist at the platform's own keys."""
        session = self._catalog.sessions.get(job.id)
        if session is None:
            return []
        by_index = {f.index: f for f in session.files}
        return [i for i in sorted(set(claimed)) if i in by_index
                and self._storage.head(self._bucket, by_index[i].key) is not None]

    def finished(self, job: Job) -> None:
        """Once per job, after its final transition: free the requester's slot, settle the renders."""
        if self._jobs.take_slot(job.id):
            self._settings.release(job.owner_id)
        session = self._catalog.sessions.get(job.id)
        if session is None or session.status != "open":
            return
        if job.status == JobStatus.SUCCEEDED:
            # Ingest may still be working on uploaded outputs: those stay; slots never uploaded go.
            self._catalog.sessions.update(session.id, condition=self._catalog.sessions.item_cls.status == "open",
                                          status="completed")
            for f in session.files:
                if self._storage.head(self._bucket, f.key) is None:
                    image = self._catalog.images.get(f.asset_id)
                    if image and image.status != AssetStatus.READY:
                        self._catalog.images.delete(image.id)
            return
        self._generator.discard_renders(session)

    # -- import to gallery ----------------------------------------------------------------------
    def import_renders(self, viewer: User, job_id: str, req: ImportRequest):
        """Publish renders into a gallery of their owner: the images take the gallery's visibility."""
        job = self._job(viewer, job_id)
        if viewer.role < Role.CURATOR:
            raise Forbidden("Galleries belong to curators; your renders stay in your images", field="mode")
        wanted = req.image_ids if req.image_ids is not None else job.renders
        unknown = [i for i in wanted if i not in job.renders]
        if unknown:
            raise ValidationError("imageIds must be renders of this job", field="imageIds")
        images = self._catalog.images.get_many(set(wanted))
        ready = [i for i in wanted if i in images and images[i].status == AssetStatus.READY]
        if not ready:
            raise Conflict("This job has no finished renders to import", field="imageIds")
        if req.mode == "new":
            title = (req.gallery_title or "").strip()
            if not title:
                raise ValidationError("A new gallery needs a title", field="galleryTitle")
            detail = self._galleries.create(viewer, GalleryDraft(title[:160], req.gallery_description,
                                                                 req.gallery_visibility))
            gallery = detail.view.gallery
        else:
            gallery = self._galleries.managed(viewer, req.gallery_id or "")
        if gallery.owner_id != job.owner_id:
            raise Forbidden("Renders join galleries of the person who asked for them", field="galleryId")
        for image_id in ready:
            if images[image_id].visibility != gallery.visibility and images[image_id].moderation == "active":
                self._assets.update_image(viewer, image_id, ImageChanges(visibility=gallery.visibility))
        report = self._galleries.add_entries(viewer, gallery.id, [ItemRef("image", i) for i in ready])
        return gallery, report


