"""Scheduled cleanup jobs: storage nobody references, removed assets' files, expired items, old notifications.

Every job is

- bounded: at most ``limit`` items changed and at most ``scan_budget`` keys/items examined per run;
- resumable: where it walks a whole bucket or table, the point it stopped at is stored in the settings
  document ``cleanup#<job>`` and the next run continues there, wrapping around at the end;
- idempotent: it only deletes what its rule still holds for at the moment of the delete (conditional
  deletes, grace periods), so a second run right after finds nothing and reports zero;
- reporting: the report (counts, limit, ranAt, cursor, ``more``, errors) is filed with
  ``settings_service.record_schedule_run(job, report)`` and returned for the handler to log;
- robust: one bad item is counted under ``errors`` (with a few samples) and the run goes on.

The key layout of the media bucket (chalicelib/services/upload_service.py, functions/ingest/pipeline.py):
``incoming/<session id>/<n>-<name>`` uploads, ``assets/{versions,images}/<id>/...`` adopted files,
``derived/{versions,images}/<id>/...`` headers, thumbnails and metadata, ``system/...`` platform files.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.models import AssetStatus, ImageAsset, ModelVersion

log = logging.getLogger(__name__)

# Every scheduled job, in the order the admin system view lists them. Must match infra.resources.SCHEDULES
# (the application never imports infra/; a unit test keeps the two equal).
SCHEDULED_JOBS = ("sweep-jobs", "sweep-uploads", "push-dispatch", "ops-metrics", "cleanup-orphans",
                  "cleanup-removed", "cleanup-expired", "cleanup-notifications")

INCOMING_PREFIX = "incoming/"
SYSTEM_PREFIX = "system/"  # platform-owned (content-addressed workflows): never an orphan
ASSET_PREFIXES = {"assets/versions/": "version", "derived/versions/": "version",
                  "assets/images/": "image", "derived/images/": "image"}
TERMINAL_SESSION_STATUSES = ("completed", "aborted", "expired")
MAX_ERROR_SAMPLES = 5
LIST_PAGE = 1000  # ListObjectsV2 maximum
SCAN_PAGE = 500
DAY = 86400


@dataclass(frozen=True)
class CleanupOptions:
    """Grace and retention periods (seconds) and the per-run examination budget."""

    orphan_grace: float = DAY  # an object with no record younger than this is never touched
    incoming_retention: float = 3 * DAY  # uploads of completed sessions (the bucket's incoming/ lifecycle rule)
    removed_retention: float = DAY  # moderation-removed files and replaced avatars kept this long
    upload_record_retention: float = 7 * DAY  # terminal upload sessions, counted from their expiry
    read_notification_retention: float = 30 * DAY
    unread_notification_retention: float = 90 * DAY  # below the table's 180-day TTL, which miscounts unread ones
    scan_budget: int = 10_000  # keys or items examined per run


def image_object_keys(image: ImageAsset) -> list[str]:
    """Every stored object an image record references (as asset_service deletes them)."""
    keys = [image.key] if image.key else []
    keys += [t["key"] for t in (image.thumbnails or {}).values() if isinstance(t, dict) and t.get("key")]
    raw = (image.meta or {}).get("rawKey")
    return keys + ([raw] if raw else [])


def version_object_keys(version: ModelVersion) -> list[str]:
    return [k for k in (version.key, version.header_key) if k]


def owner_of_key(key: str) -> tuple[str, str] | None:
    """(record kind, record id) a media-bucket key belongs to under the storage layout, or None when
    the layout does not say (such keys are never deleted). Kinds: session, version, image, system."""
    if key.startswith(SYSTEM_PREFIX):
        return "system", ""
    if key.startswith(INCOMING_PREFIX):
        record_id, sep, rest = key[len(INCOMING_PREFIX):].partition("/")
        return ("session", record_id) if record_id and sep and rest else None
    for prefix, kind in ASSET_PREFIXES.items():
        if key.startswith(prefix):
            record_id, sep, rest = key[len(prefix):].partition("/")
            return (kind, record_id) if record_id and sep and rest else None
    return None


def orphan_reason(key: str, modified: float, now: float, options: CleanupOptions, records: dict) -> str | None:
    """Why ``key`` may be deleted ("no-record", "superseded", "closed-session"), or None to keep it.

    ``records``: kind -> {id: record} for the ids this page's keys name (absent: no such record)."""
    if now - modified < options.orphan_grace:
        return None  # young: an upload or ingest may still be writing the record that owns it
    owner = owner_of_key(key)
    if owner is None or owner[0] == "system":
        return None
    kind, record_id = owner
    record = records.get(kind, {}).get(record_id)
    if kind == "session":
        if record is None:
            return "no-record"
        if record.status == "open":
            return None  # the session's own expiry (sweep-uploads) decides about it
        if record.status == "completed" and now - modified < options.incoming_retention:
            return None  # adopted copies exist; the original stays as long as the bucket lifecycle keeps it
        return "closed-session"
    if record is None:
        return "no-record"
    if record.status == AssetStatus.PROCESSING:
        return None  # ingest is (or will be) writing the keys it references
    referenced = image_object_keys(record) if kind == "image" else version_object_keys(record)
    return None if key in referenced else "superseded"


class _Run:
    """One job run's report under construction."""

    def __init__(self, limit: int, now: float) -> None:
        self.report: dict = {"ranAt": now, "limit": limit, "count": 0, "examined": 0, "errors": 0, "errorSamples": []}

    def add(self, name: str, n: int = 1) -> None:
        self.report[name] = self.report.get(name, 0) + n

    def fail(self, what: str, error: Exception) -> None:
        self.report["errors"] += 1
        if len(self.report["errorSamples"]) < MAX_ERROR_SAMPLES:
            self.report["errorSamples"].append(f"{what}: {type(error).__name__}: {error}"[:300])
        log.warning("cleanup item failed", extra={"item": what, "error": repr(error)})


class CleanupService:
    def __init__(self, *, storage, bucket: str, catalog, cleanup_catalog, users, removed_cases, purge_files,
                 expiring: list, notifications, notification_retention, state, reports,
                 options: CleanupOptions | None = None, clock: Callable[[], float] = time.time) -> None:
        self._storage = storage
        self._bucket = bucket
        self._catalog = catalog  # models, versions, images, sessions repositories
        self._cleanup_catalog = cleanup_catalog  # scans and conditional deletes of the catalog
        self._users = users
        self._removed_cases = removed_cases
        self._purge_files = purge_files  # (kind, asset) -> objects deleted (asset_service.purge_files)
        self._expiring = expiring  # ExpiringItemRepository per TTL table
        self._notifications = notifications  # unread counters and read-all watermarks
        self._notification_retention = notification_retention
        self._state = state  # settings repository: resume points
        self._reports = reports  # settings service: record_schedule_run / schedule_run
        self.options = options or CleanupOptions()
        self._clock = clock

    # -- the system view ---------------------------------------------------------------------------
    def last_reports(self) -> list[dict]:
        """The last report of every scheduled job: [{name, ranAt, report}] in SCHEDULED_JOBS order
        (ranAt and report None for a job that has not reported yet)."""
        out = []
        for name in SCHEDULED_JOBS:
            report = self._reports.schedule_run(name)
            out.append({"name": name, "ranAt": (report or {}).get("ranAt"), "report": report})
        return out

    # -- shared ------------------------------------------------------------------------------------
    def _resume_point(self, job: str) -> dict:
        return self._state.get(f"cleanup#{job}") or {}

    def _save_resume_point(self, job: str, point: dict) -> None:
        self._state.put(f"cleanup#{job}", {k: v for k, v in point.items() if v is not None})

    def _finish(self, job: str, run: _Run, cursor, more: bool) -> dict:
        run.report.update(cursor=cursor, more=more)
        self._reports.record_schedule_run(job, run.report)
        return run.report

    # -- cleanup-orphans ---------------------------------------------------------------------------
    def cleanup_orphans(self, limit: int) -> dict:
        """Delete media objects no record owns (or that their settled record no longer references) once
        they are older than the grace period. Walks the bucket in key order from where the last run stopped."""
        now, options = self._clock(), self.options
        run = _Run(limit, now)
        run.report.update(graceSeconds=options.orphan_grace, deleted=0, young=0, kept=0, unrecognized=0)
        after = self._resume_point("cleanup-orphans").get("after")
        run.report["startAfter"] = after
        more = True
        while run.report["count"] < limit and run.report["examined"] < options.scan_budget:
            try:
                page, next_after = self._storage.list_after(
                    self._bucket, after, min(LIST_PAGE, options.scan_budget - run.report["examined"]))
            except Exception as e:  # the listing itself failed: nothing more this run
                run.fail("list", e)
                break
            stopped_at = self._orphan_page(page, now, limit, run)
            if stopped_at is not None:
                after = stopped_at
                break
            if next_after is None:
                after, more = None, False  # end of the bucket: the next run starts over
                run.report["wrapped"] = True
                break
            after = next_after
        self._save_resume_point("cleanup-orphans", {"after": after})
        return self._finish("cleanup-orphans", run, after, more)

    def _orphan_page(self, page: list[tuple[str, float]], now: float, limit: int, run: _Run) -> str | None:
        """Handle one listing page; the key to resume after when the deletion limit stopped it midway."""
        wanted: dict[str, set[str]] = {"session": set(), "version": set(), "image": set()}
        for key, modified in page:
            owner = owner_of_key(key)
            if owner and owner[0] in wanted and now - modified >= self.options.orphan_grace:
                wanted[owner[0]].add(owner[1])
        repos = {"session": self._catalog.sessions, "version": self._catalog.versions, "image": self._catalog.images}
        records = {}
        try:
            records = {kind: repos[kind].get_many(ids) if ids else {} for kind, ids in wanted.items()}
        except Exception as e:
            run.fail("record lookup", e)
            run.report["examined"] += len(page)
            return page[-1][0] if page else None  # skip the page rather than judge it without its records
        doomed: list[tuple[str, str]] = []
        stopped_at = None
        for key, modified in page:
            run.report["examined"] += 1
            reason = orphan_reason(key, modified, now, self.options, records)
            if reason is None:
                owner = owner_of_key(key)
                run.add("young" if owner and owner[0] != "system" and now - modified < self.options.orphan_grace
                        else "unrecognized" if owner is None else "kept")
                continue
            doomed.append((key, reason))
            if len(doomed) + run.report["count"] >= limit:
                stopped_at = key
                break
        if doomed:
            try:
                failed = set(self._storage.delete_reporting(self._bucket, [k for k, _ in doomed]))
            except Exception as e:  # the whole batch failed: one error, the next pass tries again
                run.fail(f"delete {len(doomed)} keys", e)
                return stopped_at
            for key, reason in doomed:
                if key in failed:
                    run.fail(key, RuntimeError("the store refused the delete"))
                    continue
                run.add("count")
                run.add("deleted")
                run.add(reason)
        return stopped_at

    # -- cleanup-removed ---------------------------------------------------------------------------
    def cleanup_removed(self, limit: int) -> dict:
        """Files of assets removed by moderation whose purge task never ran (lost, dead-lettered), once
        the retention period after the decision has passed; then avatars that were replaced. Records
        stay consistent: a purged case gets ``purgedAt`` (never examined again), a replaced avatar's
        record goes before its files (never a record whose files are gone)."""
        now, options = self._clock(), self.options
        run = _Run(limit, now)
        run.report.update(retentionSeconds=options.removed_retention, purgedAssets=0, objects=0,
                          replacedAvatars=0, skipped=0)
        point = self._resume_point("cleanup-removed")
        phase, start = point.get("phase", "cases"), point.get("after")
        cutoff = now - options.removed_retention
        more = True
        while run.report["count"] < limit and run.report["examined"] < options.scan_budget:
            page_size = min(SCAN_PAGE, options.scan_budget - run.report["examined"])
            try:
                if phase == "cases":
                    found, next_start, scanned = self._removed_cases.scan_unpurged(cutoff, start, page_size)
                else:
                    found, next_start, scanned = self._cleanup_catalog.scan_avatar_images(cutoff, start, page_size)
            except Exception as e:
                run.fail(f"scan {phase}", e)
                break
            run.report["examined"] += scanned
            stopped_at = None
            for item in found:
                handled = self._purge_case(item, now, run) if phase == "cases" else self._drop_replaced_avatar(item, run)
                if handled:
                    run.add("count")
                if run.report["count"] >= limit:
                    stopped_at = {"pk": f"{item.kind}#{item.asset_id}", "sk": "#case"} if phase == "cases" \
                        else {"pk": item.id}
                    break
            if stopped_at is not None:
                start = stopped_at
                break
            if next_start is None:
                if phase == "cases":
                    phase, start = "avatars", None
                    continue
                phase, start, more = "cases", None, False
                run.report["wrapped"] = True
                break
            start = next_start
        self._save_resume_point("cleanup-removed", {"phase": phase, "after": start})
        return self._finish("cleanup-removed", run, {"phase": phase, "after": start}, more)

    def _purge_case(self, case, now: float, run: _Run) -> bool:
        repo = self._catalog.models if case.kind == "model" else self._catalog.images
        try:
            asset = repo.get(case.asset_id)
            if asset is not None and asset.moderation != "removed":
                run.add("skipped")  # a removed asset is final; a case that disagrees is left for a person
                return False
            if asset is not None:
                run.add("objects", self._purge_files(case.kind, asset))  # also clears the records' keys
            # A deleted asset's files went with its deletion (or are orphans for cleanup-orphans).
            self._removed_cases.mark_purged(case.kind, case.asset_id, now)
        except Exception as e:
            run.fail(f"{case.kind} {case.asset_id}", e)
            return False
        run.add("purgedAssets")
        return True

    def _drop_replaced_avatar(self, image: ImageAsset, run: _Run) -> bool:
        try:
            owner = self._users.get(image.owner_id)
            if owner is not None and owner.avatar_image_id == image.id:
                return False  # the current avatar
            # Record first: a failure afterwards leaves unreferenced objects for cleanup-orphans.
            if not self._cleanup_catalog.delete_image_if_unchanged(image):
                run.add("skipped")
                return False
            keys = image_object_keys(image)
            failed = self._storage.delete_reporting(self._bucket, keys) if keys else []
            if failed:
                raise RuntimeError(f"storage refused {len(failed)} of {len(keys)} objects")
            run.add("objects", len(keys))
        except Exception as e:
            run.fail(f"avatar {image.id}", e)
            return False
        run.add("replacedAvatars")
        return True

    # -- cleanup-expired ---------------------------------------------------------------------------
    def cleanup_expired(self, limit: int) -> dict:
        """Items past their ``expires_at`` that DynamoDB's TTL has not removed yet (it lags by up to days and
        does not run on local stacks), table by table from where the last run stopped; then upload
        sessions closed longer ago than the upload record retention."""
        now, options = self._clock(), self.options
        run = _Run(limit, now)
        run.report.update(deleted={kind.kind.name: 0 for kind in self._expiring}, renewed=0, uploadSessions=0)
        point = self._resume_point("cleanup-expired")
        source, start = int(point.get("source", 0)), point.get("after")
        if not 0 <= source <= len(self._expiring):
            source, start = 0, None
        while source < len(self._expiring) and run.report["count"] < limit \
                and run.report["examined"] < options.scan_budget:
            repo = self._expiring[source]
            try:
                keys, next_start, scanned = repo.scan_expired(
                    now, start, min(SCAN_PAGE, options.scan_budget - run.report["examined"]))
            except Exception as e:
                run.fail(f"scan {repo.kind.name}", e)
                source, start = source + 1, None  # one broken table must not starve the others
                continue
            run.report["examined"] += scanned
            stopped_at = None
            for key in keys:
                try:
                    if repo.delete_if_expired(key, now):
                        run.add("count")
                        run.report["deleted"][repo.kind.name] += 1
                    else:
                        run.add("renewed")
                except Exception as e:
                    run.fail(f"{repo.kind.name} {key}", e)
                if run.report["count"] >= limit:
                    stopped_at = key
                    break
            if stopped_at is not None:
                start = stopped_at
                break
            source, start = (source, next_start) if next_start is not None else (source + 1, None)
        if source >= len(self._expiring) and run.report["count"] < limit:
            self._drop_closed_sessions(now, limit, run)
            source, start = 0, None  # every table walked: the next run starts over
            run.report["wrapped"] = True
        more = not run.report.get("wrapped") or run.report["count"] >= limit
        self._save_resume_point("cleanup-expired", {"source": source, "after": start})
        return self._finish("cleanup-expired", run, {"source": source, "after": start}, more)

    def _drop_closed_sessions(self, now: float, limit: int, run: _Run) -> None:
        """Upload session records closed long ago (a Query of the status/expiry index, no Scan): their
        leftover uploads, then the record (only while it still has the status it was found with)."""
        cutoff = now - self.options.upload_record_retention
        for status in TERMINAL_SESSION_STATUSES:
            remaining = limit - run.report["count"]
            if remaining <= 0:
                return
            try:
                sessions = self._catalog.sessions.expired(status, cutoff, remaining)
            except Exception as e:
                run.fail(f"query {status} sessions", e)
                continue
            for session in sessions:
                try:
                    self._storage.delete_prefix(self._bucket, f"{INCOMING_PREFIX}{session.id}/")
                    if self._cleanup_catalog.delete_session_if_status(session.id, status):
                        run.add("count")
                        run.add("uploadSessions")
                except Exception as e:
                    run.fail(f"session {session.id}", e)

    # -- cleanup-notifications ---------------------------------------------------------------------
    def cleanup_notifications(self, limit: int) -> dict:
        """Read notifications older than the read retention and unread ones older than the unread
        retention; an unread one is deleted together with its count (unread counters stay exact)."""
        now, options = self._clock(), self.options
        run = _Run(limit, now)
        run.report.update(readDeleted=0, unreadDeleted=0, raced=0, keptUnread=0,
                          readRetentionSeconds=options.read_notification_retention,
                          unreadRetentionSeconds=options.unread_notification_retention)
        start = self._resume_point("cleanup-notifications").get("after")
        read_cutoff = now - options.read_notification_retention
        unread_cutoff = now - options.unread_notification_retention
        watermarks: dict[str, dict] = {}
        more = True
        while run.report["count"] < limit and run.report["examined"] < options.scan_budget:
            try:
                found, next_start, scanned = self._notification_retention.scan_older_than(
                    max(read_cutoff, unread_cutoff), start, min(SCAN_PAGE, options.scan_budget - run.report["examined"]))
            except Exception as e:
                run.fail("scan notifications", e)
                break
            run.report["examined"] += scanned
            stopped_at = None
            for n in found:
                if self._drop_notification(n, read_cutoff, unread_cutoff, watermarks, run):
                    run.add("count")
                if run.report["count"] >= limit:
                    stopped_at = {"pk": n.user_id, "sk": f"N#{n.id}"}
                    break
            if stopped_at is not None:
                start = stopped_at
                break
            if next_start is None:
                start, more = None, False
                run.report["wrapped"] = True
                break
            start = next_start
        self._save_resume_point("cleanup-notifications", {"after": start})
        return self._finish("cleanup-notifications", run, start, more)

    def _drop_notification(self, n, read_cutoff: float, unread_cutoff: float, watermarks: dict, run: _Run) -> bool:
        try:
            if n.user_id not in watermarks:
                watermarks[n.user_id] = self._notifications.counts(n.user_id)[1]
            mark = watermarks[n.user_id].get(n.category)
            read = n.read or (mark is not None and n.id <= mark)
            if read:
                if n.created_at >= read_cutoff:
                    return False
                if self._notification_retention.delete_counted_read(n.user_id, n.id, flagged_read=n.read):
                    run.add("readDeleted")
                    return True
                return False
            if n.created_at >= unread_cutoff:
                run.add("keptUnread")
                return False
            if self._notification_retention.delete_unread(n):
                run.add("unreadDeleted")
                return True
            run.add("raced")  # read, marked read or deleted meanwhile: the next pass decides again
            watermarks.pop(n.user_id, None)
            return False
        except Exception as e:
            run.fail(f"notification {n.user_id}/{n.id}", e)
            return False
