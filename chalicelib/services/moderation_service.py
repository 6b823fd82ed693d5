"""Reports (flags), the review queue and moderation decisions (see docs/decisions.md "Flags and moderation").

- Members report what they can see in full, once per asset and review round, within a rate limit.
  One report hides nothing: an asset is hidden pending review (moderation ``flagged``) when the
  number of distinct reporters reaches the configurable threshold, at once when an administrator
  reports it, or when the safety job flags it (``auto_flag``).
- Hiding never touches the asset's visibility; the case records it, and approval restores it.
- Approve: the asset is active again, the case closes (a new round: the same members may report
  again later). Remove: soft state ``removed`` (the record stays for administrators), files deleted
  by the ``purge-asset`` background task, the model's gallery entries dropped.
- The owner is told about hiding and decisions, never who reported; reporters' e-mails appear nowhere.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.models import ImageAsset, ModelAsset, Role, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.services.visibility import FULL, access, can_view

KINDS = ("model", "image")
REASONS = ("adult-unmarked", "illegal", "copyright", "spam", "harassment", "other")
STATES = ("open", "hidden")
SETTINGS_KEY = "moderation"
DEFAULT_THRESHOLD = 3
DEFAULT_FLAGS_PER_HOUR = 10
THRESHOLD_RANGE = (1, 100)
FLAGS_PER_HOUR_RANGE = (1, 1000)
RATE_WINDOW = 3600
MAX_DETAILS = 1000
MIN_OTHER_DETAILS = 3
NOTE_RANGE = (3, 1000)
RECENT_KEPT = 5  # latest report details kept on the case for the queue
SNIPPET = 200
MAX_AUTO_REASONS = 20
WRITE_RETRIES = 6
NOUNS = {"model": "Model", "image": "Image"}
# Control characters break the review screen; lone surrogates (valid JSON escapes) cannot even be stored.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class ModerationSettings:
    flag_threshold: int = DEFAULT_THRESHOLD
    flags_per_hour: int = DEFAULT_FLAGS_PER_HOUR


@dataclass
class CaseView:
    case: object  # repositories.moderation.Case
    asset: ModelAsset | ImageAsset | None  # None: the asset was deleted by its owner meanwhile
    owner: User | None
    thumbnail: dict = field(default_factory=dict)
    reporters: dict[str, User] = field(default_factory=dict)


def _records():
    """The moderation repository module (record types, no I/O at import beyond table names)."""
    from chalicelib.repositories import moderation

    return moderation


def clean_details(reason: str, details: str | None) -> str:
    """Validate a report's reason and details; "other" needs a few words of explanation."""
    if reason not in REASONS:
        raise ValidationError(f"reason must be one of {', '.join(REASONS)}", field="reason")
    if _CONTROL.search(details or ""):
        raise ValidationError("details contain control characters", field="details")
    text = " ".join((details or "").split())
    if len(text) > MAX_DETAILS:
        raise ValidationError(f"details are at most {MAX_DETAILS} characters", field="details")
    if reason == "other" and len(text) < MIN_OTHER_DETAILS:
        raise ValidationError("Describe the problem when the reason is \"other\"", field="details")
    return text


def clean_note(note: str | None, required: bool) -> str:
    text = (note or "").strip()
    if _CONTROL.search(text):
        raise ValidationError("The note contains control characters", field="note")
    low, high = NOTE_RANGE
    if required and len(text) < low:
        raise ValidationError(f"A note of at least {low} characters is required", field="note")
    if len(text) > high:
        raise ValidationError(f"The note is at most {high} characters", field="note")
    return text


def snippet(text: str, limit: int = SNIPPET) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_auto_reasons(reasons) -> list[str]:
    if isinstance(reasons, str) or not isinstance(reasons, list | tuple | set):
        raise ValueError("reasons must be a list of strings")
    cleaned = sorted({" ".join(str(r).split())[:200] for r in reasons if str(r).strip()})
    if not cleaned:
        raise ValueError("at least one reason is needed")
    return cleaned[:MAX_AUTO_REASONS]


def reaches_threshold(count: int, threshold: int, by_admin: bool) -> bool:
    return by_admin or count >= threshold


def queue_cursor_key(key: dict | None) -> dict | None:
    """A decoded queue cursor, checked: it becomes a DynamoDB start key."""
    if key is None:
        return None
    pk, opened_at = key.get("pk"), key.get("openedAt")
    if (not _records().valid_case_key(pk) or isinstance(opened_at, bool)
            or not isinstance(opened_at, int | float) or not 0 <= opened_at < 1e11):
        raise ValidationError("Malformed cursor", field="cursor")
    return {"pk": pk, "openedAt": opened_at}


class ModerationService:
    def __init__(self, repo, models, versions, images, users, settings_repo, limiter, indexer, notifications, audit,
                 galleries, catalog, assets, queue_task, clock=time.time) -> None:
        self._repo = repo
        self._assets = {"model": models, "image": images}
        self._versions = versions
        self._images = images
        self._users = users
        self._settings = settings_repo
        self._limiter = limiter
        self._indexer = indexer
        self._notifications = notifications  # () -> notification service
        self._audit = audit  # () -> audit service
        self._galleries = galleries  # () -> gallery service (holds, entries of removed models)
        self._catalog = catalog  # () -> catalog service (thumbnail URLs)
        self._asset_service = assets  # () -> asset service (storage deletion)
        self._queue_task = queue_task  # (message) -> queues a background task
        self._clock = clock

    # -- settings ---------------------------------------------------------------------------
    def settings(self) -> ModerationSettings:
        stored = self._settings.get(SETTINGS_KEY) or {}
        out = ModerationSettings()
        for name, key in (("flag_threshold", "flagThreshold"), ("flags_per_hour", "flagsPerHour")):
            value = stored.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                setattr(out, name, int(value))
        return out

    def update_settings(self, admin: User, flag_threshold: int | None = None,
                        flags_per_hour: int | None = None) -> ModerationSettings:
        current = self.settings()
        changes = {}
        for name, value, (low, high) in (("flag_threshold", flag_threshold, THRESHOLD_RANGE),
                                         ("flags_per_hour", flags_per_hour, FLAGS_PER_HOUR_RANGE)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                field_name = "flagThreshold" if name == "flag_threshold" else "flagsPerHour"
                raise ValidationError(f"{field_name} must be an integer from {low} to {high}", field=field_name)
            changes[name] = value
        updated = replace(current, **changes)
        if changes:
            self._settings.put(SETTINGS_KEY, {"flagThreshold": updated.flag_threshold,
                                              "flagsPerHour": updated.flags_per_hour})
            self._audit().record(admin, "moderation.settings", "settings", SETTINGS_KEY,
                                 {"flagThreshold": updated.flag_threshold, "flagsPerHour": updated.flags_per_hour})
        return updated

    # -- lookups ----------------------------------------------------------------------------
    def _asset(self, kind: str, asset_id: str):
        if kind not in KINDS:
            raise NotFound("Nothing to moderate here")
        asset = self._assets[kind].get(asset_id)
        # Previews, covers and avatars are parts of a model, gallery or profile: reports go to those.
        if isinstance(asset, ImageAsset) and asset.purpose != "image":
            return None
        return asset

    def _new_case(self, kind: str, asset, now: float):
        return _records().Case(kind=kind, asset_id=asset.id, owner_id=asset.owner_id, opened_at=now)

    @staticmethod
    def _reopen(case, now: float):
        """A closed case receives new reports: a fresh round (its round was advanced when it closed)."""
        case.state, case.opened_at = "open", now
        case.reporter_count, case.reasons, case.recent, case.auto_reasons = 0, {}, [], []
        case.first_reported_at = case.last_reported_at = case.hidden_at = None
        case.previous = case.decided_by = case.decided_at = case.note = None
        return case

    # -- reports ----------------------------------------------------------------------------
    def flag(self, viewer: User, kind: str, asset_id: str, reason: str, details: str | None):
        """Report an asset. Returns the stored report."""
        text = clean_details(reason, details)
        asset = self._asset(kind, asset_id)
        noun = NOUNS.get(kind, "Asset")
        if asset is None or not can_view(viewer, asset):
            raise NotFound(f"{noun} not found")
        if asset.owner_id == viewer.id:
            raise Forbidden(f"You cannot report your own {kind}")
        if access(viewer, asset) != FULL:
            raise NotFound(f"{noun} not found")
        if asset.moderation == "removed":
            raise Conflict(f"This {kind} was already removed")
        settings = self.settings()
        by_admin = viewer.role >= Role.ADMIN
        if not by_admin:  # administrators could take the asset down directly; their reports are not limited
            self._limiter.check("flag", viewer.id, settings.flags_per_hour, RATE_WINDOW)
        records = _records()
        for _ in range(WRITE_RETRIES):
            now = self._clock()
            case = self._repo.case(kind, asset.id)
            if case is None:
                case = self._new_case(kind, asset, now)
            elif not case.undecided:
                if case.state == "removed":
                    raise Conflict(f"This {kind} was already removed")
                case = self._reopen(case, now)
            report = records.Report(kind, asset.id, viewer.id, reason, text, now, case.round)
            case.reporter_count += 1
            case.reasons[reason] = case.reasons.get(reason, 0) + 1
            case.recent = [{"reporterId": viewer.id, "reason": reason, "details": snippet(text), "at": now},
                           *case.recent][:RECENT_KEPT]
            case.first_reported_at = case.first_reported_at or now
            case.last_reported_at = now
            newly_hidden = case.state == "open" and reaches_threshold(case.reporter_count, settings.flag_threshold,
                                                                      by_admin)
            if newly_hidden:
                self._mark_hidden(case, asset, now)
            outcome = self._repo.add_report(report, case)
            if outcome == "added":
                break
            current, mine = self._repo.case(kind, asset.id), self._repo.report(kind, asset.id, viewer.id)
            if outcome == "duplicate" or (mine and current and current.undecided and mine.round == current.round):
                raise Conflict(f"You have already reported this {kind}; it is waiting for review")
        else:
            raise Conflict("This asset is being reported by many people right now; try again")
        if not by_admin:
            self._limiter.hit("flag", viewer.id, RATE_WINDOW)
        if case.state == "hidden":
            self._hide(kind, asset, newly_hidden, case)
        if by_admin:
            self._audit().record(viewer, "moderation.flag", kind, asset.id, {"reason": reason})
        return report

    @staticmethod
    def _mark_hidden(case, asset, now: float) -> None:
        case.state, case.hidden_at = "hidden", now
        case.previous = {"visibility": asset.visibility}

    def _hide(self, kind: str, asset, newly: bool, case) -> None:
        """Make the asset ``flagged`` (idempotent: every report on a hidden case re-asserts it, so an
        interrupted hide completes with the next report), hold galleries, tell the owner and admins."""
        fresh = self._assets[kind].get(asset.id)
        if fresh is None or fresh.moderation == "removed":
            return
        changed = fresh.moderation != "flagged"
        if changed:
            self._assets[kind].update(asset.id, moderation="flagged", updated_at=self._clock())
            self._follow(kind, fresh, "flagged")
        if kind == "model" and (changed or newly):
            self._galleries().hold_model(asset.id)
        self._indexer.refresh_or_queue(kind, asset.id)
        if not newly:
            return
        title = snippet(fresh.title, 120)
        link = {"kind": kind, "id": asset.id}
        self._notifications().notify(
            fresh.owner_id, "moderation", "moderation-flagged", f"Your {kind} “{title}” is in audit",
            "It is hidden from the community until an administrator has reviewed it. You will be told the outcome.",
            link=link)
        reasons = ", ".join([*(f"{r} ×{n}" for r, n in sorted(case.reasons.items())), *case.auto_reasons])
        self._notifications().notify_admins(
            "moderation", "moderation-queue", f"{NOUNS[kind]} “{title}” needs review",
            f"Hidden pending review ({reasons or 'reported'}).", link={"kind": "moderation", "id": f"{kind}#{asset.id}"})

    def _follow(self, kind: str, asset, moderation: str, visibility: str | None = None) -> None:
        """A model's preview images share its review state (they are served as its cover and as
        gallery covers), so a hidden model's previews are hidden too."""
        if kind != "model":
            return
        ids = {asset.cover_image_id} | {v.cover_image_id for v in self._versions.for_model(asset.id)}
        fields: dict = {"moderation": moderation}
        if visibility is not None:
            fields["visibility"] = visibility
        for image_id in sorted(i for i in ids if i):
            self._images.update(image_id, **fields)

    # -- decisions --------------------------------------------------------------------------
    def _open_case(self, kind: str, asset_id: str):
        """The undecided case of an asset (an asset flagged without a case gets an implicit one)."""
        asset = self._asset(kind, asset_id)
        case = self._repo.case(kind, asset_id)
        if case is None:
            if asset is None:
                raise NotFound(f"{NOUNS.get(kind, 'Asset')} not found")
            if asset.moderation != "flagged":
                raise Conflict(f"This {kind} has no open reports; report it first to open a case")
            case = self._new_case(kind, asset, self._clock())
            self._mark_hidden(case, asset, case.opened_at)
        elif not case.undecided:
            raise Conflict(f"This case was already decided ({case.state})")
        return case, asset

    def _decide(self, admin: User, kind: str, asset_id: str, state: str, note: str):
        for _ in range(WRITE_RETRIES):
            case, asset = self._open_case(kind, asset_id)
            was_hidden = case.state == "hidden" or (asset is not None and asset.moderation == "flagged")
            case.state, case.decided_by, case.decided_at, case.note = state, admin.id, self._clock(), note or None
            if state == "approved":
                case.reviewed_auto = sorted(set(case.reviewed_auto) | set(case.auto_reasons))
            case.round += 1  # later reports, by anyone, open a new round
            if self._repo.save_case(case):
                return case, asset, was_hidden
        raise Conflict("The case changed meanwhile; reload it and try again")

    def approve(self, admin: User, kind: str, asset_id: str, note: str | None) -> CaseView:
        text = clean_note(note, required=False)
        case, asset, was_hidden = self._decide(admin, kind, asset_id, "approved", text)
        if asset is not None and asset.moderation == "flagged":
            self._restore(kind, asset, case)
        self._audit().record(admin, "moderation.approve", kind, asset_id, self._audit_details(case))
        if asset is not None and was_hidden:
            self._notifications().notify(
                asset.owner_id, "moderation", "moderation-approved",
                f"Your {kind} “{snippet(asset.title, 120)}” was approved",
                text or "An administrator reviewed it; it is visible again as before.",
                link={"kind": kind, "id": asset.id})
        return self._view(case)

    def _restore(self, kind: str, asset, case) -> None:
        visibility = (case.previous or {}).get("visibility") or asset.visibility
        self._assets[kind].update(asset.id, moderation="active", visibility=visibility, updated_at=self._clock())
        self._follow(kind, asset, "active", visibility)
        if kind == "model":
            self._galleries().release_model(asset.id)
        self._indexer.refresh_or_queue(kind, asset.id)

    def remove(self, admin: User, kind: str, asset_id: str, note: str | None) -> CaseView:
        text = clean_note(note, required=True)
        case, asset, _ = self._decide(admin, kind, asset_id, "removed", text)
        if asset is not None:
            self._assets[kind].update(asset.id, moderation="removed", updated_at=self._clock())
            self._follow(kind, asset, "removed")
            self._indexer.refresh_or_queue(kind, asset.id)
            if kind == "model":
                self._galleries().drop_removed_model(asset.id)
            else:
                self._galleries().unlink_everywhere("image", asset.id)
            self._queue_task({"task": "purge-asset", "kind": kind, "id": asset.id})
        self._audit().record(admin, "moderation.remove", kind, asset_id, self._audit_details(case))
        if asset is not None:
            self._notifications().notify(
                asset.owner_id, "moderation", "moderation-removed",
                f"Your {kind} “{snippet(asset.title, 120)}” was removed", text,
                link={"kind": kind, "id": asset.id})
        return self._view(case)

    @staticmethod
    def _audit_details(case) -> dict:
        return {"note": case.note, "reporters": case.reporter_count, "reasons": case.reasons,
                "autoReasons": case.auto_reasons, "round": case.round - 1}

    def purge(self, kind: str, asset_id: str) -> int:
        """The files of a removed asset (background task, idempotent); the record stays. Returns the
        number of objects deleted (0 when the asset is not removed: nothing to do)."""
        asset = self._assets[kind].get(asset_id) if kind in KINDS else None
        if asset is None or asset.moderation != "removed":
            return 0
        deleted = self._asset_service().purge_files(kind, asset)
        for _ in range(WRITE_RETRIES):
            case = self._repo.case(kind, asset_id)
            if case is None or case.purged_at:
                break
            case.purged_at = self._clock()
            if self._repo.save_case(case):
                break
        return deleted

    # -- the safety job ---------------------------------------------------------------------
    def auto_flag(self, kind: str, asset_id: str, reasons: list[str]) -> bool:
        """Automatic screening found ``reasons``: hide the asset and queue it for review. Reasons an
        administrator already approved for this asset do not hide it again. True if anything changed."""
        wanted = clean_auto_reasons(reasons)
        asset = self._asset(kind, asset_id)
        if asset is None or asset.moderation == "removed":
            return False
        for _ in range(WRITE_RETRIES):
            now = self._clock()
            case = self._repo.case(kind, asset.id)
            if case is None:
                case = self._new_case(kind, asset, now)
            if case.state == "removed":
                return False
            fresh = sorted(set(wanted) - set(case.reviewed_auto) - set(case.auto_reasons if case.undecided else []))
            if not fresh:
                if case.state == "hidden":
                    self._hide(kind, asset, False, case)
                return False
            if not case.undecided:
                case = self._reopen(case, now)
            case.auto_reasons = sorted(set(case.auto_reasons) | set(fresh))
            newly_hidden = case.state != "hidden"
            if newly_hidden:
                self._mark_hidden(case, asset, now)
            if self._repo.save_case(case):
                self._hide(kind, asset, newly_hidden, case)
                return True
        raise Conflict("The case changed meanwhile")

    def auto_clear(self, kind: str, asset_id: str) -> bool:
        """Screening no longer objects: un-hide an automatically hidden asset, unless members' reports
        are open on it or an administrator decided. True if it was restored."""
        asset = self._asset(kind, asset_id)
        for _ in range(WRITE_RETRIES):
            case = self._repo.case(kind, asset_id)
            if case is None or case.state != "hidden" or not case.auto_reasons or case.reporter_count > 0:
                return False
            case.state, case.decided_at, case.round = "cleared", self._clock(), case.round + 1
            if self._repo.save_case(case):
                break
        else:
            raise Conflict("The case changed meanwhile")
        if asset is not None and asset.moderation == "flagged":
            self._restore(kind, asset, case)
            self._notifications().notify(
                asset.owner_id, "moderation", "moderation-cleared",
                f"Your {kind} “{snippet(asset.title, 120)}” is visible again",
                "The automatic screening that held it no longer applies.", link={"kind": kind, "id": asset.id})
        return True

    # -- the queue --------------------------------------------------------------------------
    def queue(self, kind: str | None, state: str | None, cursor: str | None,
              page_size: int) -> tuple[list[CaseView], str | None]:
        if kind is not None and kind not in KINDS:
            raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
        if state is not None and state not in STATES:
            raise ValidationError(f"state must be one of {', '.join(STATES)}", field="state")
        fingerprint = {"list": "moderation-queue", "kind": kind, "state": state}
        after = queue_cursor_key(decode_cursor(cursor, fingerprint))
        cases, resume = self._repo.queue_page(after, page_size, state=state, kind=kind)
        views = self._views(cases)
        return views, encode_cursor(resume, fingerprint)

    def case(self, kind: str, asset_id: str) -> CaseView:
        """One case (open or decided) with its asset, for the review screen."""
        if kind not in KINDS:
            raise NotFound("Nothing to moderate here")
        case = self._repo.case(kind, asset_id)
        if case is None:
            raise NotFound("This asset has no moderation case")
        return self._view(case)

    def _view(self, case) -> CaseView:
        return self._views([case])[0]

    def _views(self, cases: list) -> list[CaseView]:
        assets = {kind: self._assets[kind].get_many({c.asset_id for c in cases if c.kind == kind}) for kind in KINDS}
        found = {(c.kind, c.asset_id): assets[c.kind].get(c.asset_id) for c in cases}
        covers = self._images.get_many({a.cover_image_id for a in found.values()
                                        if isinstance(a, ModelAsset) and a.cover_image_id})
        people = {a.owner_id for a in found.values() if a} | {r.get("reporterId") for c in cases for r in c.recent}
        users = self._users.get_many({p for p in people if p})
        catalog = self._catalog()
        views = []
        for c in cases:
            asset = found[(c.kind, c.asset_id)]
            image = asset if isinstance(asset, ImageAsset) else covers.get(getattr(asset, "cover_image_id", None) or "")
            # Administrators review the real thing: previews whatever the review state (until purged).
            thumbnail = catalog.preview_urls(image) if image is not None and image.moderation != "removed" else {}
            reporters = {r["reporterId"]: users[r["reporterId"]] for r in c.recent if r.get("reporterId") in users}
            views.append(CaseView(c, asset, users.get(asset.owner_id) if asset else None, thumbnail, reporters))
        return views
