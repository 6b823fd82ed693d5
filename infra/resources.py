"""The one description of VisionSuit's cloud resources.

Both the local bootstrap (``infra.bootstrap``) and the deployable CloudFormation template
(``infra.template``) are generated from the objects below, so a bucket, queue, table, state
machine or schedule exists in exactly one place. Logical names are short (``media``,
``ingest``); physical names are ``<prefix>-<logical>``.

The application never imports this module: it learns physical names from environment variables
named by ``chalicelib.config.resource_env``, which the bootstrap exports locally and the template
sets on every function.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.config import resource_env

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int = 60
    max_receive_count: int = 5  # attempts before a message is moved to the DLQ
    retention_seconds: int = 4 * 24 * 3600
    consumer: str | None = None  # "module:function" invoked with SQS events; None = pulled by the API
    batch_size: int = 10
    # An alarm fires when the oldest message waited longer than this (a stalled consumer).
    age_alarm_seconds: int = 3600

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class Notification:
    """ObjectCreated events under ``prefix`` are delivered to ``queue`` (S3 -> SQS)."""

    queue: str
    prefix: str = ""


@dataclass(frozen=True)
class Bucket:
    name: str
    notifications: tuple[Notification, ...] = ()
    browser_uploads: bool = False  # needs CORS for presigned PUTs from the SPA
    # prefix -> days after which objects expire and unfinished multipart uploads are aborted
    expire_after_days: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None
    projection: str = "ALL"


@dataclass(frozen=True)
class Table:
    name: str
    hash_key: str = "pk"
    range_key: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # key attribute -> S | N
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class StateMachine:
    name: str
    definition_file: str  # relative to the project root
    # ${Name} placeholders in the definition -> ("queue", logical name)
    substitutions: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str  # EventBridge rate() expression
    handler: str  # "module:function"

    @property
    def interval_seconds(self) -> int:
        m = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if not m:
            raise ValueError(f"unsupported schedule expression {self.expression!r}")
        unit = {"minute": 60, "hour": 3600, "day": 86400}[m.group(2).rstrip("s")]
        return int(m.group(1)) * unit


@dataclass(frozen=True)
class Timing:
    """Generation timing knobs that end up inside the state machine definition."""

    heartbeat_seconds: int = 120
    timeout_seconds: int = 3600
    retry_interval_seconds: int = 2
    retry_max_attempts: int = 2


@dataclass(frozen=True)
class Grant:
    """Access a function needs to one resource. ``levels`` name groups of IAM actions (infra.iam):
    tables read/query/scan/describe/write (+ the GSIs it queries), buckets read/write/delete/list/multipart
    (presigned GET/PUT URLs are authorized with the signer's read/write), queues send/receive/inspect/
    redrive, state machines start/stop/callback/describe, secrets read (name = the config variable)."""

    kind: str  # table | bucket | queue | state-machine | secret
    name: str
    levels: tuple[str, ...]
    indexes: tuple[str, ...] = ()


def table(name: str, *levels: str, indexes: tuple[str, ...] = ()) -> Grant:
    return Grant("table", name, levels, indexes)


def bucket(name: str, *levels: str) -> Grant:
    return Grant("bucket", name, levels)


def queue(name: str, *levels: str) -> Grant:
    return Grant("queue", name, levels)


def machine(name: str, *levels: str) -> Grant:
    return Grant("state-machine", name, levels)


def secret(env_name: str) -> Grant:
    return Grant("secret", env_name, ("read",))


@dataclass(frozen=True)
class Function:
    """One deployable Lambda. The API (Chalice) has ``handler="app:app"``; queue consumers name their
    queue, scheduled functions their schedule. ``grants`` is everything its role allows (infra.iam),
    proven against what the integration suite saw it do (tests/integration/test_iam_usage.py)."""

    name: str
    handler: str
    grants: tuple[Grant, ...]
    queue: str | None = None
    schedule: str | None = None
    timeout: int = 60
    memory: int = 512


QUEUES = (
    # One object per invocation: hashing a 5 GiB file can take minutes, and a batch of them would outlive the
    # visibility timeout (which matches Lambda's 15-minute maximum).
    Queue("ingest", visibility_timeout=900, consumer="functions.ingest.handler:handler", batch_size=1),
    # Pulled by GPU agents through the API (they hold no cloud credentials).
    Queue("dispatch", visibility_timeout=30, max_receive_count=10),
    Queue("job-events", visibility_timeout=60, consumer="functions.generator.events:handler"),
)

BUCKETS = (
    # Uploads are adopted (copied) by ingest; what is left under incoming/ is disposable after 3 days,
    # including orphans that no session knows and multipart uploads nobody completed.
    Bucket("media", notifications=(Notification("ingest", prefix="incoming/"),), browser_uploads=True,
           expire_after_days=(("incoming/", 3),)),
    # Checkpoints the generator offers that are not catalog assets (admin-managed; never listed to members).
    Bucket("base-models"),
)

TABLES = (
    # Users and email claims; "listing" is set on user items only (a sparse index for the admin list and fan-outs).
    Table("users", attributes={"pk": "S", "listing": "S", "created_at": "N"},
          indexes=(Index("by-created", "listing", "created_at"),)),
    Table("settings", attributes={"pk": "S"}),
    Table("ratelimits", attributes={"pk": "S"}, ttl_attribute="expires_at"),
    Table("nonces", attributes={"pk": "S"}, ttl_attribute="expires_at"),
    Table(
        "uploads",
        attributes={"pk": "S", "status": "S", "expires_at": "N"},
        indexes=(Index("by-status-expiry", "status", "expires_at"),),
    ),
    Table("models", attributes={"pk": "S", "owner_id": "S", "created_at": "N"},
          indexes=(Index("by-owner", "owner_id", "created_at"),)),
    Table("versions", attributes={"pk": "S", "model_id": "S", "created_at": "N"},
          indexes=(Index("by-model", "model_id", "created_at"),)),
    Table("images", attributes={"pk": "S", "owner_id": "S", "created_at": "N"},
          indexes=(Index("by-owner", "owner_id", "created_at"),)),
    Table("galleries", attributes={"pk": "S", "owner_id": "S", "created_at": "N", "parent_id": "S"},
          indexes=(Index("by-owner", "owner_id", "created_at"), Index("by-parent", "parent_id", "created_at"))),
    # pk gallery id, sk <kind>#<asset id>: membership is a GetItem; order and reverse links are indexes.
    Table("gallery-entries", range_key="sk", attributes={"pk": "S", "sk": "S", "position": "N", "asset_id": "S"},
          indexes=(Index("by-position", "pk", "position"), Index("by-asset", "asset_id", "pk"))),
    # The search index: postings; per-asset docs, facet counters and markers (search-meta). See repositories/search_index.py.
    Table("search", range_key="sk", attributes={"pk": "S", "sk": "S", "s_likes": "S", "s_downloads": "S", "s_name": "S"},
          indexes=(Index("by-likes", "pk", "s_likes"), Index("by-downloads", "pk", "s_downloads"),
                   Index("by-name", "pk", "s_name"))),
    Table("search-meta", range_key="sk", attributes={"pk": "S", "sk": "S"}, ttl_attribute="expires_at"),
    Table("metadata-fields", attributes={"pk": "S", "slug": "S"}, indexes=(Index("by-slug", "slug"),)),
    Table("tags", attributes={"pk": "S"}),
    Table("hashes", range_key="sk", attributes={"pk": "S", "sk": "S"}),
    # -- community and governance ---------------------------------------------------------
    # pk <kind>#<asset id>: one partition per commented asset; sk is a time-ordered comment id.
    Table("comments", range_key="sk", attributes={"pk": "S", "sk": "S"}, ttl_attribute="expires_at"),
    # Likes of models, images and comments, per-liker markers, received-like totals.
    Table("likes", range_key="sk", attributes={"pk": "S", "sk": "S"}),
    # pk user id, sk N#<time-ordered id>; unread counters and once-markers live in the same partition.
    Table("notifications", range_key="sk", attributes={"pk": "S", "sk": "S"}, ttl_attribute="expires_at"),
    # Admin actions, newest first (one low-volume partition: a few writes a minute at most).
    Table("audit", range_key="sk", attributes={"pk": "S", "sk": "S"}),
    Table("applications", attributes={"pk": "S", "status": "S", "user_id": "S", "created_at": "N"},
          indexes=(Index("by-status", "status", "created_at"), Index("by-user", "user_id", "created_at"))),
    # One item per ranked user; "board" and "ladder" (<score, 12 digits>#<user id>: unique, so a page resumes at an
    # exact place) only on users listed on the leaderboard (a sparse index).
    Table("rankings", attributes={"pk": "S", "board": "S", "ladder": "S"},
          indexes=(Index("by-score", "board", "ladder"),)),
    # pk <kind>#<asset id>: one report per reporter plus the case item; open cases in a sparse queue index.
    Table("flags", range_key="sk", attributes={"pk": "S", "sk": "S", "queue": "S", "opened_at": "N"},
          indexes=(Index("by-queue", "queue", "opened_at"),)),
    # Registered GPU agents; "listing" is set on agent items only: telemetry and push dispatch Query it.
    Table("agents", attributes={"pk": "S", "listing": "S", "created_at": "N"},
          indexes=(Index("by-listing", "listing", "created_at"),)),
    # Generator governance: per-user blocks (one partition, paged), concurrency and daily-use counters (TTL).
    Table("generator", range_key="sk", attributes={"pk": "S", "sk": "S"}, ttl_attribute="expires_at"),
    Table(
        "jobs",
        attributes={"pk": "S", "status": "S", "deadline": "N", "owner_id": "S", "created_at": "N", "listing": "S",
                    "failure": "S", "updated_at": "N"},
        # Pending jobs wait on by-status-deadline (oldest first); "failure" is set on failed jobs only.
        indexes=(Index("by-status-deadline", "status", "deadline"), Index("by-owner", "owner_id", "created_at"),
                 Index("by-created", "listing", "created_at"), Index("by-failure", "failure", "updated_at")),
    ),
)

STATE_MACHINES = (
    StateMachine(
        "generation",
        "functions/generator/state_machine.asl.json",
        substitutions={"DispatchQueueUrl": ("queue", "dispatch"), "JobEventsQueueUrl": ("queue", "job-events")},
    ),
)

SCHEDULES = (
    Schedule("sweep-jobs", "rate(5 minutes)", "functions.generator.sweep:handler"),
    Schedule("sweep-uploads", "rate(15 minutes)", "functions.ingest.sweep:handler"),
    Schedule("push-dispatch", "rate(1 minute)", "functions.generator.dispatcher:handler"),
    Schedule("ops-metrics", "rate(5 minutes)", "functions.ops.queue_metrics:handler"),
    # Cleanup jobs (chalicelib/services/cleanup_service.py): bounded, resumable Scans/listings, so hourly
    # and slower; none of them is urgent (readers already ignore what they remove).
    Schedule("cleanup-orphans", "rate(6 hours)", "functions.cleanup.orphans:handler"),
    Schedule("cleanup-removed", "rate(6 hours)", "functions.cleanup.removed:handler"),
    Schedule("cleanup-expired", "rate(2 hours)", "functions.cleanup.expired:handler"),
    Schedule("cleanup-notifications", "rate(1 day)", "functions.cleanup.notifications:handler"),
)


API_FUNCTION = "api"  # the Chalice app; infra.local.server attributes API requests to it

# Every deployable function and exactly what its role may do (infra/iam.py turns levels into actions).
# Derived from what each function does in the integration suite and proven there on every run: a call
# outside these grants, or a grant no call needed, fails tests/integration/test_iam_usage.py.
# table(name, levels, indexes=GSIs it queries); Scan ("scan") only in scheduled/background work.
_CATALOG_WRITE = tuple(table(t, "read", "write") for t in ("images", "models", "likes", "metadata-fields", "tags",
                                                           "uploads", "nonces", "ratelimits", "settings"))
FUNCTIONS = (
    Function(API_FUNCTION, "app:app", (
        *_CATALOG_WRITE,
        table("agents", "read", "write", indexes=("by-listing",)),
        table("applications", "read", "write", indexes=("by-status", "by-user")),
        table("audit", "query", "write"),
        table("comments", "read", "query", "write"),
        table("flags", "read", "write", indexes=("by-queue",)),
        table("galleries", "read", "write", indexes=("by-owner", "by-parent")),
        table("gallery-entries", "read", "query", "write", indexes=("by-asset", "by-position")),
        table("generator", "read", "query", "write"),
        table("hashes", "query", "write"),
        table("jobs", "read", "write", indexes=("by-created", "by-failure", "by-owner", "by-status-deadline")),
        table("notifications", "read", "query", "write"),
        table("rankings", "read", "write", indexes=("by-score",)),
        table("search", "query", "write", indexes=("by-downloads", "by-likes", "by-name")),
        table("search-meta", "read", "query", "write"),
        table("users", "read", "write", indexes=("by-created",)),
        table("versions", "read", "write", indexes=("by-model",)),
        # Presigned downloads (read) and uploads incl. multipart parts (write); the health check lists.
        bucket("base-models", "read"),
        bucket("media", "read", "write", "delete", "list", "multipart"),
        # GPU agents pull dispatch through the API; the admin system view reads every depth and redrives
        # dead letters back (receive from a DLQ, send to its queue).
        queue("dispatch", "send", "receive", "inspect"),
        queue("ingest", "send", "inspect"),
        queue("job-events", "send", "inspect"),
        queue("dispatch-dlq", "receive", "inspect"),
        queue("ingest-dlq", "receive", "inspect"),
        queue("job-events-dlq", "receive", "inspect"),
        machine("generation", "start", "stop", "callback"),
        secret("VS_JWT_SECRET"), secret("VS_CALLBACK_SECRET"), secret("VS_STORAGE_EVENTS_SECRET"),
        # Only requests carrying CloudFront's X-Origin-Verify value have their X-Forwarded-For believed.
        secret("VS_ORIGIN_VERIFY_SECRET"),
    ), timeout=30, memory=1024),
    # Ingest: uploads and renders become assets; also runs background tasks queued on its own queue
    # (safety recalculation walks models and images: Scan + DescribeTable for progress).
    Function("ingest", "functions.ingest.handler:handler", (
        table("applications", "write", indexes=("by-user",)),
        table("flags", "read", "write"),
        table("galleries", "read", "write", indexes=("by-owner", "by-parent")),
        table("gallery-entries", "query", "write", indexes=("by-asset", "by-position")),
        table("hashes", "query", "write"),
        table("images", "read", "scan", "describe", "write", indexes=("by-owner",)),
        table("models", "read", "scan", "describe", "write", indexes=("by-owner",)),
        table("notifications", "query", "write"),
        table("rankings", "read", "write"),
        table("search", "write"),
        table("search-meta", "read", "write"),
        table("settings", "read", "write"),
        table("uploads", "read"),
        table("users", "read", "write", indexes=("by-created",)),
        table("versions", "read", "write", indexes=("by-model",)),
        bucket("media", "read", "write", "delete"),
        queue("ingest", "send"),
    ), queue="ingest", timeout=900, memory=2048),
    Function("job-events", "functions.generator.events:handler", (
        table("agents", "write"),
        table("generator", "write"),
        table("images", "read", "write"),
        table("jobs", "read", "write"),
        table("search-meta", "read"),
        table("uploads", "read", "write"),
        bucket("media", "read", "list"),
    ), queue="job-events", timeout=50),
    Function("sweep-jobs", "functions.generator.sweep:handler", (
        table("jobs", "read", "write", indexes=("by-status-deadline",)),
        table("settings", "write"),
    ), schedule="sweep-jobs", timeout=120),
    Function("sweep-uploads", "functions.ingest.sweep:handler", (
        table("images", "read"),
        table("models", "read", "write"),
        table("search", "write"),
        table("search-meta", "read", "write"),
        table("settings", "write"),
        table("uploads", "read", "write", indexes=("by-status-expiry",)),
        table("versions", "read", "write"),
        bucket("media", "delete", "list", "multipart", "list-multipart"),
    ), schedule="sweep-uploads", timeout=300),
    Function("push-dispatch", "functions.generator.dispatcher:handler", (
        table("agents", "write", indexes=("by-listing",)),
        table("generator", "read"),
        table("images", "write"),
        table("jobs", "read", "write", indexes=("by-status-deadline",)),
        table("settings", "read"),
        table("uploads", "read", "write"),
        table("users", "read"),
        bucket("base-models", "read"),
        bucket("media", "read", "write"),
        queue("dispatch", "receive"),
        machine("generation", "start", "callback"),
        secret("VS_CALLBACK_SECRET"),
    ), schedule="push-dispatch", timeout=60),
    Function("ops-metrics", "functions.ops.queue_metrics:handler", (
        table("settings", "write"),
        *(queue(q.name, "inspect") for q in QUEUES),
        *(queue(q.dlq_name, "inspect") for q in QUEUES),
    ), schedule="ops-metrics", timeout=60),
    Function("cleanup-orphans", "functions.cleanup.orphans:handler", (
        table("images", "read"), table("uploads", "read"), table("versions", "read"),
        table("settings", "read", "write"),
        bucket("media", "delete", "list"),
    ), schedule="cleanup-orphans", timeout=300),
    Function("cleanup-removed", "functions.cleanup.removed:handler", (
        table("flags", "scan", "write"),
        table("images", "read", "scan", "write"),
        table("models", "read"),
        table("users", "read"),
        table("versions", "write", indexes=("by-model",)),
        table("settings", "read", "write"),
        bucket("media", "delete"),
    ), schedule="cleanup-removed", timeout=300),
    Function("cleanup-expired", "functions.cleanup.expired:handler", (
        *(table(t, "scan", "write") for t in ("comments", "generator", "nonces", "notifications", "ratelimits",
                                               "search-meta")),
        table("uploads", "write", indexes=("by-status-expiry",)),
        table("settings", "read", "write"),
        bucket("media", "delete", "list"),
    ), schedule="cleanup-expired", timeout=300),
    Function("cleanup-notifications", "functions.cleanup.notifications:handler", (
        table("notifications", "read", "scan", "write"),
        table("settings", "read", "write"),
    ), schedule="cleanup-notifications", timeout=300),
)


def table_env(logical: str) -> str:
    return resource_env("TABLE", logical)


def bucket_env(logical: str) -> str:
    return resource_env("BUCKET", logical)


def queue_env(logical: str) -> str:
    return resource_env("QUEUE", logical, "_URL")


def state_machine_env(logical: str) -> str:
    return resource_env("STATE_MACHINE", logical, "_ARN")


def physical(prefix: str, logical: str) -> str:
    return f"{prefix}-{logical}"


def load_definition(machine: StateMachine, timing: Timing) -> dict:
    """The ASL document with timing knobs applied; ${...} placeholders left for substitution."""
    definition = json.loads((ROOT / machine.definition_file).read_text())
    dispatch = definition["States"]["Dispatch"]
    dispatch["HeartbeatSeconds"] = timing.heartbeat_seconds
    dispatch["TimeoutSeconds"] = timing.timeout_seconds
    # Retries are an explicit Catch -> Backoff -> Dispatch loop rather than a Retry field: re-entering
    # the task state issues a fresh task token per attempt on AWS, LocalStack and moto alike (both
    # emulators reuse the token inside a Retry and replay the earlier failure).
    definition["States"]["Init"]["Parameters"]["backoff"] = timing.retry_interval_seconds
    definition["States"]["CanRetry"]["Choices"][0]["NumericLessThan"] = timing.retry_max_attempts
    return definition


def substitute(definition: dict, values: dict[str, str]) -> str:
    text = json.dumps(definition)
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    leftover = re.findall(r"\$\{(\w+)\}", text)
    if leftover:
        raise ValueError(f"unsubstituted placeholders in state machine: {leftover}")
    return text
