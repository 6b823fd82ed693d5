"""The admin audit log: one append-only partition, newest first (admin actions are a few a minute)."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models import AuditEntry
from chalicelib.repositories.base import table_meta

PARTITION = "AUDIT"


class AuditItem(Model):
    Meta = table_meta("audit")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # the entry id (time-ordered)
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    target_kind = UnicodeAttribute()
    target_id = UnicodeAttribute()
    created_at = NumberAttribute()
    details = JSONAttribute(null=True)


class AuditRepository:
    def add(self, e: AuditEntry) -> None:
        # Entry ids are unique; a retried write of the same entry overwrites it with itself.
        AuditItem(PARTITION, e.id, actor_id=e.actor_id, action=e.action, target_kind=e.target_kind,
                  target_id=e.target_id, created_at=e.created_at, details=e.details or {}).save()

    def page(self, after: str | None, limit: int, action: str | None = None, actor_id: str | None = None,
             target_id: str | None = None) -> tuple[list[AuditEntry], str | None]:
        flt = None
        for attribute, value in ((AuditItem.action, action), (AuditItem.actor_id, actor_id),
                                 (AuditItem.target_id, target_id)):
            if value is not None:
                cond = attribute == value
                flt = cond if flt is None else flt & cond
        range_cond = AuditItem.sk < after if after else None
        entries = []
        for item in AuditItem.query(PARTITION, range_cond, filter_condition=flt, scan_index_forward=False,
                                    page_size=max(limit, 25)):
            entries.append(AuditEntry(item.sk, item.actor_id, item.action, item.target_kind, item.target_id,
                                      float(item.created_at), item.details or {}))
            if len(entries) > limit:
                break
        if len(entries) > limit:
            return entries[:limit], entries[limit - 1].id
        return entries, None
