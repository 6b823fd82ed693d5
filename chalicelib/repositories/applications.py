"""Curator applications (table ``applications``).

Item kinds:

- ``<application id>``: one application; indexed by status (``by-status``: the admin queue) and by
  applicant (``by-user``: "my latest application");
- ``PENDING#<user id>``: the claim that makes "one pending application per user" race-safe. It is
  written with a does-not-exist condition in the same transaction as the application and removed in
  the same transaction as the decision. It carries neither ``status`` nor ``user_id``, so it stays out
  of both indexes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.models import Role
from chalicelib.repositories.base import region, table_meta
from chalicelib.repositories.records import RecordRepository, item_model
from chalicelib.repositories.users import UserItem

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)


@dataclass
class CuratorApplication:
    id: str
    user_id: str
    message: str
    status: str  # pending | approved | rejected
    created_at: float
    updated_at: float
    decided_at: float | None = None
    decided_by: str | None = None
    decision_reason: str | None = None


ApplicationItem = item_model(CuratorApplication, "applications", {"by-status": ("status", "created_at"),
                                                                  "by-user": ("user_id", "created_at")})


class PendingClaim(Model):
    Meta = table_meta("applications")

    pk = UnicodeAttribute(hash_key=True)
    application_id = UnicodeAttribute()


def _claim_key(user_id: str) -> str:
    return f"PENDING#{user_id}"


class ApplicationConflict(Exception):
    """The write lost a race: ``reason`` is ``pending-exists``, ``decided`` or ``role-changed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def application_key(a: CuratorApplication) -> dict:
    """The resume point after ``a`` in a by-status listing (what a cursor carries)."""
    return {"id": a.id, "createdAt": a.created_at}


class ApplicationRepository(RecordRepository[CuratorApplication]):
    record_cls, item_cls = CuratorApplication, ApplicationItem

    def __init__(self) -> None:
        self._connection = Connection(region=region())

    def submit(self, application: CuratorApplication) -> None:
        """Store a pending application and its claim together (ApplicationConflict ``pending-exists``
        when the applicant already has one pending)."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(PendingClaim(_claim_key(application.user_id), application_id=application.id),
                        condition=PendingClaim.pk.does_not_exist())
                tx.save(self._to_item(application), condition=ApplicationItem.pk.does_not_exist())
        except TransactWriteError:
            raise ApplicationConflict("pending-exists") from None

    def decide(self, application: CuratorApplication, status: str, decided_by: str, reason: str | None, now: float,
               promote: bool = False) -> None:
        """Settle a pending application (only once: a second decision is ApplicationConflict ``decided``)
        and release the applicant's claim; with ``promote`` the applicant's role goes USER -> CURATOR in
        the same transaction (``role-changed`` if the role is no longer USER)."""
        fields = {"status": status, "decided_at": now, "decided_by": decided_by, "decision_reason": reason,
                  "updated_at": now}
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(ApplicationItem(application.id),
                          actions=[getattr(ApplicationItem, k).set(v) if v is not None else getattr(ApplicationItem, k).remove()
                                   for k, v in fields.items()],
                          condition=ApplicationItem.pk.exists() & (ApplicationItem.status == PENDING))
                tx.delete(PendingClaim(_claim_key(application.user_id)),
                          condition=PendingClaim.pk.does_not_exist() | (PendingClaim.application_id == application.id))
                if promote:
                    tx.update(UserItem(f"USER#{application.user_id}"),
                              actions=[UserItem.role.set(Role.CURATOR.name), UserItem.updated_at.set(now)],
                              condition=UserItem.pk.exists() & (UserItem.role == Role.USER.name))
        except TransactWriteError as e:
            # PynamoDB sends deletes before updates: [claim, application, user].
            codes = [r.code if r else None for r in (e.cancellation_reasons or [])]
            if promote and len(codes) > 2 and codes[2] == "ConditionalCheckFailed" and codes[1] != "ConditionalCheckFailed":
                raise ApplicationConflict("role-changed") from None
            raise ApplicationConflict("decided") from None

    def latest_of(self, user_id: str) -> CuratorApplication | None:
        found = self.query("by-user", user_id, limit=1, newest_first=True)
        return found[0] if found else None

    def of_user(self, user_id: str) -> list[CuratorApplication]:
        return self.query("by-user", user_id, newest_first=False)

    def by_status(self, status: str, after: dict | None, newest_first: bool, page_size: int) -> Iterator[CuratorApplication]:
        """Applications with ``status`` in creation order, lazily, after the key ``after``."""
        start = None
        if after is not None:
            start = {"pk": {"S": after["id"]}, "status": {"S": status},
                     "created_at": {"N": NumberAttribute().serialize(after["createdAt"])}}
        for item in ApplicationItem.index_by_status.query(status, scan_index_forward=not newest_first,
                                                          last_evaluated_key=start, page_size=page_size):
            yield self._to_record(item)

    def remove_user(self, user_id: str) -> int:
        """Delete a (deleted) user's applications and claim. Background jobs only."""
        removed = 0
        for application in self.of_user(user_id):
            self.delete(application.id)
            removed += 1
        PendingClaim(_claim_key(user_id)).delete()
        return removed
