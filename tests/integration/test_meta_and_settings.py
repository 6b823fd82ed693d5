"""Catalogue stats per viewer, the public site configuration, and site settings (validation, hostile
input, storage in the settings table, audit)."""
from __future__ import annotations

import time
import uuid

import pytest

from chalicelib import container
from chalicelib.models import Gallery
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error


def stats(api) -> dict:
    r = api.get("/api/meta/stats")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def seed_gallery(owner_id: str, visibility: str = "public") -> Gallery:
    now = time.time()
    gallery = Gallery(uuid.uuid4().hex, owner_id, "Stats gallery", now, now, visibility=visibility)
    container.catalog().galleries.save(gallery)
    container.search_indexer().refresh("gallery", gallery.id)
    return gallery


def test_stats_count_only_what_each_viewer_may_see(make_user, admin, api):
    owner, other_curator, member, adult_fan = make_user("CURATOR"), make_user("CURATOR"), make_user(), make_user()
    user = container.users_repo().get(adult_fan["id"])
    user.show_adult = True
    container.users_repo().save(user)
    viewers = {"guest": api, "member": member["api"], "adult": adult_fan["api"], "owner": owner["api"],
               "other": other_curator["api"], "admin": admin["api"]}
    before = {name: stats(v) for name, v in viewers.items()}
    assert set(before["guest"]) == {"models", "images", "galleries"}

    seed_model(owner["id"])
    seed_model(owner["id"], is_adult=True)
    seed_model(owner["id"], visibility="private")
    seed_model(owner["id"], moderation="flagged")
    seed_model(owner["id"], status="processing")
    seed_image(owner["id"])
    seed_image(owner["id"], is_adult=True)
    seed_image(owner["id"], visibility="private")
    seed_image(owner["id"], purpose="avatar")  # never counted: not an explorer image
    seed_gallery(owner["id"])
    seed_gallery(owner["id"], visibility="private")

    after = {name: stats(v) for name, v in viewers.items()}
    delta = {name: {k: after[name][k] - before[name][k] for k in after[name]} for name in viewers}
    public_safe = {"models": 1, "images": 1, "galleries": 1}
    assert delta["guest"] == public_safe
    assert delta["member"] == public_safe  # adult hidden until the member opts in
    assert delta["other"] == public_safe  # another curator sees none of the owner's private or flagged work
    assert delta["adult"] == {"models": 2, "images": 2, "galleries": 1}
    assert delta["owner"] == {"models": 5, "images": 3, "galleries": 2}  # their own adult, private, flagged, processing
    assert delta["admin"] == {"models": 5, "images": 3, "galleries": 2}


def test_stats_follow_unpublishing_and_removal(make_user, admin, api):
    owner = make_user("CURATOR")
    model = seed_model(owner["id"])
    before_guest, before_admin = stats(api), stats(admin["api"])
    model.moderation = "removed"
    container.catalog().models.save(model)
    container.search_indexer().refresh("model", model.id)
    assert stats(api)["models"] == before_guest["models"] - 1
    assert stats(admin["api"])["models"] == before_admin["models"]  # administrators still see removed items


def test_stats_reject_unknown_parameters_gracefully(api):
    assert api.get("/api/meta/stats", params={"x": "1"}).status_code == 200  # no query model: parameters ignored


@pytest.fixture
def restore_settings(admin):
    original = admin["api"].get("/api/settings").json()["data"]
    yield original
    admin["api"].patch("/api/settings", json={k: original[k] for k in ("siteTitle", "serviceEndpoints")})


def test_service_endpoints_are_stored_and_public(admin, api, restore_settings):
    endpoints = [{"label": "API status", "url": "https://status.example.test/api", "kind": "api"},
                 {"label": "Docs", "url": "http://docs.example.test:8080/path?x=1#top"}]
    suffix = uuid.uuid4().hex[:6]  # a title no earlier test left behind, so it really changes
    title = f"My Gallery {suffix}"
    r = admin["api"].patch("/api/settings", json={"serviceEndpoints": endpoints, "siteTitle": f"  My   Gallery {suffix} "})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["serviceEndpoints"] == endpoints and data["siteTitle"] == title
    public = api.get("/api/meta/config").json()["data"]
    assert public == {"siteTitle": title, "allowRegistration": data["allowRegistration"],
                      "maintenanceMode": data["maintenanceMode"], "serviceEndpoints": endpoints}
    # Stored in the settings table (shared by every container), never in a file.
    assert container.settings_repo().get("site")["service_endpoints"] == endpoints

    log = admin["api"].get("/api/admin/audit", params={"action": "settings.update"}).json()["data"]
    assert log[0]["details"]["changed"] == ["serviceEndpoints", "siteTitle"]
    assert "status.example.test" not in str(log[0]["details"])  # field names, not values
    # The same change again writes and audits nothing.
    admin["api"].patch("/api/settings", json={"serviceEndpoints": endpoints})
    again = admin["api"].get("/api/admin/audit", params={"action": "settings.update"}).json()["data"]
    assert again[0]["id"] == log[0]["id"]

    cleared = admin["api"].patch("/api/settings", json={"serviceEndpoints": []}).json()["data"]
    assert cleared["serviceEndpoints"] == [] and cleared["siteTitle"] == title


HOSTILE_URLS = [
    "javascript:alert(1)", "JavaScript://example.test/%0Aalert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox", "ftp://files.example.test", "//example.test/path", "example.test", "http://",
    "https://user:secret@example.test/", "https://token@example.test", "https://exa mple.test",
    "https://example.test/\u202eevil", "https://example.test/\x00", "http://[::1", "https://example.test:99999/",
    "https://example.test/\"onmouseover=\"alert(1)", "https://example.test/<b>", "https://example.test\\@evil.test",
    "https://ex\u00e4mple.test", "https://example.test/" + "a" * 290,
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_endpoint_urls_are_rejected_and_nothing_is_written(admin, url, restore_settings):
    before = container.settings_repo().get("site")
    body = {"siteTitle": "Changed title", "serviceEndpoints": [{"label": "Fine", "url": "https://ok.example.test"},
                                                                {"label": "Bad", "url": url}]}
    r = admin["api"].patch("/api/settings", json=body)
    assert r.status_code == 400, (url, r.text)
    assert r.json()["errors"][0]["code"] == "VALIDATION_ERROR"
    assert container.settings_repo().get("site") == before


@pytest.mark.parametrize("body,field", [
    ({"serviceEndpoints": [{"label": "", "url": "https://ok.example.test"}]}, "serviceEndpoints.0.label"),
    ({"serviceEndpoints": [{"label": "x" * 61, "url": "https://ok.example.test"}]}, "serviceEndpoints.0.label"),
    ({"serviceEndpoints": [{"label": "   ", "url": "https://ok.example.test"}]}, "serviceEndpoints.0.label"),
    ({"serviceEndpoints": [{"label": "A", "url": "https://a.example.test"}, {"label": "a", "url": "https://b.example.test"}]},
     "serviceEndpoints.1.label"),
    ({"serviceEndpoints": [{"label": "A"}]}, "serviceEndpoints.0.url"),
    ({"serviceEndpoints": [{"label": "A", "url": "https://a.example.test", "kind": "Bad Kind"}]},
     "serviceEndpoints.0.kind"),
    ({"serviceEndpoints": [{"label": "A", "url": "https://a.example.test", "secret": "x"}]},
     "serviceEndpoints.0.secret"),
    ({"serviceEndpoints": [{"label": f"L{n}", "url": "https://a.example.test"} for n in range(21)]}, "serviceEndpoints"),
    ({"serviceEndpoints": "https://a.example.test"}, "serviceEndpoints"),
    ({"serviceEndpoints": [5]}, "serviceEndpoints.0"),
    ({"siteTitle": "x" * 121}, "siteTitle"),
    ({"siteTitle": "bad\u0007title"}, "siteTitle"),
    ({"siteTitle": "   "}, "siteTitle"),
    ({"allowRegistration": "true"}, "allowRegistration"),
    ({"maintenanceMode": 1}, "maintenanceMode"),
    ({"backendHost": "10.0.0.5"}, "backendHost"),
])
def test_settings_validation(admin, body, field, restore_settings):
    before = container.settings_repo().get("site")
    assert_error(admin["api"].patch("/api/settings", json=body), 400, "VALIDATION_ERROR", field)
    assert container.settings_repo().get("site") == before


def test_settings_permissions(make_user, api):
    body = {"siteTitle": "Hijacked"}
    assert_error(api.patch("/api/settings", json=body), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/settings"), 401, "UNAUTHORIZED")
    for role in ("USER", "CURATOR"):
        caller = make_user(role)
        assert_error(caller["api"].patch("/api/settings", json=body), 403, "FORBIDDEN")
    assert api.get("/api/meta/config").json()["data"]["siteTitle"] != "Hijacked"
