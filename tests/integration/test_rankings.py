"""Rankings: viewer-independent ranks, the leaderboard (order, pagination while scores change),
background refreshes and recomputes, reset/block/unblock, tiers, permissions and hostile input."""
from __future__ import annotations

import time
import uuid

import pytest

from chalicelib import container
from chalicelib.models import Gallery
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error, wait_for


def seed_gallery(owner_id: str, visibility: str = "public") -> Gallery:
    now = time.time()
    gallery = Gallery(uuid.uuid4().hex, owner_id, "Seeded gallery", now, now, visibility=visibility)
    container.catalog().galleries.save(gallery)
    container.search_indexer().refresh("gallery", gallery.id)
    return gallery


def set_fields(kind: str, record, **fields):
    """Change a record the way the services do: write it, then re-index it."""
    repo = {"model": container.catalog().models, "image": container.catalog().images}[kind]
    for name, value in fields.items():
        setattr(record, name, value)
    repo.save(record)
    container.search_indexer().refresh(kind, record.id)


def rank(api, user_id):
    r = api.get(f"/api/rankings/users/{user_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def stored(admin, user_id) -> dict:
    """The stored ranking state the leaderboard reads (admins only)."""
    return rank(admin["api"], user_id)["ranking"]


def wait_stored(admin, user_id, score, listed=True):
    return wait_for(lambda: (s := stored(admin, user_id))["storedScore"] == score and s["listed"] == listed and s)


def walk(api, page_size, between_pages=None):
    """Every leaderboard entry, page by page; ``between_pages(entries so far)`` runs after each page."""
    entries, cursor = [], None
    for _ in range(500):
        params = {"pageSize": page_size, **({"cursor": cursor} if cursor else {})}
        r = api.get("/api/rankings/leaderboard", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["data"]) <= page_size
        entries += body["data"]
        cursor = body["meta"]["cursor"]
        if between_pages:
            between_pages(entries)
        if not cursor:
            return entries
    raise AssertionError("leaderboard walk did not end")


def ids(entries):
    return [e["user"]["id"] for e in entries]


@pytest.fixture
def curator(make_user):
    return make_user("CURATOR")


def test_score_counts_only_public_active_ready_work_and_is_the_same_for_every_viewer(make_user, admin, api):
    owner = make_user("CURATOR")
    seed_model(owner["id"])  # public, safe: counts
    seed_model(owner["id"], is_adult=True)  # public, adult: counts for everyone's view of the rank
    seed_model(owner["id"], visibility="private")
    seed_model(owner["id"], moderation="flagged")
    seed_model(owner["id"], moderation="removed")
    seed_model(owner["id"], status="processing")
    seed_image(owner["id"])
    seed_image(owner["id"], is_adult=True)
    seed_image(owner["id"], visibility="private")
    seed_image(owner["id"], purpose="avatar")  # part of the profile, not a contribution
    seed_gallery(owner["id"])
    seed_gallery(owner["id"], visibility="private")

    member = make_user()
    adult_fan = make_user()
    user = container.users_repo().get(adult_fan["id"])
    user.show_adult = True
    container.users_repo().save(user)

    views = [rank(v, owner["id"])["rank"] for v in (api, member["api"], adult_fan["api"], owner["api"], admin["api"])]
    assert all(v == views[0] for v in views)
    expected = {"models": 2, "galleries": 1, "images": 2}
    assert views[0]["counts"] == expected
    assert views[0]["score"] == 2 * 3 + 1 * 2 + 2 * 1 == 10
    assert (views[0]["label"], views[0]["nextLabel"], views[0]["nextScore"]) == ("Curator", "Senior Curator", 18)
    assert "ranking" not in rank(member["api"], owner["id"])  # reset/block bookkeeping is for administrators
    # The stored copy the leaderboard reads catches up in the background.
    wait_stored(admin, owner["id"], 10)


def test_unknown_and_malformed_user_ids(api):
    assert_error(api.get("/api/rankings/users/" + "a" * 32), 404, "NOT_FOUND")
    for bad in ("a" * 65, "bad%20id", "%2e%2e", "x!y"):
        r = api.get(f"/api/rankings/users/{bad}")
        assert r.status_code in (400, 404), r.text
        assert r.json()["errors"]


def test_leaderboard_orders_by_score_and_reflects_changes(make_user, admin, api):
    top, middle, low = make_user("CURATOR"), make_user("CURATOR"), make_user("CURATOR")
    for _ in range(4):
        seed_model(top["id"])
    seed_model(middle["id"])
    seed_gallery(middle["id"])
    seed_image(low["id"])
    wait_stored(admin, top["id"], 12)
    wait_stored(admin, middle["id"], 5)
    wait_stored(admin, low["id"], 1)

    entries = walk(api, 7)
    assert len(ids(entries)) == len(set(ids(entries)))
    mine = [i for i in ids(entries) if i in (top["id"], middle["id"], low["id"])]
    assert mine == [top["id"], middle["id"], low["id"]]
    scores = [e["rank"]["score"] for e in entries]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert [e["position"] for e in entries] == list(range(1, len(entries) + 1))
    by_id = {e["user"]["id"]: e for e in entries}
    assert by_id[top["id"]]["rank"]["label"] == "Curator"
    assert by_id[top["id"]]["user"]["role"] == "CURATOR" and "email" not in by_id[top["id"]]["user"]

    # Publishing and unpublishing move a user (through the indexer's hook and a queued refresh).
    hidden = seed_model(low["id"], visibility="private")
    set_fields("model", hidden, visibility="public")
    wait_stored(admin, low["id"], 4)
    set_fields("model", hidden, moderation="flagged")
    wait_stored(admin, low["id"], 1)


def test_leaderboard_pages_never_repeat_a_user_whose_score_changes_mid_walk(make_user, admin, api):
    """Semantics: a walk lists each user at most once; users whose place changes after the first page
    are left out of the rest of that walk; users whose place did not change are all listed."""
    falling, steady, rising = make_user("CURATOR"), make_user("CURATOR"), make_user("CURATOR")
    falling_models = [seed_model(falling["id"]) for _ in range(6)]  # 18
    seed_model(steady["id"])
    seed_model(steady["id"])  # 6
    seed_image(rising["id"])  # 1
    wait_stored(admin, falling["id"], 18)
    wait_stored(admin, steady["id"], 6)
    wait_stored(admin, rising["id"], 1)
    changed = []

    def change_once_falling_was_listed(entries):
        if changed or falling["id"] not in ids(entries):
            return
        assert steady["id"] not in ids(entries)  # the change happens while both are still ahead
        for m in falling_models[:5]:
            set_fields("model", m, visibility="private")  # 18 -> 3: would reappear below steady
        for _ in range(8):
            seed_model(rising["id"])  # 1 -> 25: moved above the cursor
        wait_stored(admin, falling["id"], 3)
        wait_stored(admin, rising["id"], 25)
        changed.append(True)

    entries = walk(api, 2, change_once_falling_was_listed)
    assert changed
    listed = ids(entries)
    assert len(listed) == len(set(listed)), "a user was listed twice"
    assert listed.count(falling["id"]) == 1 and listed.count(steady["id"]) == 1
    assert rising["id"] not in listed[listed.index(falling["id"]):]
    # A fresh walk shows everyone at their new place.
    fresh = {e["user"]["id"]: e["rank"]["score"] for e in walk(api, 50)}
    assert fresh[falling["id"]] == 3 and fresh[rising["id"]] == 25 and fresh[steady["id"]] == 6


def test_leaderboard_hides_blocked_inactive_and_zero_scores_and_validates_input(make_user, admin, api):
    blocked, inactive, idle = make_user("CURATOR"), make_user("CURATOR"), make_user("CURATOR")
    seed_model(blocked["id"])
    seed_model(inactive["id"])
    wait_stored(admin, blocked["id"], 3)
    wait_stored(admin, inactive["id"], 3)
    admin["api"].post(f"/api/rankings/users/{blocked['id']}/block")
    user = container.users_repo().get(inactive["id"])
    user.is_active = False
    container.users_repo().save(user)
    listed = ids(walk(api, 100))
    assert blocked["id"] not in listed and inactive["id"] not in listed and idle["id"] not in listed
    assert_error(api.get(f"/api/rankings/users/{inactive['id']}"), 404, "NOT_FOUND")
    assert rank(admin["api"], inactive["id"])["rank"]["score"] == 3  # administrators still see it

    for params, field in (({"pageSize": 0}, "pageSize"), ({"pageSize": 101}, "pageSize"), ({"pageSize": "x"}, "pageSize"),
                          ({"cursor": "garbage"}, "cursor"), ({"cursor": "x" * 1001}, "cursor"), ({"sort": "up"}, "sort")):
        assert_error(api.get("/api/rankings/leaderboard", params=params), 400, "VALIDATION_ERROR", field)
    from chalicelib.pagination import encode_cursor
    for position in ({"l": 5, "t": "soon", "n": -1}, {"l": "9#x", "t": 1e308, "n": 0},
                     {"l": "9#x", "t": float("nan"), "n": 0}, {"l": "", "t": 1, "n": 0}, {"l": "9#x", "t": 1, "n": True}):
        forged = encode_cursor(position, {"board": "leaderboard"})
        assert_error(api.get("/api/rankings/leaderboard", params={"cursor": forged}), 400, "VALIDATION_ERROR", "cursor")
    # A well-formed cursor of any place is harmless: it only ever reads public board entries.
    odd = encode_cursor({"l": "\u00e9\u0000zz", "t": 1, "n": 0}, {"board": "leaderboard"})
    assert api.get("/api/rankings/leaderboard", params={"cursor": odd}).status_code == 200


def test_reset_block_and_unblock(make_user, admin, api):
    target = make_user("CURATOR")
    seed_model(target["id"])
    seed_model(target["id"])
    wait_stored(admin, target["id"], 6)

    r = admin["api"].post(f"/api/rankings/users/{target['id']}/reset")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["rank"]["score"] == 0 and data["rank"]["counts"]["models"] == 2
    assert data["ranking"]["lastResetAt"] and data["ranking"]["resetCounts"]["models"] == 2
    assert rank(api, target["id"])["rank"]["score"] == 0
    assert target["id"] not in ids(walk(api, 100))
    seed_model(target["id"])  # only what comes after the reset counts
    wait_stored(admin, target["id"], 3)
    assert rank(api, target["id"])["rank"]["score"] == 3

    blocked = admin["api"].post(f"/api/rankings/users/{target['id']}/block").json()["data"]
    assert blocked["rank"]["isBlocked"] is True and blocked["rank"]["label"] == "Ranking Blocked"
    assert admin["api"].post(f"/api/rankings/users/{target['id']}/block").status_code == 200  # repeatable
    assert rank(api, target["id"])["rank"]["isBlocked"] is True
    assert target["id"] not in ids(walk(api, 100))
    seed_model(target["id"])  # a refresh while blocked keeps the user off the board
    wait_for(lambda: stored(admin, target["id"])["storedScore"] == 6)
    assert stored(admin, target["id"])["listed"] is False

    unblocked = admin["api"].post(f"/api/rankings/users/{target['id']}/unblock").json()["data"]
    assert unblocked["rank"]["isBlocked"] is False and unblocked["rank"]["score"] == 6
    assert target["id"] in ids(walk(api, 100))

    log = admin["api"].get("/api/admin/audit", params={"targetId": target["id"]}).json()["data"]
    actions = [e["action"] for e in log]
    assert {"ranking.reset", "ranking.block", "ranking.unblock"} <= set(actions)
    assert actions.count("ranking.block") == 2
    assert_error(admin["api"].post(f"/api/rankings/users/{'f' * 32}/reset"), 404, "NOT_FOUND")


def test_weight_change_recomputes_in_the_background(make_user, admin, api):
    target = make_user("CURATOR")
    seed_model(target["id"])
    seed_image(target["id"])
    wait_stored(admin, target["id"], 4)
    defaults = {"modelWeight": 3, "galleryWeight": 2, "imageWeight": 1}
    try:
        r = admin["api"].put("/api/rankings/settings", json={"modelWeight": 10, "galleryWeight": 2, "imageWeight": 0})
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert data["modelWeight"] == 10 and data["isFallback"] is False
        generation = data["recompute"]["generation"]
        assert data["recompute"]["status"] in ("running", "done") and generation >= 1
        # The live rank uses the new weights at once; the stored board copy after the recompute.
        assert rank(api, target["id"])["rank"]["score"] == 10
        done = wait_for(lambda: (s := admin["api"].get("/api/rankings/settings").json()["data"]["recompute"])
                        ["status"] == "done" and s["generation"] == generation and s, timeout=60)
        assert done["processed"] >= 1 and done["finishedAt"]
        assert stored(admin, target["id"])["storedScore"] == 10
        entry = next(e for e in walk(api, 100) if e["user"]["id"] == target["id"])
        assert entry["rank"]["score"] == 10
        # Repeating the same weights queues nothing.
        again = admin["api"].put("/api/rankings/settings", json={"modelWeight": 10, "galleryWeight": 2, "imageWeight": 0})
        assert again.json()["data"]["recompute"]["generation"] == generation
        log = admin["api"].get("/api/admin/audit", params={"action": "ranking.weights"}).json()["data"]
        assert log and log[0]["details"]["after"]["modelWeight"] == 10
    finally:
        r = admin["api"].put("/api/rankings/settings", json=defaults)
        generation = r.json()["data"]["recompute"]["generation"]
        wait_for(lambda: (s := admin["api"].get("/api/rankings/settings").json()["data"]["recompute"])
                 ["status"] == "done" and s["generation"] == generation, timeout=60)
    assert stored(admin, target["id"])["storedScore"] == 4


@pytest.mark.parametrize("body,field", [
    ({"modelWeight": -1, "galleryWeight": 2, "imageWeight": 1}, "modelWeight"),
    ({"modelWeight": 3, "galleryWeight": 1001, "imageWeight": 1}, "galleryWeight"),
    ({"modelWeight": 3, "galleryWeight": 2, "imageWeight": 1.5}, "imageWeight"),
    ({"modelWeight": "3", "galleryWeight": 2, "imageWeight": 1}, "modelWeight"),
    ({"modelWeight": True, "galleryWeight": 2, "imageWeight": 1}, "modelWeight"),
    ({"modelWeight": 3, "galleryWeight": 2}, "imageWeight"),
    ({"modelWeight": 3, "galleryWeight": 2, "imageWeight": 1, "scoreOffset": 5}, "scoreOffset"),
])
def test_weights_validation(admin, body, field):
    assert_error(admin["api"].put("/api/rankings/settings", json=body), 400, "VALIDATION_ERROR", field)


def test_tiers_crud_validation_and_effect_on_ranks(make_user, admin, api):
    listing = admin["api"].get("/api/rankings/tiers").json()["data"]
    assert listing["isFallback"] is True
    assert [(t["label"], t["minimumScore"]) for t in listing["items"]] == [
        ("Newcomer", 0), ("Curator", 6), ("Senior Curator", 18), ("Master Curator", 40)]
    owner = make_user("CURATOR")
    seed_model(owner["id"])  # score 3
    created = []
    try:
        r = admin["api"].post("/api/rankings/tiers", json={"label": "Sprout", "description": "New here", "minimumScore": 0})
        assert r.status_code == 201, r.text
        created.append(r.json()["data"]["id"])
        r = admin["api"].post("/api/rankings/tiers", json={"label": "  Bloom   tier ", "minimumScore": 2, "position": 4})
        assert r.status_code == 201 and r.json()["data"]["label"] == "Bloom tier"
        created.append(r.json()["data"]["id"])
        listing = admin["api"].get("/api/rankings/tiers").json()["data"]
        assert listing["isFallback"] is False and [t["label"] for t in listing["items"]] == ["Sprout", "Bloom tier"]
        assert rank(api, owner["id"])["rank"]["label"] == "Bloom tier"

        assert_error(admin["api"].post("/api/rankings/tiers", json={"label": "Again", "minimumScore": 2}),
                     409, "CONFLICT", "minimumScore")
        assert_error(admin["api"].patch(f"/api/rankings/tiers/{created[1]}", json={"minimumScore": 0}),
                     409, "CONFLICT", "minimumScore")
        for body, field in (({"label": "x", "minimumScore": 1}, "label"),
                            ({"label": "Fine", "minimumScore": -1}, "minimumScore"),
                            ({"label": "Fine", "minimumScore": "7"}, "minimumScore"),
                            ({"label": "Fine", "minimumScore": 7, "description": "d" * 601}, "description"),
                            ({"label": "Fine", "minimumScore": 7, "position": -2}, "position"),
                            ({"label": "Fine", "minimumScore": 7, "isActive": "yes"}, "isActive"),
                            ({"label": "Fine", "minimumScore": 7, "id": "mine"}, "id"),
                            ({"label": "     ", "minimumScore": 8}, "label"),
                            ({"label": "Bell\u0007", "minimumScore": 8}, "label"),
                            ({"minimumScore": 7}, "label")):
            assert_error(admin["api"].post("/api/rankings/tiers", json=body), 400, "VALIDATION_ERROR", field)
        assert len(admin["api"].get("/api/rankings/tiers").json()["data"]["items"]) == 2  # nothing half-written

        r = admin["api"].patch(f"/api/rankings/tiers/{created[1]}", json={"isActive": False})
        assert r.status_code == 200 and r.json()["data"]["isActive"] is False
        assert rank(api, owner["id"])["rank"]["label"] == "Sprout"
        r = admin["api"].patch(f"/api/rankings/tiers/{created[1]}", json={"isActive": True, "minimumScore": 3,
                                                                          "description": "Growing"})
        assert r.json()["data"]["minimumScore"] == 3 and r.json()["data"]["description"] == "Growing"
        assert rank(api, owner["id"])["rank"]["label"] == "Bloom tier"
        assert_error(admin["api"].patch("/api/rankings/tiers/" + "0" * 32, json={"label": "Nope"}), 404, "NOT_FOUND")
        assert_error(admin["api"].patch("/api/rankings/tiers/fallback-curator", json={"label": "Nope"}), 404, "NOT_FOUND")
        assert_error(admin["api"].patch(f"/api/rankings/tiers/{created[1]}", json={"label": 5}), 400, "VALIDATION_ERROR")
        assert_error(admin["api"].patch("/api/rankings/tiers/bad!id", json={}), 400, "VALIDATION_ERROR")

        log = admin["api"].get("/api/admin/audit", params={"targetId": created[1]}).json()["data"]
        assert {"ranking.tier.create", "ranking.tier.update"} <= {e["action"] for e in log}
    finally:
        for tier_id in created:
            admin["api"].delete(f"/api/rankings/tiers/{tier_id}")
    assert_error(admin["api"].delete(f"/api/rankings/tiers/{created[0]}"), 404, "NOT_FOUND")
    assert admin["api"].get("/api/rankings/tiers").json()["data"]["isFallback"] is True
    assert rank(api, owner["id"])["rank"]["label"] == "Newcomer"


ADMIN_ROUTES = [
    ("get", "/api/rankings/settings", None),
    ("put", "/api/rankings/settings", {"modelWeight": 1, "galleryWeight": 1, "imageWeight": 1}),
    ("get", "/api/rankings/tiers", None),
    ("post", "/api/rankings/tiers", {"label": "Sneaky", "minimumScore": 999}),
    ("patch", "/api/rankings/tiers/abc", {"label": "Sneaky"}),
    ("delete", "/api/rankings/tiers/abc", None),
    ("post", "/api/rankings/users/{id}/reset", None),
    ("post", "/api/rankings/users/{id}/block", None),
    ("post", "/api/rankings/users/{id}/unblock", None),
]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_admin_routes_refuse_guests_members_and_curators(make_user, api, method, path, body):
    owner = make_user("CURATOR")
    path = path.format(id=owner["id"])
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(api, method)(path, **kwargs), 401, "UNAUTHORIZED")
    for role in ("USER", "CURATOR"):
        caller = make_user(role)
        assert_error(getattr(caller["api"], method)(path, **kwargs), 403, "FORBIDDEN")
    # Not even a curator acting on their own ranking.
    assert_error(getattr(owner["api"], method)(path, **kwargs), 403, "FORBIDDEN")


def test_public_routes_need_no_account(api):
    assert api.get("/api/rankings/leaderboard").status_code == 200
