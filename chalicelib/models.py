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


@dataclass
class SiteSettings:
    site_title: str = "VisionSuit"
    allow_registration: bool = True
    maintenance_mode: bool = False


@dataclass
class Upload:
    id: str
    owner_id: str
    key: str
    filename: str
    declared_type: str
    declared_size: int
    status: str  # pending -> received | rejected
    created_at: float
    detected_type: str | None = None
    size: int | None = None
    etag: str | None = None
    reason: str | None = None
    processed_at: float | None = None


class JobStatus:
    """Monotonic generation-job states; a transition only ever moves to a higher rank."""

    QUEUED, DISPATCHED, RUNNING = "queued", "dispatched", "running"
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED = "succeeded", "failed", "timed_out", "cancelled"
    RANK = {QUEUED: 0, DISPATCHED: 1, RUNNING: 2, SUCCEEDED: 3, FAILED: 3, TIMED_OUT: 3, CANCELLED: 3}
    ACTIVE = (QUEUED, DISPATCHED, RUNNING)
    TERMINAL = (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED)


@dataclass
class Job:
    id: str
    owner_id: str
    kind: str
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


@dataclass
class Agent:
    id: str
    name: str
    secret_hash: str
    created_at: float
    last_seen_at: float | None = None
    enabled: bool = True
