"""Safety settings (keyword lists, thresholds, the recalculation run) and the paged walk over assets.

The settings live as items of the settings table, each written with a condition on what the writer
read (optimistic concurrency), so two admins adding keywords at once cannot lose each other's change
and a superseded recalculation cannot overwrite the run that replaced it.
"""
from __future__ import annotations

import time

from pynamodb.exceptions import TableError

from chalicelib.repositories.base import conditional
from chalicelib.repositories.kv import SettingsItem, SettingsRepository


class SafetySettingsRepository(SettingsRepository):
    def put_if(self, key: str, data: dict, expected: dict | None) -> bool:
        """Write ``data`` only if the stored item still holds ``expected`` (field -> value); with
        ``expected=None`` only if there is no item yet. False when someone else wrote first."""
        if expected is None:
            condition = SettingsItem.pk.does_not_exist()
        else:
            condition = SettingsItem.pk.exists()
            for name, value in expected.items():
                condition &= SettingsItem.data[name] == value
        return conditional(lambda: SettingsItem(key, data=data, updated_at=time.time()).save(condition=condition))


class AssetPages:
    """Bounded pages of model and image records in table order, resumable from the last id returned.
    A Scan: background jobs only (the safety recalculation), never a request path."""

    def __init__(self, repositories: dict) -> None:
        self._repos = repositories  # kind -> a RecordRepository (records.py)

    def page(self, kind: str, after: str | None, limit: int) -> tuple[list, str | None]:
        repo = self._repos[kind]
        start = {"pk": {"S": after}} if after else None
        result = repo.item_cls.scan(limit=limit, last_evaluated_key=start)
        records = [repo._to_record(item) for item in result]
        last = result.last_evaluated_key
        return records, (last["pk"]["S"] if last else None)

    def approximate_total(self) -> int | None:
        """DynamoDB's item counts (refreshed about every six hours): a progress estimate, not a promise.
        None when the tables cannot be described (e.g. no DescribeTable permission): progress then
        shows what was scanned, without a percentage."""
        try:
            return sum(int(repo.item_cls.describe_table().get("ItemCount") or 0) for repo in self._repos.values())
        except TableError:
            return None
