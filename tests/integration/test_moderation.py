"""Flags, the review queue and decisions over HTTP: thresholds with distinct reporters, duplicates,
rate limits, hostile bodies, "In Audit" placeholders on every read path, gallery holds, approve
restoring the previous visibility, soft removal with the background purge, notifications, audit."""
from __future__ import annotations

import uuid

import pytest

from chalicelib import container
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error, wait_for

THUMBS = {"grid": {"key": "thumbs/moderation/grid.webp", "mime": "image/webp", "width": 8, "height": 8}}
PLACEHOLDER_KEYS = {"id", "title", "kind", "moderation", "inAudit", "placeholder"}


@pytest.fixture(autouse=True)
def default_settings(admin):
    """Every test starts from the documented defaults (a test may lower them for itself)."""
    r = admin["api"].put("/api/moderation/settings", json={"flagThreshold": 3, "flagsPerHour": 10})
    assert r.status_code == 200, r.text
    yield


@pytest.fixture
def curator(make_user):
    return make_user("CURATOR")


def flag(user, asset, reason="spam", details="", kind=None, status=201):
    kind = kind or ("model" if hasattr(asset, "trigger_words") else "image")
    r = user["api"].post(f"/api/{kind}s/{asset.id}/flags", json={"reason": reason, "details": details})
    assert r.status_code == status, r.text
    return r


def reporters(make_user, n):
    return [make_user() for _ in range(n)]


def notifications(user, type_=None):
    r = user["api"].get("/api/notifications", params={"category": "moderation", "pageSize": 100})
    assert r.status_code == 200, r.text
    items = r.json()["data"]["items"]
    return [n for n in items if type_ is None or n["type"] == type_]


def queue(admin, **params):
    r = admin["api"].get("/api/moderation/queue", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def all_cases(admin, **params) -> list[dict]:
    out, cursor = [], None
    while True:
        body = queue(admin, pageSize=100, **params, **({"cursor": cursor} if cursor else {}))
        out += body["data"]
        cursor = body["meta"]["cursor"]
        if not cursor:
            return out


def case_of(admin, asset_id: str) -> dict | None:
    return next((c for c in all_cases(admin) if c["assetId"] == asset_id), None)


def audit(admin, action: str, target_id: str) -> list[dict]:
    r = admin["api"].get("/api/admin/audit", params={"action": action, "targetId": target_id})
    assert r.status_code == 200, r.text
    return r.json()["data"]


# -- reporting ---------------------------------------------------------------------------------
def test_flag_permissions_and_hostile_bodies(make_user, curator, api, admin):
    member = make_user()
    model = seed_model(curator["id"], title="Reportable")
    path = f"/api/models/{model.id}/flags"
    assert_error(api.post(path, json={"reason": "spam"}), 401, "UNAUTHORIZED")
    bad_bodies = [
        ({}, "reason"), ({"reason": "boring"}, "reason"), ({"reason": None}, "reason"), ({"reason": 3}, "reason"),
        ({"reason": "spam", "details": "x" * 1001}, "details"), ({"reason": "spam", "details": 5}, "details"),
        ({"reason": "other"}, "details"), ({"reason": "other", "details": "  "}, "details"),
        ({"reason": "spam", "reporter": member["id"]}, "reporter"),
        ({"reason": "spam", "details": "nul\u0000byte"}, "details"),
        ({"reason": "spam", "details": "lone \ud800 surrogate"}, "details"),
    ]
    for body, field in bad_bodies:
        assert_error(member["api"].post(path, json=body), 400, "VALIDATION_ERROR", field)
    assert_error(member["api"].post(path, data="not json", headers={"Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR")
    assert_error(member["api"].post(path, json=["spam"]), 400, "VALIDATION_ERROR")
    assert_error(member["api"].post("/api/models/bad%20id/flags", json={"reason": "spam"}), 400, "VALIDATION_ERROR")
    # Nothing was written by any of those.
    assert case_of(admin, model.id) is None

    assert_error(member["api"].post(f"/api/models/{uuid.uuid4().hex}/flags", json={"reason": "spam"}), 404, "NOT_FOUND")
    private = seed_model(curator["id"], visibility="private")
    assert_error(member["api"].post(f"/api/models/{private.id}/flags", json={"reason": "spam"}), 404, "NOT_FOUND")
    adult = seed_image(curator["id"], is_adult=True)
    assert_error(member["api"].post(f"/api/images/{adult.id}/flags", json={"reason": "spam"}), 404, "NOT_FOUND")
    preview = seed_image(curator["id"], purpose="model-cover")
    assert_error(member["api"].post(f"/api/images/{preview.id}/flags", json={"reason": "spam"}), 404, "NOT_FOUND")
    assert_error(curator["api"].post(path, json={"reason": "spam"}), 403, "FORBIDDEN")  # own asset

    r = flag(member, model, "other", "  Looks like a   re-upload of my work  ")
    receipt = r.json()["data"]
    assert receipt == {"kind": "model", "assetId": model.id, "reason": "other",
                       "details": "Looks like a re-upload of my work", "createdAt": receipt["createdAt"],
                       "status": "received"}
    assert_error(member["api"].post(path, json={"reason": "spam"}), 409, "CONFLICT")  # one open report each
    case = case_of(admin, model.id)
    assert case["reporterCount"] == 1 and case["state"] == "open" and case["reasons"] == {"other": 1}
    assert member["email"] not in str(case) and "@" not in str(case)


def test_threshold_counts_distinct_reporters_and_hides(make_user, curator, api, admin):
    model = seed_model(curator["id"], title="Crowd reported")
    first, second, third, fourth = reporters(make_user, 4)
    flag(fourth, model, "harassment", "keeps insulting people")
    flag(first, model, "spam")
    flag(first, model, "spam", status=409)  # a repeat does not count twice
    assert api.get(f"/api/models/{model.id}").status_code == 200  # two reporters hide nothing
    assert notifications(curator) == []
    flag(second, model, "copyright", "mine")
    assert_error(api.get(f"/api/models/{model.id}"), 404, "NOT_FOUND")
    assert_error(third["api"].get(f"/api/models/{model.id}"), 404, "NOT_FOUND")
    flag(third, model, "spam", status=404)  # members report only what they can see
    listed = api.get("/api/models", params={"curator": curator["id"]}).json()["data"]
    assert model.id not in [m["id"] for m in listed]
    flag(admin, model, "spam")  # administrators still can; the admins are not told again

    case = case_of(admin, model.id)
    assert case["state"] == "hidden" and case["reporterCount"] == 4
    assert case["reasons"] == {"copyright": 1, "harassment": 1, "spam": 2}
    assert case["latestDetails"][-1]["details"] == "keeps insulting people"
    assert case["previousVisibility"] == "public" and case["asset"]["moderation"] == "flagged"
    assert case["asset"]["owner"] == {"id": curator["id"], "displayName": "CURATOR tester"}
    assert [d["reason"] for d in case["latestDetails"]] == ["spam", "copyright", "spam", "harassment"]
    assert [d["reporter"]["id"] for d in case["latestDetails"]] == [admin["id"], second["id"], first["id"],
                                                                    fourth["id"]]
    assert case["firstReportedAt"] <= case["lastReportedAt"]

    told = notifications(curator, "moderation-flagged")
    assert len(told) == 1 and told[0]["actorId"] is None and told[0]["link"] == {"kind": "model", "id": model.id}
    assert not any(u["id"] in str(told) for u in (first, second, third, fourth))
    queued = [n for n in notifications(admin, "moderation-queue") if n["link"]["id"] == f"model#{model.id}"]
    assert len(queued) == 1  # once per case, not once per report


def test_admin_report_hides_at_once_and_is_audited(curator, admin, api):
    image = seed_image(curator["id"], title="Admin reported", thumbnails=THUMBS)
    flag(admin, image, "illegal", "clearly not allowed")
    assert_error(api.get(f"/api/images/{image.id}"), 404, "NOT_FOUND")
    assert case_of(admin, image.id)["state"] == "hidden"
    assert [e["action"] for e in audit(admin, "moderation.flag", image.id)] == ["moderation.flag"]


def test_reports_are_rate_limited_per_member(make_user, curator, admin):
    assert admin["api"].put("/api/moderation/settings", json={"flagsPerHour": 2}).status_code == 200
    member = make_user()
    models = [seed_model(curator["id"], title=f"Limit {n}") for n in range(3)]
    flag(member, models[0])
    flag(member, models[1])
    r = member["api"].post(f"/api/models/{models[2].id}/flags", json={"reason": "spam"})
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert case_of(admin, models[2].id) is None
    flag(make_user(), models[2])  # another member is not affected


# -- the queue ---------------------------------------------------------------------------------
def test_queue_filters_and_pages_without_gaps_or_duplicates(make_user, curator, admin, api):
    member = make_user()
    mine = [seed_model(curator["id"], title=f"Queued {n}") for n in range(3)]
    images = [seed_image(curator["id"], title=f"Queued image {n}") for n in range(2)]
    for asset in mine + images:
        flag(member, asset)
    flag(admin, images[1])  # hidden
    seen, cursor, added = [], None, None
    while True:
        body = queue(admin, pageSize=2, **({"cursor": cursor} if cursor else {}))
        seen += [c["assetId"] for c in body["data"]]
        if added is None:
            added = seed_model(curator["id"], title="Arrives while paging")
            flag(member, added)
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    ours = [a.id for a in mine + images] + [added.id]
    assert [i for i in seen if i in ours] == ours  # oldest first; the newcomer at the end
    models_only = {c["assetId"] for c in all_cases(admin, kind="model")}
    assert set(a.id for a in mine) <= models_only and not models_only & {i.id for i in images}
    hidden = {c["assetId"] for c in all_cases(admin, state="hidden")}
    assert images[1].id in hidden and images[0].id not in hidden
    cursor = queue(admin, pageSize=1)["meta"]["cursor"]
    assert_error(admin["api"].get("/api/moderation/queue", params={"cursor": cursor, "kind": "image"}),
                 400, "VALIDATION_ERROR", "cursor")
    for params, field in (({"cursor": "garbage"}, "cursor"), ({"kind": "gallery"}, "kind"),
                          ({"state": "approved"}, "state"), ({"pageSize": 0}, "pageSize"),
                          ({"pageSize": 101}, "pageSize"), ({"extra": "1"}, "extra")):
        assert_error(admin["api"].get("/api/moderation/queue", params=params), 400, "VALIDATION_ERROR", field)
    assert_error(api.get("/api/moderation/queue"), 401, "UNAUTHORIZED")
    assert_error(member["api"].get("/api/moderation/queue"), 403, "FORBIDDEN")
    assert_error(curator["api"].get("/api/moderation/queue"), 403, "FORBIDDEN")


# -- decisions ---------------------------------------------------------------------------------
def test_approve_restores_visibility_and_reopens_reporting(make_user, curator, admin, api):
    model = seed_model(curator["id"], title="Approved later")
    member = make_user()
    flag(member, model)
    flag(admin, model)
    assert_error(api.get(f"/api/models/{model.id}"), 404, "NOT_FOUND")
    for user in (member, curator):
        assert_error(user["api"].post(f"/api/moderation/model/{model.id}/approve", json={}), 403, "FORBIDDEN")
    assert_error(admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={"note": "n" * 1001}),
                 400, "VALIDATION_ERROR", "note")
    r = admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={"note": "Fine after all"})
    assert r.status_code == 200, r.text
    decided = r.json()["data"]
    assert decided["state"] == "approved" and decided["decision"]["note"] == "Fine after all"
    stored = container.catalog().models.get(model.id)
    assert (stored.moderation, stored.visibility) == ("active", "public")
    assert api.get(f"/api/models/{model.id}").status_code == 200
    assert wait_for(lambda: model.id in [m["id"] for m in api.get("/api/models", params={"curator": curator["id"]})
                                         .json()["data"]])
    assert case_of(admin, model.id) is None
    assert [n["title"] for n in notifications(curator, "moderation-approved")] == ["Your model “Approved later” was approved"]
    assert len(audit(admin, "moderation.approve", model.id)) == 1
    assert_error(admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={}), 409, "CONFLICT")
    assert_error(admin["api"].post(f"/api/moderation/model/{model.id}/remove", json={"note": "changed my mind"}),
                 409, "CONFLICT")
    flag(member, model)  # a new round: the same member may report again
    assert case_of(admin, model.id)["reporterCount"] == 1


def test_approve_restores_a_private_asset_as_private(curator, admin):
    image = seed_image(curator["id"], title="Private and screened", visibility="private")
    assert container.moderation_service().auto_flag("image", image.id, ["keyword: forbidden"])
    case = case_of(admin, image.id)
    assert case["autoReasons"] == ["keyword: forbidden"] and case["state"] == "hidden"
    assert admin["api"].post(f"/api/moderation/image/{image.id}/approve", json={}).status_code == 200
    stored = container.catalog().images.get(image.id)
    assert (stored.moderation, stored.visibility) == ("active", "private")
    # Approved reasons do not hide it again; a new reason does.
    assert not container.moderation_service().auto_flag("image", image.id, ["keyword: forbidden"])
    assert container.catalog().images.get(image.id).moderation == "active"
    assert container.moderation_service().auto_flag("image", image.id, ["metadata: minor score"])
    assert container.catalog().images.get(image.id).moderation == "flagged"


def test_auto_clear_only_without_open_reports_or_decisions(make_user, curator, admin):
    service = container.moderation_service()
    alone, reported = seed_model(curator["id"], title="Screened"), seed_model(curator["id"], title="Screened twice")
    flag(make_user(), reported)  # below the threshold: still visible
    assert service.auto_flag("model", alone.id, ["keyword: x"]) and service.auto_flag("model", reported.id, ["keyword: x"])
    assert not service.auto_flag("model", alone.id, ["keyword: x"])  # idempotent
    assert len([n for n in notifications(curator, "moderation-flagged") if n["link"]["id"] == alone.id]) == 1
    assert case_of(admin, reported.id)["autoReasons"] == ["keyword: x"]
    assert service.auto_clear("model", alone.id)
    assert container.catalog().models.get(alone.id).moderation == "active"
    assert case_of(admin, alone.id) is None
    assert not service.auto_clear("model", reported.id)  # a member's report is open
    assert container.catalog().models.get(reported.id).moderation == "flagged"
    assert not service.auto_clear("model", seed_model(curator["id"]).id)  # nothing to clear
    with pytest.raises(ValueError):
        service.auto_flag("model", alone.id, [])


def test_remove_is_soft_purges_files_and_drops_gallery_entries(make_user, curator, admin, api):
    storage, bucket = container.storage(), container.config().bucket("media")
    cover = seed_image(curator["id"], title="Cover", purpose="model-cover",
                       key=f"assets/images/{uuid.uuid4().hex}.png", thumbnails={
                           "grid": {"key": f"thumbs/{uuid.uuid4().hex}.webp", "mime": "image/webp"}})
    model = seed_model(curator["id"], title="Taken down", cover_image_id=cover.id)
    version = container.catalog().versions.get(model.primary_version_id)
    keys = [version.key, cover.key, cover.thumbnails["grid"]["key"]]
    for key in keys:
        storage.put(bucket, key, b"bytes", "application/octet-stream")
    other = seed_image(curator["id"], title="Stays")
    only = curator["api"].post("/api/galleries", json={"title": "Just the model", "visibility": "public"}).json()["data"]
    shared = curator["api"].post("/api/galleries", json={"title": "Shared", "visibility": "public"}).json()["data"]
    for gallery, items in ((only, [model]), (shared, [model, other])):
        r = curator["api"].post(f"/api/galleries/{gallery['id']}/entries", json={"items": [
            {"kind": "model" if a is model else "image", "id": a.id} for a in items]})
        assert r.status_code == 200, r.text
    flag(make_user(), model)
    path = f"/api/moderation/model/{model.id}/remove"
    assert_error(admin["api"].post(path, json={}), 400, "VALIDATION_ERROR", "note")
    assert_error(admin["api"].post(path, json={"note": "  x "}), 400, "VALIDATION_ERROR", "note")
    assert_error(curator["api"].post(path, json={"note": "my own"}), 403, "FORBIDDEN")
    r = admin["api"].post(path, json={"note": "Stolen work, confirmed"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["state"] == "removed"

    stored = container.catalog().models.get(model.id)
    assert stored is not None and stored.moderation == "removed"  # the record stays
    for user_api in (api, curator["api"]):
        assert_error(user_api.get(f"/api/models/{model.id}"), 404, "NOT_FOUND")
        assert_error(user_api.get(f"/api/images/{cover.id}"), 404, "NOT_FOUND")
    assert_error(curator["api"].get(f"/api/models/{model.id}/versions/{version.id}/download"), 404, "NOT_FOUND")
    seen_by_admin = admin["api"].get(f"/api/models/{model.id}").json()["data"]
    assert seen_by_admin["moderation"] == "removed"
    assert_error(admin["api"].get(f"/api/models/{model.id}/versions/{version.id}/download"), 404, "NOT_FOUND")
    wait_for(lambda: all(storage.head(bucket, key) is None for key in keys))
    assert wait_for(lambda: ((case_of_any(admin, model.id) or {}).get("decision") or {}).get("purgedAt"))

    assert container.catalog().galleries.get(only["id"]) is None  # left empty: deleted
    assert_error(api.get(f"/api/galleries/{only['id']}"), 404, "NOT_FOUND")
    remaining = api.get(f"/api/galleries/{shared['id']}").json()["data"]
    assert [e["assetId"] for e in remaining["entries"]] == [other.id]
    assert [n["body"] for n in notifications(curator, "moderation-removed")] == ["Stolen work, confirmed"]
    assert len(audit(admin, "moderation.remove", model.id)) == 1
    assert_error(admin["api"].post(path, json={"note": "again, again"}), 409, "CONFLICT")
    assert_error(admin["api"].post(f"/api/models/{model.id}/flags", json={"reason": "spam"}), 409, "CONFLICT")
    container.moderation_service().purge("model", model.id)  # a redelivered purge task is harmless


def case_of_any(admin, asset_id: str, kind: str = "model") -> dict | None:
    r = admin["api"].get(f"/api/moderation/{kind}/{asset_id}")
    return r.json()["data"] if r.status_code == 200 else None


def test_case_route_and_decisions_without_a_case(curator, admin, make_user):
    model = seed_model(curator["id"])
    assert_error(admin["api"].get(f"/api/moderation/model/{model.id}"), 404, "NOT_FOUND")
    assert_error(admin["api"].get(f"/api/moderation/gallery/{model.id}"), 400, "VALIDATION_ERROR", "kind")
    assert_error(make_user()["api"].get(f"/api/moderation/model/{model.id}"), 403, "FORBIDDEN")
    assert_error(admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={}), 409, "CONFLICT")
    assert_error(admin["api"].post(f"/api/moderation/model/{uuid.uuid4().hex}/approve", json={}), 404, "NOT_FOUND")
    assert_error(admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={"extra": 1}),
                 400, "VALIDATION_ERROR", "extra")
    # An asset flagged without a case (e.g. before this feature) can still be decided.
    legacy = seed_model(curator["id"], moderation="flagged")
    assert admin["api"].post(f"/api/moderation/model/{legacy.id}/approve", json={}).status_code == 200
    assert container.catalog().models.get(legacy.id).moderation == "active"


# -- what owners and others see ------------------------------------------------------------------
def test_owner_sees_in_audit_placeholders_everywhere(curator, admin, make_user, api):
    model = seed_model(curator["id"], title="Under review", description="secret description",
                       trigger_words=["hidden-word"])
    image = seed_image(curator["id"], title="Image under review", thumbnails=THUMBS, meta={"prompt": "p"})
    gallery = curator["api"].post("/api/galleries", json={"title": "Mine", "visibility": "private"}).json()["data"]
    r = curator["api"].post(f"/api/galleries/{gallery['id']}/entries",
                            json={"items": [{"kind": "model", "id": model.id}, {"kind": "image", "id": image.id}]})
    assert r.status_code == 200, r.text
    flag(admin, model)
    flag(admin, image)
    owner = curator["api"]
    for kind, asset in (("model", model), ("image", image)):
        for path in (f"/api/{kind}s/{asset.id}", f"/api/{kind}s/{asset.id}/status"):
            body = owner.get(path).json()["data"]
            assert body == {"id": asset.id, "title": asset.title, "kind": kind, "moderation": "flagged",
                            "inAudit": True, "placeholder": True}, path
        listed = wait_for(lambda k=kind, a=asset: [i for i in owner.get(f"/api/{k}s", params={
            "curator": curator["id"]}).json()["data"] if i["id"] == a.id])
        assert set(listed[0]) == PLACEHOLDER_KEYS
        assert_error(api.get(f"/api/{kind}s/{asset.id}"), 404, "NOT_FOUND")
        assert_error(make_user()["api"].get(f"/api/{kind}s/{asset.id}"), 404, "NOT_FOUND")
        full = admin["api"].get(f"/api/{kind}s/{asset.id}").json()["data"]
        assert full["moderation"] == "flagged" and full["inAudit"] is True and "description" in full
    version_id = model.primary_version_id
    assert_error(owner.get(f"/api/models/{model.id}/versions"), 404, "NOT_FOUND")
    assert_error(owner.get(f"/api/models/{model.id}/versions/{version_id}/download"), 404, "NOT_FOUND")
    assert_error(owner.get(f"/api/models/{model.id}/versions/{version_id}/header"), 404, "NOT_FOUND")  # no header
    entries = owner.get(f"/api/galleries/{gallery['id']}").json()["data"]["entries"]
    assert [set(e["asset"]) for e in entries] == [PLACEHOLDER_KEYS, PLACEHOLDER_KEYS]
    assert "secret description" not in owner.get(f"/api/models/{model.id}").text
    admin_entries = admin["api"].get(f"/api/galleries/{gallery['id']}").json()["data"]["entries"]
    assert all(e["asset"]["inAudit"] is True and "previews" in e["asset"] for e in admin_entries)


def test_owner_cannot_publish_hide_or_delete_while_in_audit(curator, admin):
    model = seed_model(curator["id"], title="Stuck")
    image = seed_image(curator["id"], title="Stuck image")
    flag(admin, model)
    flag(admin, image)
    owner = curator["api"]
    assert_error(owner.patch(f"/api/models/{model.id}", json={"visibility": "private"}), 403, "FORBIDDEN", "visibility")
    assert owner.patch(f"/api/models/{model.id}", json={"description": "fixed"}).status_code == 200
    assert_error(owner.delete(f"/api/models/{model.id}"), 409, "CONFLICT")
    assert_error(owner.delete(f"/api/images/{image.id}"), 409, "CONFLICT")
    r = owner.post("/api/bulk/delete", json={"kind": "image", "ids": [image.id]})
    assert r.status_code == 409, r.text
    assert container.catalog().models.get(model.id) and container.catalog().images.get(image.id)
    gallery = owner.post("/api/galleries", json={"title": "Late"}).json()["data"]
    r = owner.post(f"/api/galleries/{gallery['id']}/entries", json={"items": [{"kind": "model", "id": model.id}]})
    assert r.status_code == 409, r.text
    assert_error(owner.post(f"/api/models/{model.id}/galleries", json={"galleryId": gallery["id"]}), 409, "CONFLICT")


def test_galleries_are_held_while_a_model_is_in_review(make_user, curator, admin, api):
    model = seed_model(curator["id"], title="Held model")
    image = seed_image(curator["id"], title="Innocent", thumbnails=THUMBS)
    gallery = curator["api"].post("/api/galleries", json={"title": "Showcase", "visibility": "public"}).json()["data"]
    curator["api"].post(f"/api/galleries/{gallery['id']}/entries",
                        json={"items": [{"kind": "model", "id": model.id}, {"kind": "image", "id": image.id}]})
    member = make_user()
    path = f"/api/galleries/{gallery['id']}"
    assert api.get(path).status_code == 200
    flag(admin, model)
    for viewer in (api, member["api"]):
        assert_error(viewer.get(path), 404, "NOT_FOUND")
        listed = viewer.get("/api/galleries", params={"curator": curator["id"]}).json()["data"]
        assert gallery["id"] not in [g["id"] for g in listed]
    assert image.id in [i["id"] for i in api.get("/api/images", params={"curator": curator["id"]}).json()["data"]]
    own = curator["api"].get(path).json()["data"]
    assert own["heldForReview"] is True and own["entries"][0]["asset"]["inAudit"] is True
    assert admin["api"].get(path).json()["data"]["heldForReview"] is True
    assert admin["api"].post(f"/api/moderation/model/{model.id}/approve", json={}).status_code == 200
    assert api.get(path).status_code == 200
    assert curator["api"].get(path).json()["data"]["heldForReview"] is False
    assert wait_for(lambda: gallery["id"] in [g["id"] for g in api.get("/api/galleries", params={
        "curator": curator["id"]}).json()["data"]])
    # Removing the held model's entry lifts the hold as well.
    flag(make_user(), model, status=201)
    flag(admin, model)
    assert_error(api.get(path), 404, "NOT_FOUND")
    r = curator["api"].delete(f"{path}/entries/model/{model.id}")
    assert r.status_code == 204, r.text
    assert api.get(path).status_code == 200


# -- settings ----------------------------------------------------------------------------------
def test_settings_are_admin_only_validated_and_audited(admin, make_user, api):
    assert admin["api"].get("/api/moderation/settings").json()["data"] == {"flagThreshold": 3, "flagsPerHour": 10}
    for body, field in (({"flagThreshold": 0}, "flagThreshold"), ({"flagThreshold": 101}, "flagThreshold"),
                        ({"flagThreshold": "3"}, "flagThreshold"), ({"flagThreshold": True}, "flagThreshold"),
                        ({"flagThreshold": 2.5}, "flagThreshold"), ({"flagsPerHour": 0}, "flagsPerHour"),
                        ({"threshold": 2}, "threshold")):
        assert_error(admin["api"].put("/api/moderation/settings", json=body), 400, "VALIDATION_ERROR", field)
    r = admin["api"].put("/api/moderation/settings", json={"flagThreshold": 1})
    assert r.json()["data"] == {"flagThreshold": 1, "flagsPerHour": 10}
    assert audit(admin, "moderation.settings", "moderation")[0]["details"]["flagThreshold"] == 1
    member = make_user()
    for method in ("get", "put"):
        assert_error(getattr(member["api"], method)("/api/moderation/settings", json={}), 403, "FORBIDDEN")
        assert_error(getattr(api, method)("/api/moderation/settings", json={}), 401, "UNAUTHORIZED")


def test_threshold_of_one_hides_on_first_report(admin, make_user, curator, api):
    assert admin["api"].put("/api/moderation/settings", json={"flagThreshold": 1}).status_code == 200
    image = seed_image(curator["id"], title="Single report")
    flag(make_user(), image, "adult-unmarked")
    assert_error(api.get(f"/api/images/{image.id}"), 404, "NOT_FOUND")


def test_downloads_follow_adult_and_review_rules(make_user, curator, admin, api):
    adult = seed_model(curator["id"], title="Adult download", is_adult=True)
    path = f"/api/models/{adult.id}/versions/{adult.primary_version_id}/download"
    assert_error(api.get(path, allow_redirects=False), 401, "UNAUTHORIZED")
    opted_out, opted_in = make_user(), make_user()
    user = container.users_repo().get(opted_in["id"])
    user.show_adult = True
    container.users_repo().save(user)
    assert_error(opted_out["api"].get(path, allow_redirects=False), 404, "NOT_FOUND")
    assert opted_in["api"].get(path, allow_redirects=False).status_code == 302
    flag(admin, adult)
    assert_error(opted_in["api"].get(path, allow_redirects=False), 404, "NOT_FOUND")
    assert_error(curator["api"].get(path, allow_redirects=False), 404, "NOT_FOUND")  # the owner: in audit
    assert admin["api"].get(path, allow_redirects=False).status_code == 302
