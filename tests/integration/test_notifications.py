"""Notifications: producing (once-keys, no self-notifications), paging, read state, polling, announcements."""
from __future__ import annotations

import pytest

from chalicelib import container
from tests.integration.conftest import assert_error, wait_for


def _notify(user, title, category="comments", **kw):
    return container.notification_service().notify(user["id"], category, "comment", title, "body text", **kw)


def _items(api, **params):
    r = api.get("/api/notifications", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_notifications_page_newest_first_without_duplicates_or_gaps(make_user):
    member = make_user()
    for n in range(7):
        _notify(member, f"n{n}")
    seen, cursor = [], None
    while True:
        body = _items(member["api"], pageSize=3, **({"cursor": cursor} if cursor else {}))
        titles = [i["title"] for i in body["data"]["items"]]
        seen += titles
        if len(seen) == 3:
            _notify(member, "late")  # arrives between pages: newer than the cursor, so not on later pages
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert seen == [f"n{n}" for n in range(6, -1, -1)]
    assert body["data"]["unread"]["comments"] == 8 and body["data"]["totalUnread"] == 8


def test_read_one_read_all_and_categories(make_user):
    member = make_user()
    first = _notify(member, "a")
    _notify(member, "b")
    _notify(member, "liked", category="likes")
    api = member["api"]
    r = api.post(f"/api/notifications/{first.id}/read")
    assert r.status_code == 200 and r.json()["data"]["unread"]["comments"] == 1
    again = api.post(f"/api/notifications/{first.id}/read")  # repeating changes nothing
    assert again.json()["data"]["unread"]["comments"] == 1
    r = api.post("/api/notifications/read-all", json={"category": "comments"})
    assert r.json()["data"]["unread"] == {"announcements": 0, "moderation": 0, "likes": 1, "comments": 0}
    unread = _items(api, unread="true")["data"]["items"]
    assert [i["title"] for i in unread] == ["liked"]
    _notify(member, "after read-all")
    assert _items(api)["data"]["unread"]["comments"] == 1
    r = api.post("/api/notifications/read-all", json={})
    assert r.json()["data"]["totalUnread"] == 0
    assert all(i["read"] for i in _items(api)["data"]["items"])


def test_once_key_and_self_notifications(make_user):
    member = make_user()
    assert _notify(member, "x", category="likes", once_key="like#model#m1#u2")
    assert _notify(member, "x", category="likes", once_key="like#model#m1#u2") is None
    assert _notify(member, "own action", actor_id=member["id"]) is None
    assert _items(member["api"])["data"]["totalUnread"] == 1


def test_poll_returns_only_newer_and_waits(make_user):
    member = make_user()
    api = member["api"]
    start = api.get("/api/notifications/poll").json()["data"]
    assert start["items"] == [] and start["cursor"] is None
    _notify(member, "one")
    cursor = api.get("/api/notifications/poll").json()["data"]["cursor"]
    _notify(member, "two")
    _notify(member, "three")
    body = api.get("/api/notifications/poll", params={"since": cursor}).json()["data"]
    assert [i["title"] for i in body["items"]] == ["two", "three"] and body["totalUnread"] == 3
    quiet = api.get("/api/notifications/poll", params={"since": body["cursor"], "wait": 1}).json()["data"]
    assert quiet["items"] == [] and quiet["cursor"] == body["cursor"]


@pytest.mark.parametrize("params, field", [
    ({"category": "spam"}, "category"), ({"pageSize": "0"}, "pageSize"), ({"cursor": "../../x"}, "cursor"),
    ({"unread": "maybe"}, "unread"), ({"other": "1"}, "other"),
])
def test_list_rejects_bad_parameters(make_user, params, field):
    assert_error(make_user()["api"].get("/api/notifications", params=params), 400, "VALIDATION_ERROR", field)


def test_hostile_ids_and_bodies(make_user, api):
    member = make_user()
    assert_error(api.get("/api/notifications"), 401, "UNAUTHORIZED")
    assert_error(member["api"].post("/api/notifications/not-an-id/read"), 400, "VALIDATION_ERROR")
    assert_error(member["api"].post("/api/notifications/0000000000000deadbeef/read"), 404, "NOT_FOUND")
    assert_error(member["api"].get("/api/notifications/poll", params={"wait": "60"}), 400, "VALIDATION_ERROR", "wait")
    assert_error(member["api"].post("/api/notifications/read-all", json={"category": "x"}), 400, "VALIDATION_ERROR")
    # Someone else's notification is not found for me.
    other = make_user()
    theirs = _notify(other, "private")
    assert_error(member["api"].post(f"/api/notifications/{theirs.id}/read"), 404, "NOT_FOUND")


def test_announcements_reach_every_active_user_once(make_user, admin):
    members = [make_user() for _ in range(3)]
    assert_error(members[0]["api"].post("/api/notifications/announcements", json={"title": "Hi all", "message": "m"}),
                 403, "FORBIDDEN")
    assert_error(admin["api"].post("/api/notifications/announcements", json={"title": "x", "message": "m"}),
                 400, "VALIDATION_ERROR", "title")
    r = admin["api"].post("/api/notifications/announcements", json={"title": "Maintenance tonight", "message": "22:00"})
    assert r.status_code == 202, r.text
    announcement_id = r.json()["data"]["id"]
    for m in members:
        wait_for(lambda m=m: _items(m["api"], category="announcements")["data"]["items"])
    # A re-delivered batch notifies nobody twice.
    container.notification_service().deliver_announcement(announcement_id, "Maintenance tonight", "22:00", None, None)
    for m in members:
        items = _items(m["api"], category="announcements")["data"]["items"]
        assert [i["title"] for i in items] == ["Maintenance tonight"]
    log = admin["api"].get("/api/admin/audit", params={"action": "notification.announce"}).json()
    assert any(e["target"]["id"] == announcement_id and e["actor"]["id"] == admin["id"] for e in log["data"])
