"""Who did what: every administrative change is recorded here by the service that made it."""
from __future__ import annotations

import time

from chalicelib.models import AuditEntry, User
from chalicelib.services.notification_service import new_id


class AuditService:
    def __init__(self, repo, users, clock=time.time) -> None:
        self._repo = repo
        self._users = users
        self._clock = clock

    def record(self, actor: User, action: str, target_kind: str, target_id: str, details: dict | None = None) -> AuditEntry:
        now = self._clock()
        entry = AuditEntry(new_id(now), actor.id, action, target_kind, target_id, now, details or {})
        self._repo.add(entry)
        return entry

    def page(self, after: str | None, page_size: int, action: str | None = None, actor_id: str | None = None,
             target_id: str | None = None) -> tuple[list[AuditEntry], str | None, dict[str, User]]:
        """A page of entries, the cursor to the next, and the actors (for their names)."""
        entries, cursor = self._repo.page(after, page_size, action=action, actor_id=actor_id, target_id=target_id)
        return entries, cursor, self._users.get_many(e.actor_id for e in entries)
