"""The paged walk over models and images that safety recalculations make (background jobs only).

The safety documents themselves (keyword lists, thresholds, the recalculation run) are settings-table
documents written with ``SettingsRepository.put_if`` (optimistic concurrency), so two admins adding
keywords at once cannot lose each other's change and a superseded recalculation cannot overwrite the
run that replaced it.
"""
from __future__ import annotations

from pynamodb.exceptions import TableError


class AssetPages:
    """Bounded pages of model and image records in table order, resumable from the last id returned.
    A Scan: background jobs only (the safety recalculation), never a request path."""

    def __init__(self, repositories: dict) -> None:
        self._repos = repositories  # kind -> a RecordRepository (records.py)

    def page(self, kind: str, after: str | None, limit: int) -> tuple[list, str | None]:
        return self._repos[kind].scan_page(after, limit)

    def approximate_total(self) -> int | None:
        """DynamoDB's item counts (refreshed about every six hours): a progress estimate, not a promise.
        None when the tables cannot be described (e.g. no DescribeTable permission): progress then
        shows what was scanned, without a percentage."""
        try:
            return sum(repo.approximate_count() for repo in self._repos.values())
        except TableError:
            return None
