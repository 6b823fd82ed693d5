"""Moderation rules without I/O: report validation, thresholds, cursors, what each viewer gets of an
asset in audit, gallery holds, and the flag/decide flow of the service on in-memory fakes."""
from __future__ import annotations

import copy
import itertools

import pytest

from chalicelib import presenters
from chalicelib.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from chalicelib.models import Gallery, ImageAsset, ModelAsset, Role, User
from chalicelib.pagination import encode_cursor
from chalicelib.repositories.moderation import Case, case_key
from chalicelib.services import moderation_service as ms
from chalicelib.services.search_service import audience
from chalicelib.services.visibility import FULL, PLACEHOLDER, access, can_view, require_full


def user(uid: str, role: Role = Role.USER, adult: bool = False) -> User:
    return User(uid, f"{uid}@example.test", uid.title(), role, "x", 0, 0, show_adult=adult)


OWNER, MEMBER, ADMIN = user("owner", Role.CURATOR), user("member"), user("admin", Role.ADMIN)


def model(**fields) -> ModelAsset:
    values = dict(id="m1", owner_id="owner", title="A model", status="ready", created_at=1, updated_at=1,
                  visibility="public")
    values.update(fields)
    return ModelAsset(**values)


# -- pure rules --------------------------------------------------------------------------------
def test_report_details_are_validated_and_normalised():
    assert ms.clean_details("spam", None) == ""
    assert ms.clean_details("copyright", "  my   work \n here ") == "my work here"
    with pytest.raises(ValidationError) as e:
        ms.clean_details("boring", "")
    assert e.value.field == "reason"
    for bad in ("", "  ", "ab"):
        with pytest.raises(ValidationError) as e:
            ms.clean_details("other", bad)
        assert e.value.field == "details"
    with pytest.raises(ValidationError):
        ms.clean_details("spam", "x" * 1001)
    assert ms.clean_details("other", "abc") == "abc"
    for hostile in ("bad\x00byte", "lone \ud800 surrogate", "bell\x07"):
        with pytest.raises(ValidationError):
            ms.clean_details("spam", hostile)
        with pytest.raises(ValidationError):
            ms.clean_note(hostile + " long enough", required=True)


def test_notes_and_automatic_reasons():
    assert ms.clean_note(None, required=False) == ""
    with pytest.raises(ValidationError):
        ms.clean_note(" ab ", required=True)
    with pytest.raises(ValidationError):
        ms.clean_note("x" * 1001, required=False)
    assert ms.clean_auto_reasons(["b", "a", "a", " "]) == ["a", "b"]
    for bad in ([], "keyword", None, [" "]):
        with pytest.raises(ValueError):
            ms.clean_auto_reasons(bad)
    assert len(ms.clean_auto_reasons([f"r{n}" for n in range(50)])) == ms.MAX_AUTO_REASONS


def test_threshold_and_admin_reports():
    assert not ms.reaches_threshold(2, 3, by_admin=False)
    assert ms.reaches_threshold(3, 3, by_admin=False)
    assert ms.reaches_threshold(1, 3, by_admin=True)


def test_queue_cursor_keys_are_checked():
    assert ms.queue_cursor_key(None) is None
    assert ms.queue_cursor_key({"pk": "model#abc", "openedAt": 12.5}) == {"pk": "model#abc", "openedAt": 12.5}
    for bad in ({"pk": "gallery#x", "openedAt": 1}, {"pk": "model#a b", "openedAt": 1}, {"pk": "model#a"},
                {"pk": "model#a", "openedAt": True}, {"pk": "model#a", "openedAt": -1}, {"pk": 3, "openedAt": 1}):
        with pytest.raises(ValidationError):
            ms.queue_cursor_key(bad)


# -- visibility --------------------------------------------------------------------------------
def test_access_levels_for_assets_in_audit_and_removed():
    flagged = model(moderation="flagged")
    assert access(OWNER, flagged) == PLACEHOLDER and access(ADMIN, flagged) == FULL
    assert access(MEMBER, flagged) is None and access(None, flagged) is None
    removed = model(moderation="removed")
    assert access(OWNER, removed) is None and access(ADMIN, removed) == FULL
    with pytest.raises(NotFound, match="in audit"):
        require_full(OWNER, flagged, "Model")
    with pytest.raises(NotFound):
        require_full(MEMBER, flagged, "Model")
    with pytest.raises(NotFound):
        require_full(MEMBER, None, "Model")
    require_full(ADMIN, flagged, "Model")
    adult = model(is_adult=True)
    assert access(None, adult) is None and access(MEMBER, adult) is None
    assert access(user("fan", adult=True), adult) == FULL


def test_held_galleries_are_hidden_from_the_community():
    held = Gallery("g1", "owner", "Showcase", 1, 1, visibility="public", held_by=["m1"])
    assert not can_view(None, held) and not can_view(MEMBER, held)
    assert can_view(OWNER, held) and can_view(ADMIN, held)
    assert audience(held) == "h"
    assert audience(Gallery("g2", "owner", "Free", 1, 1, visibility="public")) == "s"


def test_presenters_show_owners_only_the_placeholder():
    flagged = model(moderation="flagged", description="secret", trigger_words=["w"])
    placeholder = {"id": "m1", "title": "A model", "kind": "model", "moderation": "flagged", "inAudit": True,
                   "placeholder": True}
    assert presenters.model_card(flagged, {}, {"grid": "url"}, OWNER) == placeholder
    admin_view = presenters.model_card(flagged, {}, {"grid": "url"}, ADMIN)
    assert admin_view["inAudit"] is True and admin_view["previews"] == {"grid": "url"} and "placeholder" not in admin_view
    image = ImageAsset("i1", "owner", "Pic", "ready", "k", "f.png", 1, 1, visibility="public", moderation="flagged")
    assert presenters.image_card(image, {}, {}, OWNER)["kind"] == "image"
    public = presenters.model_card(model(), {}, {}, MEMBER)
    assert "moderation" not in public and "inAudit" not in public


# -- the service on fakes ----------------------------------------------------------------------
class Records:
    def __init__(self, *items):
        self.items = {i.id: i for i in items}

    def get(self, record_id):
        item = self.items.get(record_id)
        return copy.deepcopy(item) if item else None

    def get_many(self, ids):
        return {i: copy.deepcopy(self.items[i]) for i in ids if i in self.items}

    def update(self, record_id, **fields):
        for name, value in fields.items():
            setattr(self.items[record_id], name, value)
        return True

    def for_model(self, model_id):
        return []


class FakeRepo:
    def __init__(self):
        self.cases, self.reports = {}, {}

    def case(self, kind, asset_id):
        found = self.cases.get(case_key(kind, asset_id))
        return copy.deepcopy(found) if found else None

    def save_case(self, case):
        stored = self.cases.get(case_key(case.kind, case.asset_id))
        if (stored.version if stored else 0) != case.version:
            return False
        case.version += 1
        self.cases[case_key(case.kind, case.asset_id)] = copy.deepcopy(case)
        return True

    def add_report(self, report, case):
        existing = self.reports.get((case_key(report.kind, report.asset_id), report.reporter_id))
        if existing and existing.round == report.round:
            return "duplicate"
        if not self.save_case(case):
            return "changed"
        self.reports[(case_key(report.kind, report.asset_id), report.reporter_id)] = report
        return "added"

    def report(self, kind, asset_id, reporter_id):
        return self.reports.get((case_key(kind, asset_id), reporter_id))


class Limiter:
    def __init__(self):
        self.hits = 0

    def check(self, scope, subject, limit, window):
        if self.hits >= limit:
            raise RateLimited("slow down", retry_after=10)

    def hit(self, scope, subject, window):
        self.hits += 1


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *a, **k: self.calls.append((name, a, k))


@pytest.fixture
def world():
    models = Records(model())
    settings = {}
    notes, audit, galleries, queued, indexer = Recorder(), Recorder(), Recorder(), [], Recorder()
    clock = itertools.count(100)
    service = ms.ModerationService(
        FakeRepo(), models, Records(), Records(), Records(), type("S", (), {"get": lambda s, k: settings.get(k),
                                                                            "put": lambda s, k, v: settings.update({k: v})})(),
        Limiter(), indexer, lambda: notes, lambda: audit, lambda: galleries, lambda: None, lambda: None,
        queued.append, clock=lambda: float(next(clock)))
    return type("World", (), dict(service=service, models=models, notes=notes, audit=audit, galleries=galleries,
                                  queued=queued, settings=settings))


def test_distinct_reporters_reach_the_threshold_once(world):
    s = world.service
    reporters = [user(f"u{n}") for n in range(4)]
    s.flag(reporters[0], "model", "m1", "spam", "")
    with pytest.raises(Conflict):
        s.flag(reporters[0], "model", "m1", "copyright", "")
    s.flag(reporters[1], "model", "m1", "spam", "")
    assert world.models.items["m1"].moderation == "active"
    s.flag(reporters[2], "model", "m1", "copyright", "mine")
    assert world.models.items["m1"].moderation == "flagged"
    told = [c for c in world.notes.calls if c[0] == "notify"]
    admins = [c for c in world.notes.calls if c[0] == "notify_admins"]
    assert len(told) == 1 and told[0][1][0] == "owner" and told[0][2].get("actor_id") is None
    assert len(admins) == 1
    assert [c[0] for c in world.galleries.calls] == ["hold_model"]
    with pytest.raises(NotFound):  # hidden now: members cannot see it, so cannot report it
        s.flag(reporters[3], "model", "m1", "spam", "")
    case = s._repo.case("model", "m1")
    assert (case.state, case.reporter_count, case.reasons) == ("hidden", 3, {"spam": 2, "copyright": 1})
    assert case.previous == {"visibility": "public"}


def test_owners_cannot_report_and_limits_apply(world):
    with pytest.raises(Forbidden):
        world.service.flag(OWNER, "model", "m1", "spam", "")
    world.settings["moderation"] = {"flagThreshold": 50, "flagsPerHour": 1}
    world.models.items["m2"] = model(id="m2")
    world.service.flag(MEMBER, "model", "m1", "spam", "")
    with pytest.raises(RateLimited):
        world.service.flag(MEMBER, "model", "m2", "spam", "")


def test_approve_restores_and_closes_the_round(world):
    s = world.service
    world.models.items["m1"].visibility = "private"
    s.auto_flag("model", "m1", ["keyword: x"])
    world.models.items["m1"].visibility = "public"  # changed behind the case's back (e.g. an old write)
    with pytest.raises(ValidationError):
        s.remove(ADMIN, "model", "m1", "no")
    s.approve(ADMIN, "model", "m1", None)
    stored = world.models.items["m1"]
    assert (stored.moderation, stored.visibility) == ("active", "private")
    with pytest.raises(Conflict):
        s.approve(ADMIN, "model", "m1", None)
    assert not s.auto_flag("model", "m1", ["keyword: x"])  # already reviewed
    assert [c[1][1] for c in world.audit.calls] == ["moderation.approve"]


def test_remove_is_soft_and_queues_the_purge(world):
    s = world.service
    s.flag(ADMIN, "model", "m1", "illegal", "")
    view = s.remove(ADMIN, "model", "m1", "Confirmed problem")
    assert view.case.state == "removed" and world.models.items["m1"].moderation == "removed"
    assert world.queued == [{"task": "purge-asset", "kind": "model", "id": "m1"}]
    assert ("drop_removed_model", ("m1",), {}) in world.galleries.calls
    with pytest.raises(Conflict):
        s.remove(ADMIN, "model", "m1", "Again please")
    with pytest.raises(Conflict):
        s.flag(ADMIN, "model", "m1", "spam", "")


def test_auto_clear_respects_reports(world):
    s = world.service
    s.flag(MEMBER, "model", "m1", "spam", "")
    s.auto_flag("model", "m1", ["metadata"])
    assert not s.auto_clear("model", "m1")
    world.models.items["m2"] = model(id="m2")
    s.auto_flag("model", "m2", ["metadata"])
    assert s.auto_clear("model", "m2") and world.models.items["m2"].moderation == "active"
    assert not s.auto_clear("model", "m2")


def test_queue_rejects_foreign_cursors(world):
    cursor = encode_cursor({"pk": "model#m1", "openedAt": 1}, {"list": "moderation-queue", "kind": "image",
                                                                "state": None})
    with pytest.raises(ValidationError):
        world.service.queue("model", None, cursor, 10)
    with pytest.raises(ValidationError):
        world.service.queue("gallery", None, None, 10)


def test_case_defaults():
    case = Case(kind="model", asset_id="m1", owner_id="o", opened_at=1.0)
    assert case.undecided and case.round == 1 and case.version == 0
