"""Reports (flags) and moderation cases, one partition per reported asset.

Items in the ``flags`` table, all under pk = ``<kind>#<asset id>``:

- sk = ``<reporter id>``: that member's report. One item per reporter and asset: a report counts in
  the round it was made in, so closing a case (a new round) lets the same members report again;
- sk = ``#case``: the case: state, round, distinct reporters, reasons, recent details, automatic
  reasons, the state the asset had before it was hidden, the decision. Undecided cases carry
  ``queue`` and ``opened_at``: the sparse by-queue index is the admin review queue, oldest first.

Case writes are optimistic (``version`` must still be what was read), and a report is written in
the same transaction as the case it is counted in, so the count of distinct reporters is exact.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.repositories.base import region, table_meta

CASE = "#case"
QUEUED = "open"  # the by-queue partition every undecided case is filed under
OPEN_STATES = ("open", "hidden")  # undecided: below the threshold / hidden pending review
_PK = re.compile(r"^(model|image)#[A-Za-z0-9_-]{1,64}$")


@dataclass
class Report:
    kind: str
    asset_id: str
    reporter_id: str
    reason: str
    details: str
    created_at: float
    round: int


@dataclass
class Case:
    kind: str
    asset_id: str
    owner_id: str
    opened_at: float
    state: str = "open"  # open | hidden | approved | removed | cleared
    round: int = 1
    version: int = 0  # 0: not stored yet
    reporter_count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    recent: list[dict] = field(default_factory=list)  # newest first: {reporterId, reason, details, at}
    auto_reasons: list[str] = field(default_factory=list)
    reviewed_auto: list[str] = field(default_factory=list)  # automatic reasons an administrator approved
    previous: dict | None = None  # {"visibility", "moderation"} of the asset when it was hidden
    first_reported_at: float | None = None
    last_reported_at: float | None = None
    hidden_at: float | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    note: str | None = None
    purged_at: float | None = None

    @property
    def undecided(self) -> bool:
        return self.state in OPEN_STATES


class CasesByQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    opened_at = NumberAttribute(range_key=True)


class CaseItem(Model):
    Meta = table_meta("flags")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    by_queue = CasesByQueue()
    queue = UnicodeAttribute(null=True)
    opened_at = NumberAttribute(null=True)
    kind = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    state = UnicodeAttribute()
    round = NumberAttribute()
    version = NumberAttribute()
    reporter_count = NumberAttribute(default=0)
    reasons = JSONAttribute(null=True)
    recent = JSONAttribute(null=True)
    auto_reasons = JSONAttribute(null=True)
    reviewed_auto = JSONAttribute(null=True)
    previous = JSONAttribute(null=True)
    first_reported_at = NumberAttribute(null=True)
    last_reported_at = NumberAttribute(null=True)
    hidden_at = NumberAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = NumberAttribute(null=True)
    note = UnicodeAttribute(null=True)
    purged_at = NumberAttribute(null=True)


class ReportItem(Model):
    Meta = table_meta("flags")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # reporter id
    reason = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    round = NumberAttribute()


def case_key(kind: str, asset_id: str) -> str:
    return f"{kind}#{asset_id}"


def valid_case_key(value) -> bool:
    return isinstance(value, str) and bool(_PK.match(value))


def _case(item: CaseItem) -> Case:
    return Case(kind=item.kind, asset_id=item.asset_id, owner_id=item.owner_id, opened_at=float(item.opened_at or 0),
                state=item.state, round=int(item.round), version=int(item.version),
                reporter_count=int(item.reporter_count or 0), reasons=dict(item.reasons or {}),
                recent=list(item.recent or []), auto_reasons=list(item.auto_reasons or []),
                reviewed_auto=list(item.reviewed_auto or []), previous=item.previous,
                first_reported_at=item.first_reported_at, last_reported_at=item.last_reported_at,
                hidden_at=item.hidden_at, decided_by=item.decided_by, decided_at=item.decided_at, note=item.note,
                purged_at=item.purged_at)


def _case_item(case: Case, version: int) -> CaseItem:
    undecided = case.undecided
    return CaseItem(case_key(case.kind, case.asset_id), CASE, queue=QUEUED if undecided else None,
                    opened_at=case.opened_at, kind=case.kind, asset_id=case.asset_id, owner_id=case.owner_id,
                    state=case.state, round=case.round, version=version, reporter_count=case.reporter_count,
                    reasons=case.reasons, recent=case.recent, auto_reasons=case.auto_reasons,
                    reviewed_auto=case.reviewed_auto, previous=case.previous,
                    first_reported_at=case.first_reported_at, last_reported_at=case.last_reported_at,
                    hidden_at=case.hidden_at, decided_by=case.decided_by, decided_at=case.decided_at,
                    note=case.note, purged_at=case.purged_at)


def _version_condition(case: Case):
    return CaseItem.sk.does_not_exist() if case.version == 0 else CaseItem.version == case.version


class ModerationRepository:
    def __init__(self) -> None:
        self._connection = Connection(region=region())

    def case(self, kind: str, asset_id: str) -> Case | None:
        try:
            return _case(CaseItem.get(case_key(kind, asset_id), CASE, consistent_read=True))
        except DoesNotExist:
            return None

    def save_case(self, case: Case) -> bool:
        """Write ``case`` if nobody changed it since it was read (False otherwise); bumps its version."""
        try:
            _case_item(case, case.version + 1).save(condition=_version_condition(case))
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        case.version += 1
        return True

    def add_report(self, report: Report, case: Case) -> str:
        """Store a report together with the case that counts it: ``added``, ``duplicate`` (this member
        already has a report in the case's current round) or ``changed`` (the case moved on: re-read)."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(ReportItem(case_key(report.kind, report.asset_id), report.reporter_id, reason=report.reason,
                                   details=report.details or None, created_at=report.created_at,
                                   round=report.round),
                        condition=ReportItem.sk.does_not_exist() | (ReportItem.round != report.round))
                tx.save(_case_item(case, case.version + 1), condition=_version_condition(case))
        except TransactWriteError as e:
            reasons = [r.code if r else None for r in (e.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "duplicate"
            if e.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                return "changed"
            raise
        case.version += 1
        return "added"

    def report(self, kind: str, asset_id: str, reporter_id: str) -> Report | None:
        try:
            item = ReportItem.get(case_key(kind, asset_id), reporter_id, consistent_read=True)
        except DoesNotExist:
            return None
        return Report(kind, asset_id, item.sk, item.reason, item.details or "", float(item.created_at), int(item.round))

    def queue_page(self, after: dict | None, limit: int, state: str | None = None,
                   kind: str | None = None) -> tuple[list[Case], dict | None]:
        """Undecided cases, oldest first, resuming after ``after`` ({"pk", "openedAt"}); the key to
        continue after the last case returned, None at the end."""
        flt = None
        if state is not None:
            flt = CaseItem.state == state
        if kind is not None:
            by_kind = CaseItem.kind == kind
            flt = by_kind if flt is None else flt & by_kind
        start = None
        if after is not None:
            start = {"pk": {"S": after["pk"]}, "sk": {"S": CASE}, "queue": {"S": QUEUED},
                     "opened_at": {"N": NumberAttribute().serialize(after["openedAt"])}}
        cases: list[Case] = []
        for item in CaseItem.by_queue.query(QUEUED, filter_condition=flt, last_evaluated_key=start,
                                            page_size=max(limit + 1, 25)):
            cases.append(_case(item))
            if len(cases) > limit:
                break
        if len(cases) > limit:
            cases = cases[:limit]
            last = cases[-1]
            return cases, {"pk": case_key(last.kind, last.asset_id), "openedAt": last.opened_at}
        return cases, None


# -- removed assets' storage (the scheduled cleanup) ------------------------------------------------
class RemovedCaseRepository:
    """Cases decided "removed" whose files are not purged yet, for the scheduled cleanup: a bounded,
    resumable Scan of the flags table (background job only)."""

    @staticmethod
    def scan_unpurged(decided_before: float, start: dict | None, page_size: int) -> tuple[list[Case], dict | None, int]:
        """Removed, unpurged cases decided before ``decided_before`` among at most ``page_size`` items
        examined after the key ``start`` ({"pk", "sk"}): (cases, key to resume after or None, examined)."""
        condition = ((CaseItem.sk == CASE) & (CaseItem.state == "removed") & CaseItem.purged_at.does_not_exist()
                     & (CaseItem.decided_at < decided_before))
        exclusive = {name: {"S": value} for name, value in start.items()} if start else None
        page = CaseItem._get_connection().scan(filter_condition=condition, limit=page_size,
                                               exclusive_start_key=exclusive)
        cases = [_case(CaseItem.from_raw_data(raw)) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return cases, ({"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None), int(page.get("ScannedCount", 0))

    @staticmethod
    def mark_purged(kind: str, asset_id: str, at: float) -> bool:
        """Record that the case's files are gone, once (False: already recorded, or no such case).
        Bumps the version like every case write, so an optimistic writer holding an older copy re-reads."""
        from pynamodb.exceptions import UpdateError

        try:
            CaseItem(case_key(kind, asset_id), CASE).update(
                actions=[CaseItem.purged_at.set(at), CaseItem.version.add(1)],
                condition=CaseItem.sk.exists() & CaseItem.purged_at.does_not_exist())
            return True
        except UpdateError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
