"""Items that carry a DynamoDB TTL attribute (``expires_at``), for the scheduled expiry cleanup.

DynamoDB's TTL deletes expired items only eventually (typically within days) and not at all on
DynamoDB Local or moto; readers already treat an expired item as absent. The cleanup job removes
them sooner with a bounded, resumable Scan (a background job, never a request path) and a
conditional delete: an item rewritten with a new expiry meanwhile (a reused rate-limit window, a
reclaimed marker) fails the condition and stays.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.repositories.base import conditional, table_meta


def _key_model(logical: str, with_range: bool) -> type[Model]:
    """A model that knows only the key and the TTL attribute (deletes and scans need no more)."""
    attrs = {"Meta": table_meta(logical), "pk": UnicodeAttribute(hash_key=True), "expires_at": NumberAttribute(null=True)}
    if with_range:
        attrs["sk"] = UnicodeAttribute(range_key=True)
    return type(f"Expiring_{logical.replace('-', '_')}", (Model,), attrs)


@dataclass(frozen=True)
class ExpiringKind:
    """Which items of a table the expiry cleanup may delete.

    ``only_prefix``: only items whose sort key starts with it (e.g. the notifications table's
    once-markers; its notifications are the notification cleanup's, which keeps unread counters exact)."""

    name: str  # report label
    table: str  # logical table name
    with_range: bool = False
    only_prefix: str | None = None


# Every table with a TTL attribute, and what of it the expiry cleanup may delete.
EXPIRING_KINDS = (
    ExpiringKind("nonces", "nonces"),  # callback nonces and revoked access tokens (revoked#<jti>)
    ExpiringKind("rateLimits", "ratelimits"),
    ExpiringKind("generatorCounters", "generator", with_range=True),  # day#<date> usage counters
    ExpiringKind("searchMarkers", "search-meta", with_range=True),  # popularity refresh markers
    ExpiringKind("commentMarkers", "comments", with_range=True),  # double-submit markers
    ExpiringKind("notificationMarkers", "notifications", with_range=True, only_prefix="ONCE#"),
)


class ExpiringItemRepository:
    def __init__(self, kind: ExpiringKind) -> None:
        self.kind = kind
        self._model = _key_model(kind.table, kind.with_range)

    def scan_expired(self, now: float, start: dict | None, page_size: int) -> tuple[list[dict], dict | None, int]:
        """One Scan page of at most ``page_size`` items examined, starting after the key ``start``
        ({"pk", "sk"?} strings): (keys of the items expired at ``now``, the key to resume after or None
        at the end of the table, items examined)."""
        m = self._model
        condition = m.expires_at.exists() & (m.expires_at < int(now))
        if self.kind.only_prefix:
            condition &= m.sk.startswith(self.kind.only_prefix)
        exclusive = {name: {"S": value} for name, value in start.items()} if start else None
        page = m._get_connection().scan(filter_condition=condition, limit=page_size, exclusive_start_key=exclusive)
        keys = [{name: item[name]["S"] for name in self._key_names()} for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return keys, ({name: last[name]["S"] for name in self._key_names()} if last else None), int(page.get("ScannedCount", 0))

    def delete_if_expired(self, key: dict, now: float) -> bool:
        """Delete the item only if it is still expired at ``now`` (False: renewed or already gone)."""
        m = self._model
        item = m(key["pk"], key["sk"]) if self.kind.with_range else m(key["pk"])
        return conditional(lambda: item.delete(condition=m.expires_at.exists() & (m.expires_at < int(now))))

    def _key_names(self) -> tuple[str, ...]:
        return ("pk", "sk") if self.kind.with_range else ("pk",)
