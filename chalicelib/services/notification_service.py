"""Notifications: who is told what, unread counts, read state, polling and announcement fan-out.

Delivery to the browser is cursor-based polling with an optional short long-poll (``wait`` up to
20 s): it needs no connection state, so it works on Lambda behind API Gateway (29 s limit) and on
any number of instances. See docs/decisions.md "Notifications".
"""
from __future__ import annotations

import secrets
import time

from chalicelib.errors import NotFound, ValidationError
from chalicelib.models import NOTIFICATION_CATEGORIES, Notification, Role, User

RETENTION_SECONDS = 180 * 86400
MAX_WAIT_SECONDS = 20
POLL_STEP_SECONDS = 1.0
ANNOUNCE_BATCH = 100
SNIPPET = 140


def new_id(now: float) -> str:
    """Time-ordered and unique: 13 digits of milliseconds, then 8 random hex digits."""
    return f"{int(now * 1000):013d}{secrets.token_hex(4)}"


def snippet(text: str, limit: int = SNIPPET) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class NotificationService:
    def __init__(self, repo, users, fanout, audit, clock=time.time, sleep=time.sleep) -> None:
        self._repo = repo
        self._audit = audit
        self._users = users
        self._fanout = fanout  # callable(message dict): queues the announcement delivery task
        self._clock = clock
        self._sleep = sleep

    # -- producing ------------------------------------------------------------------------
    def notify(self, recipient_id: str, category: str, type: str, title: str, body: str = "",
               link: dict | None = None, actor_id: str | None = None, once_key: str | None = None) -> Notification | None:
        """Tell one user something. Nobody is notified of their own actions; with ``once_key`` the
        same event notifies at most once, however often it repeats (likes toggled, retried jobs)."""
        if category not in NOTIFICATION_CATEGORIES:
            raise ValueError(f"unknown notification category {category!r}")
        if actor_id is not None and actor_id == recipient_id:
            return None
        now = self._clock()
        if once_key and not self._repo.claim_once(recipient_id, once_key, now + RETENTION_SECONDS):
            return None
        n = Notification(new_id(now), recipient_id, category, type, snippet(title, 160), snippet(body, 800), now,
                         link=link, actor_id=actor_id)
        self._repo.add(n, now + RETENTION_SECONDS)
        return n

    def notify_admins(self, category: str, type: str, title: str, body: str = "", link: dict | None = None,
                      actor_id: str | None = None) -> int:
        sent, after = 0, None
        while True:
            admins, after = self._users.page(after, limit=100, role=Role.ADMIN, active_only=True)
            for admin in admins:
                sent += bool(self.notify(admin.id, category, type, title, body, link, actor_id))
            if not after:
                return sent

    # -- reading --------------------------------------------------------------------------
    @staticmethod
    def _summary(unread: dict[str, int]) -> dict:
        return {"unread": unread, "totalUnread": sum(unread.values())}

    def counts(self, user: User) -> dict:
        return self._summary(self._repo.counts(user.id)[0])

    def page(self, user: User, category: str | None, unread_only: bool, after: str | None,
             page_size: int) -> tuple[list[Notification], str | None, dict]:
        """A page, the cursor to the next one, and the unread counts (one read serves both)."""
        unread, marks = self._repo.counts(user.id)
        items, cursor = self._repo.page(user.id, after, page_size, marks, category=category, unread_only=unread_only)
        return items, cursor, self._summary(unread)

    def poll(self, user: User, since: str | None, wait: int) -> tuple[list[Notification], str | None, dict]:
        """Notifications newer than ``since`` (oldest first), the cursor to poll with next and the
        unread counts. Without ``since`` it only returns the current cursor. Waits up to ``wait``
        seconds for something new."""
        unread, marks = self._repo.counts(user.id)
        if since is None:
            return [], self._repo.latest_id(user.id), self._summary(unread)
        deadline = self._clock() + min(max(wait, 0), MAX_WAIT_SECONDS)
        waited = False
        while True:
            items, _ = self._repo.page(user.id, None, 50, marks, newer_than=since)
            if items or self._clock() >= deadline:
                break
            self._sleep(POLL_STEP_SECONDS)
            waited = True
        if waited and items:
            unread, _ = self._repo.counts(user.id)  # what arrived while waiting is counted too
        return items, (items[-1].id if items else since), self._summary(unread)

    # -- read state -----------------------------------------------------------------------
    def mark_read(self, user: User, notification_id: str) -> dict:
        """Mark one read; returns the unread counts after it."""
        n = self._repo.get(user.id, notification_id)
        if n is None:
            raise NotFound("Notification not found")
        self._repo.mark_read(user.id, n)
        return self.counts(user)

    def mark_all_read(self, user: User, category: str | None) -> dict:
        """Everything that exists now becomes read (a notification arriving later stays unread);
        returns the unread counts after it."""
        if category is not None and category not in NOTIFICATION_CATEGORIES:
            raise ValidationError("Unknown category", field="category")
        latest = self._repo.latest_id(user.id)
        if latest is not None:
            self._repo.mark_all_read(user.id, [category] if category else list(NOTIFICATION_CATEGORIES), latest)
        return self.counts(user)

    # -- announcements --------------------------------------------------------------------
    def announce(self, admin: User, title: str, message: str) -> str:
        """Queue an announcement to every active user; returns its id. Delivery runs in the background,
        in batches, each recipient at most once (retries and re-deliveries notify nobody twice)."""
        announcement_id = new_id(self._clock())
        self._fanout({"task": "announce", "id": announcement_id, "title": title, "message": message,
                      "actorId": admin.id, "after": None})
        self._audit().record(admin, "notification.announce", "announcement", announcement_id, {"title": title})
        return announcement_id

    def deliver_announcement(self, announcement_id: str, title: str, message: str, actor_id: str | None,
                             after: dict | None) -> dict | None:
        """Deliver one batch; returns the key to continue after, None when everyone has it."""
        users, next_key = self._users.page(after, limit=ANNOUNCE_BATCH, newest_first=False, active_only=True)
        for u in users:
            self.notify(u.id, "announcements", "announcement", title, message,
                        link={"kind": "announcement", "id": announcement_id}, once_key=f"announcement#{announcement_id}")
        return next_key
