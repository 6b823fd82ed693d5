"""Rules of the scheduled cleanup jobs without a stack: job names, key layout, orphan verdicts, and a run
against in-memory fakes (bounded, resumable, idempotent, survives a bad item)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.models import ImageAsset, ModelVersion, UploadSession
from chalicelib.services.cleanup_service import (
    SCHEDULED_JOBS,
    CleanupOptions,
    CleanupService,
    orphan_reason,
    owner_of_key,
)
from infra import resources as R

NOW = 1_800_000_000.0
DAY = 86400
OPTIONS = CleanupOptions()


def test_scheduled_job_names_match_the_resource_description():
    names = [s.name for s in R.SCHEDULES]
    assert len(SCHEDULED_JOBS) == len(set(SCHEDULED_JOBS))
    assert set(SCHEDULED_JOBS) == set(names)


def test_cleanup_schedules_are_slow_enough_never_to_fire_in_a_test_session():
    rates = {s.name: s.interval_seconds for s in R.SCHEDULES if s.name.startswith("cleanup-")}
    assert set(rates) == {"cleanup-orphans", "cleanup-removed", "cleanup-expired", "cleanup-notifications"}
    assert min(rates.values()) >= 2 * 3600


@pytest.mark.parametrize("key,owner", [
    ("incoming/s1/0-a.png", ("session", "s1")),
    ("assets/versions/v1/abcd-model.safetensors", ("version", "v1")),
    ("derived/versions/v1/header.json", ("version", "v1")),
    ("assets/images/i1/abcd-a.png", ("image", "i1")),
    ("derived/images/i1/abcd-small.webp", ("image", "i1")),
    ("system/workflows/sdxl-lora-0123.json", ("system", "")),
    ("assets/models/m1/seed.safetensors", None),  # not a layout the platform writes: never judged
    ("incoming/s1", None),
    ("assets/images//x.png", None),
    ("random.txt", None),
])
def test_owner_of_key_follows_the_storage_layout(key, owner):
    assert owner_of_key(key) == owner


def _image(status="ready", key="assets/images/i1/e1-a.png"):
    return ImageAsset("i1", "u1", "t", status, key, "a.png", NOW, NOW,
                      thumbnails={"small": {"key": "derived/images/i1/e1-small.webp"}},
                      meta={"rawKey": "derived/images/i1/e1-metadata.json"})


def _version(status="ready"):
    return ModelVersion("v1", "m1", "1.0", status, "m.safetensors", "assets/versions/v1/e1-m.safetensors", NOW, NOW,
                        header_key="derived/versions/v1/header.json")


def _session(status):
    return UploadSession("s1", "u1", "images", status, NOW - 2 * DAY, NOW - DAY)


OLD = NOW - 2 * DAY


@pytest.mark.parametrize("key,modified,records,verdict", [
    # young objects are never touched, whatever else holds
    ("assets/images/gone/x.png", NOW - 60, {}, None),
    ("assets/images/gone/x.png", OLD, {}, "no-record"),
    ("derived/versions/gone/header.json", OLD, {}, "no-record"),
    ("incoming/s1/0-a.png", OLD, {}, "no-record"),
    ("incoming/s1/0-a.png", OLD, {"session": {"s1": _session("open")}}, None),
    ("incoming/s1/0-a.png", OLD, {"session": {"s1": _session("expired")}}, "closed-session"),
    ("incoming/s1/0-a.png", OLD, {"session": {"s1": _session("aborted")}}, "closed-session"),
    # completed: kept as long as the bucket lifecycle rule would keep it (3 days)
    ("incoming/s1/0-a.png", OLD, {"session": {"s1": _session("completed")}}, None),
    ("incoming/s1/0-a.png", NOW - 4 * DAY, {"session": {"s1": _session("completed")}}, "closed-session"),
    ("assets/images/i1/e1-a.png", OLD, {"image": {"i1": _image()}}, None),
    ("derived/images/i1/e1-small.webp", OLD, {"image": {"i1": _image()}}, None),
    ("derived/images/i1/e1-metadata.json", OLD, {"image": {"i1": _image()}}, None),
    ("assets/images/i1/e0-old.png", OLD, {"image": {"i1": _image()}}, "superseded"),
    ("assets/images/i1/e0-old.png", OLD, {"image": {"i1": _image(status="processing")}}, None),
    ("assets/versions/v1/e1-m.safetensors", OLD, {"version": {"v1": _version()}}, None),
    ("derived/versions/v1/header.json", OLD, {"version": {"v1": _version()}}, None),
    ("assets/versions/v1/e0-m.safetensors", OLD, {"version": {"v1": _version()}}, "superseded"),
    ("system/workflows/x.json", OLD, {}, None),
    ("assets/models/m1/seed.safetensors", OLD, {}, None),
])
def test_orphan_verdicts(key, modified, records, verdict):
    assert orphan_reason(key, modified, NOW, OPTIONS, records) == verdict


# -- a run against fakes -------------------------------------------------------------------------
class FakeStorage:
    def __init__(self, objects: dict[str, float]) -> None:
        self.objects = dict(objects)
        self.refuse: set[str] = set()

    def list_after(self, bucket, start_after, max_keys):
        keys = sorted(k for k in self.objects if start_after is None or k > start_after)
        page = keys[:max_keys]
        return [(k, self.objects[k]) for k in page], (page[-1] if len(keys) > max_keys else None)

    def delete_reporting(self, bucket, keys):
        for k in keys:
            if k not in self.refuse:
                self.objects.pop(k, None)
        return [k for k in keys if k in self.refuse]


class FakeRepo:
    def __init__(self, records=None) -> None:
        self.records = dict(records or {})

    def get_many(self, ids):
        return {i: self.records[i] for i in ids if i in self.records}


class FakeSettings:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    def get(self, key):
        return self.docs.get(key)

    def put(self, key, data):
        self.docs[key] = data

    def record_schedule_run(self, name, report):
        self.docs[f"schedule#{name}"] = report

    def schedule_run(self, name):
        return self.docs.get(f"schedule#{name}")


def _service(storage, images=None, options=OPTIONS):
    settings = FakeSettings()
    catalog = SimpleNamespace(sessions=FakeRepo(), versions=FakeRepo(), images=FakeRepo(images))
    service = CleanupService(storage=storage, bucket="media", catalog=catalog, cleanup_catalog=None, users=None,
                             removed_cases=None, purge_files=None, expiring=[], notifications=None,
                             notification_retention=None, state=settings, reports=settings, options=options,
                             clock=lambda: NOW)
    return service, settings


def test_orphan_run_is_bounded_resumable_idempotent_and_reports():
    orphans = {f"assets/images/gone{n}/x.png": OLD for n in range(5)}
    kept = {"assets/images/i1/e1-a.png": OLD, "assets/images/young/x.png": NOW - 5, "system/w.json": OLD}
    storage = FakeStorage({**orphans, **kept})
    service, settings = _service(storage, images={"i1": _image()})
    first = service.cleanup_orphans(2)
    assert first["count"] == 2 and first["more"] is True and first["cursor"] == "assets/images/gone1/x.png"
    assert settings.docs["schedule#cleanup-orphans"] == first
    second = service.cleanup_orphans(2)
    assert second["startAfter"] == first["cursor"] and second["count"] == 2
    third = service.cleanup_orphans(2)
    assert third["count"] == 1 and third["more"] is False and third["cursor"] is None
    assert service.cleanup_orphans(2)["count"] == 0
    assert set(storage.objects) == set(kept)


def test_orphan_run_counts_a_refused_delete_and_goes_on():
    storage = FakeStorage({f"assets/images/gone{n}/x.png": OLD for n in range(3)})
    storage.refuse.add("assets/images/gone1/x.png")
    service, _ = _service(storage)
    report = service.cleanup_orphans(10)
    assert report["count"] == 2 and report["errors"] == 1
    assert "gone1" in report["errorSamples"][0]
    assert set(storage.objects) == {"assets/images/gone1/x.png"}


def test_orphan_run_respects_the_scan_budget():
    storage = FakeStorage({f"assets/images/i{n:02d}/x.png": OLD for n in range(30)})
    service, _ = _service(storage, images={f"i{n:02d}": _image(key=f"assets/images/i{n:02d}/x.png")
                                           for n in range(30)}, options=CleanupOptions(scan_budget=12))
    report = service.cleanup_orphans(100)
    assert report["examined"] == 12 and report["count"] == 0 and report["more"] is True


def test_last_reports_lists_every_scheduled_job_in_order():
    service, settings = _service(FakeStorage({}))
    settings.record_schedule_run("sweep-uploads", {"ranAt": 5.0, "count": 1})
    reports = service.last_reports()
    assert [r["name"] for r in reports] == list(SCHEDULED_JOBS)
    by_name = {r["name"]: r for r in reports}
    assert by_name["sweep-uploads"] == {"name": "sweep-uploads", "ranAt": 5.0, "report": {"ranAt": 5.0, "count": 1}}
    assert by_name["cleanup-orphans"] == {"name": "cleanup-orphans", "ranAt": None, "report": None}
