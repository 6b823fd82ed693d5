"""Generator settings, the queue switch, per-user blocks and usage limits.

Two settings documents (``settings`` table), written with optimistic concurrency so concurrent admin
edits are never lost: ``generator#settings`` (what may be generated, by whom, within which limits)
and ``generator#queue`` (pause / decline new requests), kept apart so a pause never races an edit.
Blocks and usage counters live in the ``generator`` table (``repositories/generator_state.py``).

The generation service (the lead's request path) reads :class:`GeneratorSettings`, calls
:meth:`GeneratorSettingsService.ensure_can_request`, :meth:`~GeneratorSettingsService.reserve` when it
accepts a request, :meth:`~GeneratorSettingsService.release` exactly once when the job ends, and
:meth:`~GeneratorSettingsService.resolve_base_model` to turn a base-model entry into a file.
Rules the issue left open are in docs/decisions.md "Generator settings, blocks and limits".
"""
from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationError
from chalicelib.models import AssetStatus, Role, User
from chalicelib.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:  # repository modules bind their tables at import; only the type is needed here
    from chalicelib.repositories.generator_state import GeneratorBlock

log = logging.getLogger(__name__)

SETTINGS_KEY = "generator#settings"
QUEUE_KEY = "generator#queue"
WRITE_RETRIES = 8
ACCESS_MODES = ("admins", "members")
MODEL_TYPES = ("SD1.5", "SDXL", "PonyXL", "SD3", "Flux", "Other")
SOURCES = ("catalog", "bucket")
MAX_BASE_MODELS = 32
MAX_LABEL = 120
MAX_KEY = 512
MAX_PRESETS = 16
MAX_NAMES = 64
SIDE_RANGE = (64, 4096)
SIDE_STEP = 8
PIXELS_RANGE = (SIDE_RANGE[0] ** 2, SIDE_RANGE[1] ** 2)
STEPS_LIMIT = 200
CFG_RANGE = (0.0, 40.0)
BATCH_RANGE = (1, 4)
CONCURRENCY_RANGE = (1, 20)
DAILY_RANGE = (1, 10_000)
MAX_REASON = 500
MAX_QUEUE_REASON = 300
CONCURRENCY_RETRY_SECONDS = 30  # a render takes about this long; the client may poll its jobs meanwhile
DAY_COUNTER_TTL_SECONDS = 2 * 86400  # from the start of the counted day: outlives the day, then expires
BASE_MODEL_BUCKET = "base-models"  # logical names, resolved to physical ones by the caller's config
CATALOG_BUCKET = "media"

ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
NAME = re.compile(r"^[a-z0-9_]{1,64}$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_PRESETS = ((1024, 1024), (832, 1216), (1216, 832), (768, 1344), (1344, 768), (512, 512))
DEFAULT_SAMPLERS = ("euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde_gpu", "dpmpp_sde", "ddim", "uni_pc")
DEFAULT_SCHEDULERS = ("normal", "karras", "exponential", "simple", "sgm_uniform")


# -- the settings, as the rest of the platform reads them -------------------------------------------
@dataclass(frozen=True)
class BaseModelEntry:
    id: str
    label: str
    type: str
    source: str  # catalog | bucket
    model_id: str | None = None  # catalog: a checkpoint ModelAsset
    key: str | None = None  # bucket: the object key in the base-model bucket
    sha256: str | None = None  # bucket: the digest the admin entered (lower case), if any
    default: bool = False


@dataclass(frozen=True)
class Size:
    width: int
    height: int


@dataclass(frozen=True)
class SizeRules:
    presets: tuple[Size, ...] = tuple(Size(w, h) for w, h in DEFAULT_PRESETS)
    default: Size = Size(1024, 1024)
    min_side: int = 256
    max_side: int = 2048
    max_pixels: int = 2048 * 2048

    def allows(self, width: int, height: int) -> bool:
        """Whether a requested size is within the bounds (any size, not only a preset)."""
        return all(isinstance(v, int) and not isinstance(v, bool) and v % SIDE_STEP == 0
                   and self.min_side <= v <= self.max_side for v in (width, height)) \
            and width * height <= self.max_pixels


@dataclass(frozen=True)
class StepRules:
    default: int = 28
    max: int = 100


@dataclass(frozen=True)
class CfgRules:
    default: float = 7.0
    min: float = 1.0
    max: float = 30.0


@dataclass(frozen=True)
class UsageLimits:
    max_concurrent_per_user: int = 2
    daily_per_user: int = 50
    admins_exempt: bool = True


@dataclass(frozen=True)
class GeneratorSettings:
    access_mode: str = "members"
    enabled: bool = True
    base_models: tuple[BaseModelEntry, ...] = ()
    sizes: SizeRules = SizeRules()
    samplers: tuple[str, ...] = DEFAULT_SAMPLERS
    default_sampler: str = "dpmpp_2m_sde_gpu"
    schedulers: tuple[str, ...] = DEFAULT_SCHEDULERS
    default_scheduler: str = "karras"
    steps: StepRules = StepRules()
    cfg: CfgRules = CfgRules()
    max_batch: int = 1
    limits: UsageLimits = UsageLimits()
    version: str | None = field(default=None, compare=False)  # of the stored document; None: never edited

    def base_model(self, entry_id: str) -> BaseModelEntry | None:
        return next((m for m in self.base_models if m.id == entry_id), None)

    def default_base_model(self) -> BaseModelEntry | None:
        return next((m for m in self.base_models if m.default), None)

    def limits_apply_to(self, user: User) -> bool:
        return not (self.limits.admins_exempt and user.role >= Role.ADMIN)


@dataclass(frozen=True)
class QueueSwitch:
    paused: bool = False
    decline_new: bool = False
    reason: str | None = None
    changed_at: float | None = None
    changed_by: str | None = None


@dataclass(frozen=True)
class BaseModelChoice:
    """A base model resolved to a file the dispatcher can presign. ``bucket`` is a logical name."""

    entry_id: str
    label: str
    type: str
    source: str
    filename: str
    bucket: str
    key: str
    size: int | None
    sha256: str | None  # lower-case hex
    model_hash: str | None  # AutoV2 (10 hex, lower case) as A1111 writes "Model hash"
    model_id: str | None = None
    version_id: str | None = None
    is_adult: bool = False


@dataclass(frozen=True)
class GeneratorOverview:
    """What one viewer may know about the generator (the presenter trims it for non-admins)."""

    settings: GeneratorSettings
    queue: QueueSwitch
    block: GeneratorBlock | None
    usage: dict[str, int]
    can_generate: bool
    limits_apply: bool


# -- validation of the settings document ------------------------------------------------------------
# The stored document uses snake_case keys; error fields name the wire (camelCase) path.
TOP_KEYS = ("access_mode", "enabled", "base_models", "sizes", "samplers", "default_sampler", "schedulers",
            "default_scheduler", "steps", "cfg", "max_batch", "limits")
OBJECT_SECTIONS = {"sizes": ("presets", "default", "min_side", "max_side", "max_pixels"),
                   "steps": ("default", "max"), "cfg": ("default", "min", "max"),
                   "limits": ("max_concurrent_per_user", "daily_per_user", "admins_exempt")}
ENTRY_KEYS = ("id", "label", "type", "source", "model_id", "key", "sha256", "default")
# Keys that are validated together (a sampler list and its default), for the lenient read of a stored document.
SECTIONS = (("access_mode",), ("enabled",), ("base_models",), ("sizes",), ("samplers", "default_sampler"),
            ("schedulers", "default_scheduler"), ("steps",), ("cfg",), ("max_batch",), ("limits",))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class _Problems:
    """Collects every problem, so a form can mark all bad fields at once."""

    def __init__(self) -> None:
        self.details: list[dict] = []

    def add(self, where: str, message: str) -> None:
        self.details.append({"code": ValidationError.code, "field": where, "message": message})

    def raise_any(self) -> None:
        if self.details:
            first = self.details[0]
            raise ValidationError(first["message"], field=first["field"], details=self.details)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any, where: str, low: int, high: int, p: _Problems, step: int = 1) -> int | None:
    if not _is_int(value) or not low <= value <= high or value % step:
        multiple = f" and a multiple of {step}" if step > 1 else ""
        p.add(where, f"must be a whole number from {low} to {high}{multiple}")
        return None
    return value


def _number(value: Any, where: str, low: float, high: float, p: _Problems) -> float | None:
    numeric = _is_int(value) or (isinstance(value, float) and math.isfinite(value))
    if not numeric or not low <= value <= high:
        p.add(where, f"must be a number from {low:g} to {high:g}")
        return None
    return float(value)


def _bool(value: Any, where: str, p: _Problems) -> bool | None:
    if not isinstance(value, bool):
        p.add(where, "must be true or false")
        return None
    return value


def _object(value: Any, where: str, keys: tuple[str, ...], p: _Problems) -> dict | None:
    if not isinstance(value, dict):
        p.add(where, "must be an object")
        return None
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        p.add(f"{where}.{camel(unknown[0])}" if where else camel(unknown[0]), "is not a known setting")
        return None
    return value


def clean_text(value: Any, where: str, limit: int, p: _Problems) -> str | None:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not 1 <= len(text) <= limit or not text.isprintable():
        p.add(where, f"must have 1 to {limit} printable characters")
        return None
    return text


def clean_object_key(value: Any, where: str, p: _Problems) -> str | None:
    """A relative key inside the base-model bucket: it can never name anything outside it."""
    problem = None
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_KEY:
        problem = f"must have 1 to {MAX_KEY} characters"
    elif not value.isprintable() or value != value.strip():
        problem = "must be printable, without leading or trailing spaces"
    elif value.startswith("/") or "\\" in value or ".." in value:
        problem = "must be a relative key without a leading /, backslashes or .."
    elif any(part in ("", ".") for part in value.split("/")):
        problem = "must not contain empty or '.' path segments"
    elif not value.lower().endswith(".safetensors") or value.rsplit("/", 1)[-1].lower() == ".safetensors":
        problem = "must name a .safetensors file"
    if problem:
        p.add(where, problem)
        return None
    return value


def _base_models(value: Any, p: _Problems) -> tuple[BaseModelEntry, ...] | None:
    if not isinstance(value, list) or len(value) > MAX_BASE_MODELS:
        p.add("baseModels", f"must be a list of at most {MAX_BASE_MODELS} entries")
        return None
    entries, seen, defaults, ok = [], set(), 0, True
    for n, raw in enumerate(value):
        where = f"baseModels.{n}"
        raw = _object(raw, where, ENTRY_KEYS, p)
        if raw is None:
            ok = False
            continue
        before = len(p.details)
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not ENTRY_ID.fullmatch(entry_id):
            p.add(f"{where}.id", "must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit")
        elif entry_id in seen:
            p.add(f"{where}.id", "is used by another entry")
        else:
            seen.add(entry_id)
        label = clean_text(raw.get("label"), f"{where}.label", MAX_LABEL, p)
        if raw.get("type") not in MODEL_TYPES:
            p.add(f"{where}.type", "must be one of " + ", ".join(MODEL_TYPES))
        is_default = _bool(raw.get("default", False), f"{where}.default", p)
        defaults += bool(is_default)
        if defaults > 1 and is_default:
            p.add(f"{where}.default", "only one base model can be the default")
        source, model_id, key, sha256 = raw.get("source"), raw.get("model_id"), raw.get("key"), raw.get("sha256")
        if source == "catalog":
            if not isinstance(model_id, str) or not RECORD_ID.fullmatch(model_id):
                p.add(f"{where}.modelId", "is required for a catalog entry and must be a model id")
            for extra in ("key", "sha256"):
                if raw.get(extra) is not None:
                    p.add(f"{where}.{extra}", "applies to bucket entries only")
        elif source == "bucket":
            key = clean_object_key(key, f"{where}.key", p)
            if model_id is not None:
                p.add(f"{where}.modelId", "applies to catalog entries only")
            if sha256 is not None:
                if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
                    p.add(f"{where}.sha256", "must be 64 hexadecimal characters")
                else:
                    sha256 = sha256.lower()
        else:
            p.add(f"{where}.source", "must be catalog or bucket")
        if len(p.details) == before:
            entries.append(BaseModelEntry(entry_id, label, raw["type"], source, model_id if source == "catalog" else None,
                                          key if source == "bucket" else None,
                                          sha256 if source == "bucket" else None, bool(is_default)))
        else:
            ok = False
    return tuple(entries) if ok else None


def _size(value: Any, where: str, p: _Problems) -> Size | None:
    raw = _object(value, where, ("width", "height"), p)
    if raw is None:
        return None
    width = _int(raw.get("width"), f"{where}.width", *SIDE_RANGE, p, step=SIDE_STEP)
    height = _int(raw.get("height"), f"{where}.height", *SIDE_RANGE, p, step=SIDE_STEP)
    return Size(width, height) if width is not None and height is not None else None


def _sizes(value: Any, p: _Problems) -> SizeRules | None:
    raw = _object(value, "sizes", OBJECT_SECTIONS["sizes"], p)
    if raw is None:
        return None
    before = len(p.details)
    min_side = _int(raw.get("min_side"), "sizes.minSide", *SIDE_RANGE, p, step=SIDE_STEP)
    max_side = _int(raw.get("max_side"), "sizes.maxSide", *SIDE_RANGE, p, step=SIDE_STEP)
    max_pixels = _int(raw.get("max_pixels"), "sizes.maxPixels", *PIXELS_RANGE, p)
    if min_side is not None and max_side is not None and min_side > max_side:
        p.add("sizes.minSide", "must not exceed maxSide")
    presets_raw = raw.get("presets")
    presets: list[Size] = []
    if not isinstance(presets_raw, list) or len(presets_raw) > MAX_PRESETS:
        p.add("sizes.presets", f"must be a list of at most {MAX_PRESETS} sizes")
        presets_raw = []
    for n, item in enumerate(presets_raw):
        size = _size(item, f"sizes.presets.{n}", p)
        if size is not None and size in presets:
            p.add(f"sizes.presets.{n}", "is listed twice")
        elif size is not None:
            presets.append(size)
    default = _size(raw.get("default"), "sizes.default", p)
    if len(p.details) > before:
        return None
    rules = SizeRules(tuple(presets), default, min_side, max_side, max_pixels)
    for where, size in [(f"sizes.presets.{n}", s) for n, s in enumerate(presets)] + [("sizes.default", default)]:
        if not rules.allows(size.width, size.height):
            p.add(where, f"{size.width}x{size.height} is outside minSide/maxSide/maxPixels")
    return rules if len(p.details) == before else None


def _names(values: Any, default: Any, where: str, default_where: str, p: _Problems) -> tuple[tuple[str, ...], str] | None:
    before = len(p.details)
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_NAMES:
        p.add(where, f"must be a list of 1 to {MAX_NAMES} names")
        return None
    for n, name in enumerate(values):
        if not isinstance(name, str) or not NAME.fullmatch(name):
            p.add(f"{where}.{n}", "must be 1 to 64 lower-case letters, digits or underscores")
        elif name in values[:n]:
            p.add(f"{where}.{n}", "is listed twice")
    if len(p.details) > before:
        return None
    if default not in values:
        p.add(default_where, f"must be one of {where}")
        return None
    return tuple(values), default


def _steps(value: Any, p: _Problems) -> StepRules | None:
    raw = _object(value, "steps", OBJECT_SECTIONS["steps"], p)
    if raw is None:
        return None
    maximum = _int(raw.get("max"), "steps.max", 1, STEPS_LIMIT, p)
    default = _int(raw.get("default"), "steps.default", 1, maximum or STEPS_LIMIT, p)
    return StepRules(default, maximum) if default is not None and maximum is not None else None


def _cfg(value: Any, p: _Problems) -> CfgRules | None:
    raw = _object(value, "cfg", OBJECT_SECTIONS["cfg"], p)
    if raw is None:
        return None
    low = _number(raw.get("min"), "cfg.min", *CFG_RANGE, p)
    high = _number(raw.get("max"), "cfg.max", *CFG_RANGE, p)
    if low is None or high is None:
        return None
    if low > high:
        p.add("cfg.min", "must not exceed cfg.max")
        return None
    default = _number(raw.get("default"), "cfg.default", low, high, p)
    return CfgRules(default, low, high) if default is not None else None


def _limits(value: Any, p: _Problems) -> UsageLimits | None:
    raw = _object(value, "limits", OBJECT_SECTIONS["limits"], p)
    if raw is None:
        return None
    concurrent = _int(raw.get("max_concurrent_per_user"), "limits.maxConcurrentPerUser", *CONCURRENCY_RANGE, p)
    daily = _int(raw.get("daily_per_user"), "limits.dailyPerUser", *DAILY_RANGE, p)
    exempt = _bool(raw.get("admins_exempt"), "limits.adminsExempt", p)
    return UsageLimits(concurrent, daily, exempt) if None not in (concurrent, daily, exempt) else None


def validate_document(doc: Any) -> GeneratorSettings:
    """The settings a complete document describes; ValidationError listing every problem otherwise."""
    p = _Problems()
    doc = _object(doc, "", TOP_KEYS, p)
    if doc is None:
        p.raise_any()
    missing = [k for k in TOP_KEYS if k not in doc]
    for key in missing:
        p.add(camel(key), "is required")
    p.raise_any()
    if doc["access_mode"] not in ACCESS_MODES:
        p.add("accessMode", "must be admins or members")
    enabled = _bool(doc["enabled"], "enabled", p)
    base_models = _base_models(doc["base_models"], p)
    sizes = _sizes(doc["sizes"], p)
    samplers = _names(doc["samplers"], doc["default_sampler"], "samplers", "defaultSampler", p)
    schedulers = _names(doc["schedulers"], doc["default_scheduler"], "schedulers", "defaultScheduler", p)
    steps = _steps(doc["steps"], p)
    cfg = _cfg(doc["cfg"], p)
    max_batch = _int(doc["max_batch"], "maxBatch", *BATCH_RANGE, p)
    limits = _limits(doc["limits"], p)
    p.raise_any()
    return GeneratorSettings(doc["access_mode"], enabled, base_models, sizes, samplers[0], samplers[1], schedulers[0],
                             schedulers[1], steps, cfg, max_batch, limits)


def to_document(s: GeneratorSettings) -> dict:
    def entry(m: BaseModelEntry) -> dict:
        out = {"id": m.id, "label": m.label, "type": m.type, "source": m.source, "default": m.default}
        out.update({k: v for k, v in (("model_id", m.model_id), ("key", m.key), ("sha256", m.sha256)) if v is not None})
        return out

    def size(z: Size) -> dict:
        return {"width": z.width, "height": z.height}

    return {
        "access_mode": s.access_mode, "enabled": s.enabled, "base_models": [entry(m) for m in s.base_models],
        "sizes": {"presets": [size(z) for z in s.sizes.presets], "default": size(s.sizes.default),
                  "min_side": s.sizes.min_side, "max_side": s.sizes.max_side, "max_pixels": s.sizes.max_pixels},
        "samplers": list(s.samplers), "default_sampler": s.default_sampler,
        "schedulers": list(s.schedulers), "default_scheduler": s.default_scheduler,
        "steps": {"default": s.steps.default, "max": s.steps.max},
        "cfg": {"default": s.cfg.default, "min": s.cfg.min, "max": s.cfg.max},
        "max_batch": s.max_batch,
        "limits": {"max_concurrent_per_user": s.limits.max_concurrent_per_user,
                   "daily_per_user": s.limits.daily_per_user, "admins_exempt": s.limits.admins_exempt},
    }


def merge_changes(current: dict, changes: dict) -> dict:
    """A partial update: only the given keys change; inside sizes, steps, cfg and limits only the given
    sub-keys (lists are replaced as a whole)."""
    if not isinstance(changes, dict):
        raise ValidationError("Settings must be an object", field="body")
    p = _Problems()
    unknown = sorted(str(k) for k in changes if k not in TOP_KEYS)
    for key in unknown:
        p.add(camel(key), "is not a known setting")
    p.raise_any()
    merged = dict(current)
    for key, value in changes.items():
        if key in OBJECT_SECTIONS and isinstance(value, dict) and isinstance(current.get(key), dict):
            merged[key] = {**current[key], **value}
        else:
            merged[key] = value
    return merged


def load_document(stored: Any) -> GeneratorSettings:
    """The settings in a stored document. A section that no longer validates (a document written by an
    older release, or damaged by hand) falls back to its defaults instead of breaking every request."""
    defaults = to_document(GeneratorSettings())
    if not isinstance(stored, dict):
        return GeneratorSettings()
    doc = dict(defaults)
    for keys in SECTIONS:
        if not all(k in stored for k in keys):
            continue
        candidate = {**defaults, **{k: stored[k] for k in keys}}
        try:
            validate_document(candidate)
        except ValidationError as e:
            log.warning("stored generator setting %s is invalid (%s); using its default", keys[0], e.message)
            continue
        doc.update({k: stored[k] for k in keys})
    try:
        return validate_document(doc)
    except ValidationError:  # sections are independent, so this is not expected; still never fail a read
        log.warning("stored generator settings are inconsistent; using the defaults")
        return GeneratorSettings()


def _load_queue(stored: Any) -> QueueSwitch:
    if not isinstance(stored, dict):
        return QueueSwitch()
    reason = stored.get("reason")
    at = stored.get("changed_at")
    return QueueSwitch(stored.get("paused") is True, stored.get("decline_new") is True,
                       reason if isinstance(reason, str) else None,
                       float(at) if _is_int(at) or isinstance(at, float) else None,
                       stored.get("changed_by") if isinstance(stored.get("changed_by"), str) else None)


def version_token(version: float | None) -> str | None:
    """The stored document's version as clients echo it back (a string: exact through JSON and JavaScript)."""
    return None if version is None else repr(float(version))


def utc_day(now: float) -> tuple[str, float]:
    """The UTC date of ``now`` and the time that day started."""
    day = datetime.fromtimestamp(now, tz=UTC).date()
    return day.isoformat(), datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _changed_keys(before: GeneratorSettings, after: GeneratorSettings) -> list[str]:
    old, new = to_document(before), to_document(after)
    return [camel(k) for k in TOP_KEYS if old[k] != new[k]]


# -- the service ----------------------------------------------------------------------------------------
class GeneratorSettingsService:
    def __init__(self, config, state, users, models, versions, storage, bucket: Callable[[str], str],
                 notifications: Callable, audit: Callable, cache_seconds: float = 0.0,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._config = config  # SettingsRepository: get_versioned / put_versioned
        self._state = state  # GeneratorStateRepository: blocks and usage counters
        self._users = users
        self._models = models
        self._versions = versions
        self._storage = storage
        self._bucket = bucket  # logical bucket name -> physical name
        self._notifications = notifications
        self._audit = audit
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Any]] = {}

    # -- reading the documents ------------------------------------------------------------------------
    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        # Every generation request reads both documents; a few seconds of staleness across Lambda
        # containers is the price of not paying two GetItems per request (0 in the test stacks).
        hit = self._cache.get(key)
        if hit and self._monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        value = load()
        self._cache[key] = (self._monotonic(), value)
        return value

    def _stored_settings(self) -> tuple[GeneratorSettings, float | None]:
        data, version = self._config.get_versioned(SETTINGS_KEY)
        settings = load_document(data) if data else GeneratorSettings()
        return _with_version(settings, version), version

    def settings(self) -> GeneratorSettings:
        return self._cached(SETTINGS_KEY, lambda: self._stored_settings()[0])

    def queue(self) -> QueueSwitch:
        return self._cached(QUEUE_KEY, lambda: _load_queue(self._config.get_versioned(QUEUE_KEY)[0]))

    # -- access -------------------------------------------------------------------------------------
    @staticmethod
    def _refusal(user: User, settings: GeneratorSettings, block: GeneratorBlock | None) -> Exception | None:
        if not settings.enabled:
            return Conflict("The generator is switched off; try again later")
        if settings.access_mode == "admins" and user.role < Role.ADMIN:
            return Forbidden("The generator is open to administrators only")
        if block is not None:
            return Forbidden(f"Generation access suspended: {block.reason}")
        return None

    def view(self, viewer: User) -> GeneratorOverview:
        settings, block = self.settings(), self._state.block_of(viewer.id)
        return GeneratorOverview(settings, self.queue(), block, self.usage(viewer.id, self._clock()),
                                 self._refusal(viewer, settings, block) is None, settings.limits_apply_to(viewer))

    def ensure_can_request(self, user: User | None) -> GeneratorSettings:
        """The settings, when ``user`` may submit a generation request now. Raises Unauthorized for
        guests, Conflict (409) when the generator is off or the queue declines new requests,
        Forbidden (403) when the access mode excludes the user or they are blocked."""
        if user is None:
            raise Unauthorized("Sign in required")
        settings = self.settings()
        refusal = self._refusal(user, settings, self._state.block_of(user.id))
        if refusal is not None:
            raise refusal
        queue = self.queue()
        if queue.decline_new:
            raise Conflict("The generation queue is paused and not taking new requests"
                           + (f": {queue.reason}" if queue.reason else ""))
        return settings

    # -- editing the settings -------------------------------------------------------------------------
    def update_settings(self, actor: User, changes: dict, expected_version: str | None = None) -> GeneratorOverview:
        """Apply a partial change (validated as a whole, catalog entries checked) with optimistic
        concurrency: a concurrent edit of other keys is merged, never lost. With ``expected_version``
        (from a previous read) the change is refused with 409 if anyone wrote since."""
        for _ in range(WRITE_RETRIES):
            current, version = self._stored_settings()
            if expected_version is not None and expected_version != version_token(version):
                raise Conflict("The generator settings were changed meanwhile; reload them and try again",
                               field="version")
            updated = validate_document(merge_changes(to_document(current), changes))
            self._check_catalog_entries(updated, current)
            if updated == current:
                self._cache.pop(SETTINGS_KEY, None)
                return self.view(actor)
            if self._config.put_versioned(SETTINGS_KEY, to_document(updated), version):
                break
        else:
            raise Conflict("The generator settings are being changed concurrently; try again")
        self._cache.pop(SETTINGS_KEY, None)
        details: dict[str, Any] = {"changed": _changed_keys(current, updated)}
        for key in ("access_mode", "enabled"):
            if getattr(current, key) != getattr(updated, key):
                details[camel(key)] = getattr(updated, key)
        if current.limits != updated.limits:
            details["limits"] = {camel(k): v for k, v in to_document(updated)["limits"].items()}
        self._audit().record(actor, "generator.settings", "generator", "settings", details)
        return self.view(actor)

    def _check_catalog_entries(self, updated: GeneratorSettings, current: GeneratorSettings) -> None:
        """New catalog entries must name an existing checkpoint. Entries already stored are not re-checked
        (a model removed later must not block unrelated edits); :meth:`resolve_base_model` refuses them."""
        known = {m.model_id for m in current.base_models if m.source == "catalog"}
        fresh = [(n, m) for n, m in enumerate(updated.base_models) if m.source == "catalog" and m.model_id not in known]
        if not fresh:
            return
        found = self._models.get_many([m.model_id for _, m in fresh])
        p = _Problems()
        for n, entry in fresh:
            model = found.get(entry.model_id)
            if model is None:
                p.add(f"baseModels.{n}.modelId", "No such model")
            elif model.kind != "checkpoint":
                p.add(f"baseModels.{n}.modelId", "is not a checkpoint model")
        p.raise_any()

    # -- the queue switch -----------------------------------------------------------------------------
    def pause(self, actor: User, decline_new: bool = True, reason: str | None = None) -> QueueSwitch:
        """Stop admitting queued jobs to agents; with ``decline_new`` also refuse new requests."""
        if not isinstance(decline_new, bool):
            raise ValidationError("declineNew must be true or false", field="declineNew")
        if isinstance(reason, str) and not reason.strip():
            reason = None
        if reason is not None:
            p = _Problems()
            reason = clean_text(reason, "reason", MAX_QUEUE_REASON, p)
            p.raise_any()
        return self._switch(actor, QueueSwitch(True, decline_new, reason), "generator.pause")

    def resume(self, actor: User) -> QueueSwitch:
        return self._switch(actor, QueueSwitch(False, False, None), "generator.resume")

    def _switch(self, actor: User, wanted: QueueSwitch, action: str) -> QueueSwitch:
        for _ in range(WRITE_RETRIES):
            data, version = self._config.get_versioned(QUEUE_KEY)
            current = _load_queue(data)
            if (current.paused, current.decline_new, current.reason) == (wanted.paused, wanted.decline_new, wanted.reason):
                self._cache[QUEUE_KEY] = (self._monotonic(), current)
                return current  # a repeated request changes nothing and is not audited again
            switched = QueueSwitch(wanted.paused, wanted.decline_new, wanted.reason, self._clock(), actor.id)
            doc = {"paused": switched.paused, "decline_new": switched.decline_new, "reason": switched.reason,
                   "changed_at": switched.changed_at, "changed_by": switched.changed_by}
            if self._config.put_versioned(QUEUE_KEY, doc, version):
                break
        else:
            raise Conflict("The generation queue is being switched concurrently; try again")
        self._cache[QUEUE_KEY] = (self._monotonic(), switched)
        self._audit().record(actor, action, "generator", "queue",
                             {"declineNew": switched.decline_new, "reason": switched.reason})
        return switched

    # -- blocks ---------------------------------------------------------------------------------------
    def block_of(self, user_id: str) -> GeneratorBlock | None:
        return self._state.block_of(user_id)

    def blocks(self, cursor: str | None, page_size: int) -> tuple[list[GeneratorBlock], str | None, dict[str, User]]:
        """A page of blocks ordered by user id, the cursor to the next page, and the blocked users."""
        query = {"list": "generator-blocks"}
        key = decode_cursor(cursor, query)
        after = key.get("u") if key is not None else None
        if key is not None and (not isinstance(after, str) or not RECORD_ID.fullmatch(after)):
            raise ValidationError("Malformed cursor", field="cursor")
        blocks, last = self._state.blocks_page(after, page_size)
        users = self._users.get_many([b.user_id for b in blocks])
        return blocks, encode_cursor({"u": last} if last else None, query), users

    def block(self, actor: User, user_id: str, reason: Any) -> tuple[GeneratorBlock, dict[str, User]]:
        """Block (or change the reason of a block of) a user; idempotent for the same reason."""
        p = _Problems()
        reason = clean_text(reason, "reason", MAX_REASON, p)
        p.raise_any()
        if user_id == actor.id:
            raise ValidationError("Administrators cannot block themselves", field="userId")
        user = self._users.get(user_id)
        if user is None:
            raise NotFound("No such user", field="userId")
        for _ in range(WRITE_RETRIES):
            existing, now = self._state.block_of(user_id), self._clock()
            if existing is not None and existing.reason == reason:
                return existing, {user.id: user}
            if existing is None:
                written = self._state.create_block(user_id, reason, now, actor.id)
            else:
                written = self._state.change_block_reason(user_id, existing.reason, reason, now, actor.id)
            if written:
                break
        else:
            raise Conflict("This block is being changed concurrently; try again")
        self._audit().record(actor, "generator.block", "user", user_id,
                             {"reason": reason, "previousReason": existing.reason if existing else None})
        self._tell(user_id, "generator.blocked", "Your access to the generator was suspended", reason, actor)
        block = self._state.block_of(user_id)
        if block is None:
            raise Conflict("The block was removed meanwhile", field="userId")
        return block, {user.id: user}

    def unblock(self, actor: User, user_id: str) -> None:
        existing = self._state.block_of(user_id)
        if existing is None or not self._state.delete_block(user_id):
            raise NotFound("This user is not blocked", field="userId")
        self._audit().record(actor, "generator.unblock", "user", user_id, {"previousReason": existing.reason})
        self._tell(user_id, "generator.unblocked", "Your access to the generator was restored", "", actor)

    def _tell(self, user_id: str, kind: str, title: str, body: str, actor: User) -> None:
        try:
            self._notifications().notify(user_id, "moderation", kind, title, body, link={"kind": "generator"},
                                         actor_id=actor.id)
        except Exception:  # the block is in force either way; a lost notice must not fail the admin's request
            log.exception("could not notify %s of %s", user_id, kind)

    # -- usage limits ---------------------------------------------------------------------------------
    def reserve(self, user: User, settings: GeneratorSettings, now: float) -> None:
        """Count a newly accepted request: one more active job and one more request today. Raises
        RateLimited (429, Retry-After) when either limit is reached; concurrent calls never pass a limit.
        Exempt administrators are counted (their usage shows) but never refused."""
        day, day_start = utc_day(now)
        limited = settings.limits_apply_to(user)
        limits = settings.limits
        refused = self._state.reserve(user.id, day, day_start + DAY_COUNTER_TTL_SECONDS,
                                      limits.max_concurrent_per_user if limited else None,
                                      limits.daily_per_user if limited else None)
        if refused == "daily":
            raise RateLimited(f"You reached your daily limit of {limits.daily_per_user} generation requests; "
                              "it resets at 00:00 UTC", retry_after=math.ceil(day_start + 86400 - now))
        if refused == "active":
            raise RateLimited(f"At most {limits.max_concurrent_per_user} of your generation jobs may be queued or "
                              "running at once; wait for one to finish", retry_after=CONCURRENCY_RETRY_SECONDS)

    def release(self, user_id: str, refund_at: float | None = None) -> bool:
        """Free the concurrency slot of a job that ended (never below zero). With ``refund_at`` (the
        time of the reservation) the request also stops counting for that day: for a request refused
        after its reservation, not for a job that ran."""
        released = self._state.release(user_id)
        if refund_at is not None:
            self._state.refund_day(user_id, utc_day(refund_at)[0])
        return released

    def usage(self, user_id: str, now: float) -> dict[str, int]:
        active, today = self._state.usage(user_id, utc_day(now)[0])
        return {"active": active, "today": today}

    # -- base models ----------------------------------------------------------------------------------
    def resolve_base_model(self, entry_id: str) -> BaseModelChoice:
        """The file behind a configured base-model entry. NotFound (field ``baseModel``) for an unknown
        entry, a catalog model that is not a ready, active checkpoint with a ready primary version, or
        a bucket object that does not exist."""
        entry = self.settings().base_model(entry_id) if isinstance(entry_id, str) else None
        if entry is None:
            raise NotFound("No such base model", field="baseModel")
        if entry.source == "catalog":
            return self._resolve_catalog(entry)
        info = self._storage.head(self._bucket(BASE_MODEL_BUCKET), entry.key)
        if info is None:
            raise NotFound(f"The file of base model {entry.label} is missing", field="baseModel")
        return BaseModelChoice(entry.id, entry.label, entry.type, entry.source, entry.key.rsplit("/", 1)[-1],
                               BASE_MODEL_BUCKET, entry.key, info.size, entry.sha256,
                               entry.sha256[:10] if entry.sha256 else None)

    def _resolve_catalog(self, entry: BaseModelEntry) -> BaseModelChoice:
        unusable = NotFound(f"Base model {entry.label} is not available", field="baseModel")
        model = self._models.get(entry.model_id)
        if model is None or model.status != AssetStatus.READY or model.moderation != "active" \
                or model.kind != "checkpoint" or not model.primary_version_id:
            raise unusable
        version = self._versions.get(model.primary_version_id)
        if version is None or version.model_id != model.id or version.status != AssetStatus.READY or not version.key:
            raise unusable
        hashes = {str(k).lower(): v for k, v in (version.hashes or {}).items() if isinstance(v, str)}
        sha256 = hashes.get("sha256", "").lower() or None
        model_hash = (hashes.get("autov2") or (sha256 or "")[:10]).lower() or None
        return BaseModelChoice(entry.id, entry.label, entry.type, entry.source, version.filename, CATALOG_BUCKET,
                               version.key, version.size, sha256, model_hash, model.id, version.id, model.is_adult)


def _with_version(settings: GeneratorSettings, version: float | None) -> GeneratorSettings:
    return replace(settings, version=version_token(version))
