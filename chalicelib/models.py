"""Domain records passed between repositories, services and presenters (plain data, no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Role(IntEnum):
    GUEST = 0
    USER = 1
    CURATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown role {value!r}") from None


@dataclass
class User:
    id: str
    email: str
    display_name: str
    role: Role
    password_hash: str
    created_at: float
    updated_at: float
    bio: str = ""
    is_active: bool = True
    show_adult: bool = False
    token_version: int = 0
    last_login_at: float | None = None
    avatar_image_id: str | None = None


@dataclass
class SiteSettings:
    site_title: str = "VisionSuit"
    allow_registration: bool = True
    maintenance_mode: bool = False
    # Links shown on the public status page: [{"label", "url", "kind"?}] (validated http(s), no credentials)
    service_endpoints: list[dict] = field(default_factory=list)


class JobStatus:
    """Monotonic generation-job states; a transition only ever moves to a higher rank.

    ``pending`` jobs wait in the table; an execution is started (``queued``) only when an agent is
    ready for it, so no task token ages in the dispatch queue (docs/generation.md)."""

    PENDING, QUEUED, DISPATCHED, RUNNING = "pending", "queued", "dispatched", "running"
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED = "succeeded", "failed", "timed_out", "cancelled"
    RANK = {PENDING: 0, QUEUED: 1, DISPATCHED: 2, RUNNING: 3, SUCCEEDED: 4, FAILED: 4, TIMED_OUT: 4, CANCELLED: 4}
    FINAL_RANK = 4
    ACTIVE = (PENDING, QUEUED, DISPATCHED, RUNNING)
    TERMINAL = (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED)
    FAILURES = (FAILED, TIMED_OUT)
    ALL = ACTIVE + TERMINAL


@dataclass
class Job:
    id: str
    owner_id: str
    kind: str  # generate | diagnostic
    status: str
    created_at: float
    updated_at: float
    deadline: float
    attempt: int = 0
    agent_id: str | None = None
    progress: int = 0
    task_token: str | None = None
    execution_arn: str | None = None
    result: dict | None = None
    error: str | None = None
    agent_error: str | None = None  # what the agent reported, kept apart from the outcome
    history: list[dict] = field(default_factory=list)
    # Generation requests: the validated request as stored (prompt, models, parameters); see generation_service.
    request: dict | None = None
    renders: list[str] = field(default_factory=list)  # image ids the outputs become (placeholders until ingested)
    stage: str | None = None  # what the agent last said it was doing
    retry_of: str | None = None
    slot_held: bool = False  # the requester's concurrency slot; released exactly once when the job ends


@dataclass
class Agent:
    id: str
    name: str
    secret_hash: str
    created_at: float
    last_seen_at: float | None = None
    enabled: bool = True
    endpoint: str | None = None  # push mode: the platform POSTs assignments to <endpoint>/jobs
    current_job_id: str | None = None  # busy while set
    busy_until: float | None = None  # push mode: answered 409 or was unreachable; skip until then


class AssetStatus:
    """Lifecycle of uploaded assets; only ``ready`` assets appear in lists."""

    PROCESSING, READY, ERROR = "processing", "ready", "error"


@dataclass
class ModelAsset:
    id: str
    owner_id: str
    title: str
    status: str
    created_at: float
    updated_at: float
    description: str = ""
    trigger_words: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    visibility: str = "private"  # public | private
    moderation: str = "active"  # active | flagged | removed
    is_adult: bool = False
    kind: str = "lora"
    base_model: str | None = None
    primary_version_id: str | None = None
    cover_image_id: str | None = None
    gallery_id: str | None = None
    download_count: int = 0
    like_count: int = 0
    metadata_values: dict = field(default_factory=dict)  # metadata field slug -> typed value
    error: str | None = None


@dataclass
class ModelVersion:
    id: str
    model_id: str
    name: str
    status: str
    filename: str
    key: str
    created_at: float
    updated_at: float
    size: int | None = None
    source_etag: str | None = None
    hashes: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)  # summary; the full header is stored as an object
    header_key: str | None = None
    cover_image_id: str | None = None
    download_count: int = 0
    error: str | None = None


@dataclass
class ImageAsset:
    id: str
    owner_id: str
    title: str
    status: str
    key: str
    filename: str
    created_at: float
    updated_at: float
    visibility: str = "private"
    moderation: str = "active"
    is_adult: bool = False
    tags: list[str] = field(default_factory=list)
    description: str = ""
    like_count: int = 0
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    size: int | None = None
    source_etag: str | None = None
    thumbnails: dict = field(default_factory=dict)  # name -> {key, width, height, mime}
    meta: dict = field(default_factory=dict)  # generation metadata
    linked_version_ids: list[str] = field(default_factory=list)
    gallery_id: str | None = None
    model_id: str | None = None  # set when the image is a model's cover
    # image (listed in the images explorer) | model-cover | avatar | gallery-cover: only "image" is searchable
    purpose: str = "image"
    error: str | None = None
    job_id: str | None = None  # the generation job that rendered it


@dataclass
class Gallery:
    id: str
    owner_id: str
    title: str
    created_at: float
    updated_at: float
    description: str = ""
    visibility: str = "private"
    cover_image_id: str | None = None
    parent_id: str | None = None  # collections nest; cycles are rejected on write
    # Models among the entries that are under review: while any is, the gallery is hidden from the community.
    held_by: list[str] = field(default_factory=list)


@dataclass
class UploadFile:
    index: int
    name: str
    role: str  # model | cover | image | avatar | gallery-cover
    key: str
    size: int
    content_type: str
    asset_id: str  # the version or image this file becomes
    multipart_id: str | None = None
    part_size: int | None = None


@dataclass
class UploadSession:
    id: str
    owner_id: str
    kind: str  # model | model-version | images | avatar | gallery-cover | render (a generation job's outputs)
    status: str  # open | completed | aborted | expired
    created_at: float
    expires_at: float
    files: list[UploadFile] = field(default_factory=list)
    model_id: str | None = None
    version_id: str | None = None
    gallery_id: str | None = None
    created_gallery: bool = False  # the session created its target gallery (removed on abort when empty)


@dataclass
class MetadataField:
    """An admin-defined typed attribute of models (text, number, boolean, date, url, enum, multi_enum)."""

    id: str
    name: str
    slug: str
    type: str
    created_at: float
    updated_at: float
    filterable: bool = True
    browsable: bool = False
    config: dict = field(default_factory=dict)  # enumOptions, validationPattern, displayHint
    sort_order: int = 0


@dataclass
class SearchDoc:
    """What the search index files about one asset (built from the record by the search service)."""

    kind: str  # model | image | gallery
    id: str
    audience: str  # s: public safe | x: public adult | h: hidden (private, flagged, removed, not ready)
    owner_id: str
    created_at: float
    name_key: str  # folded title, the "name" sort
    words: str  # " w1 w2 ... ": every searchable word, each also reachable through a W: term
    terms: list[str]  # partitions the asset is filed under (A, K:, B:, G:, F:, O:, W:)
    likes: int = 0
    downloads: int = 0
    type: str | None = None
    base: str | None = None
    tags: list[str] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)  # "slug=value"


NOTIFICATION_CATEGORIES = ("announcements", "moderation", "likes", "comments")


@dataclass
class Notification:
    id: str  # time-ordered: "<created ms, 13 digits><8 hex>", so the id alone locates and orders it
    user_id: str
    category: str  # announcements | moderation | likes | comments
    type: str  # e.g. like, comment, reply, moderation-approved, curator-application, announcement
    title: str
    body: str
    created_at: float
    read: bool = False
    link: dict | None = None  # {"kind": "model"|"image"|"gallery"|"comment"|"application"|..., "id": ...}
    actor_id: str | None = None


@dataclass
class AuditEntry:
    id: str  # time-ordered like notification ids
    actor_id: str
    action: str  # dotted verb, e.g. user.delete, moderation.approve, safety.keywords
    target_kind: str
    target_id: str
    created_at: float
    details: dict = field(default_factory=dict)
