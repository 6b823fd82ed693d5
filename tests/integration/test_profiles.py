"""Public profiles over HTTP: what each viewer sees of someone's work (guest, member with and without
adult content, owner, administrator) in the lists and in the counts, placeholders for the owner's
flagged work, the avatar, inactive accounts, paging on into the catalog lists, hostile ids."""
from __future__ import annotations

import pytest

from chalicelib import container
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error

THUMBS = {"grid": {"key": "thumbs/test/grid.webp", "mime": "image/webp", "width": 8, "height": 8}}


@pytest.fixture(scope="module")
def world(make_user, admin):
    owner = make_user("CURATOR")
    models = {
        "safe": seed_model(owner["id"], title="Safe model"),
        "adult": seed_model(owner["id"], title="Adult model", is_adult=True),
        "private": seed_model(owner["id"], title="Private model", visibility="private"),
        "flagged": seed_model(owner["id"], title="Flagged model", moderation="flagged"),
    }
    images = {
        "safe": seed_image(owner["id"], title="Safe image", thumbnails=THUMBS),
        "adult": seed_image(owner["id"], title="Adult image", thumbnails=THUMBS, is_adult=True),
        "private": seed_image(owner["id"], title="Private image", thumbnails=THUMBS, visibility="private"),
        "avatar": seed_image(owner["id"], title="Avatar", thumbnails=THUMBS, purpose="avatar"),
    }
    galleries = {}
    for name, visibility in (("public", "public"), ("private", "private")):
        r = owner["api"].post("/api/galleries", json={"title": f"{name} gallery", "visibility": visibility})
        assert r.status_code == 201, r.text
        galleries[name] = r.json()["data"]["id"]
    container.users_repo().set_avatar(owner["id"], images["avatar"].id)
    member = make_user("USER")
    adult_member = make_user("USER")
    assert adult_member["api"].patch("/api/auth/me", json={"showAdultContent": True}).status_code == 200
    return {"owner": owner, "models": models, "images": images, "galleries": galleries, "member": member,
            "adult_member": adult_member, "admin": admin}


def profile_of(api, user_id: str) -> dict:
    r = api.get(f"/api/users/{user_id}/profile")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def ids(section: dict) -> set[str]:
    return {i["id"] for i in section["items"]}


def names(world, kind: str, *keys) -> set[str]:
    records = world[kind]
    return {records[k].id if kind != "galleries" else records[k] for k in keys}


@pytest.mark.parametrize("viewer,models,images,galleries", [
    ("guest", ("safe",), ("safe",), ("public",)),
    ("member", ("safe",), ("safe",), ("public",)),
    ("adult_member", ("safe", "adult"), ("safe", "adult"), ("public",)),
    ("owner", ("safe", "adult", "private", "flagged"), ("safe", "adult", "private"), ("public", "private")),
    ("admin", ("safe", "adult", "private", "flagged"), ("safe", "adult", "private"), ("public", "private")),
])
def test_profile_shows_and_counts_only_what_the_viewer_may_see(world, api, viewer, models, images, galleries):
    who = api if viewer == "guest" else world[viewer]["api"]
    data = profile_of(who, world["owner"]["id"])
    assert ids(data["models"]) == names(world, "models", *models)
    assert ids(data["images"]) == names(world, "images", *images)  # the avatar is no gallery image
    assert ids(data["galleries"]) == names(world, "galleries", *galleries)
    assert data["stats"]["modelCount"] == len(models)
    assert data["stats"]["imageCount"] == len(images)
    assert data["stats"]["galleryCount"] == len(galleries)
    assert isinstance(data["stats"]["receivedLikeCount"], int)
    assert data["displayName"] and data["role"] == "CURATOR" and data["joinedAt"]
    assert isinstance(data["rank"], dict)
    sees_private = viewer in ("owner", "admin")
    assert ("email" in data) == sees_private  # never to the public
    assert data["avatar"] and "grid" in data["avatar"]


def test_flagged_work_is_a_placeholder_for_its_owner_and_full_for_admins(world):
    flagged = world["models"]["flagged"].id
    own = {i["id"]: i for i in profile_of(world["owner"]["api"], world["owner"]["id"])["models"]["items"]}
    assert own[flagged] == {"id": flagged, "title": "Flagged model", "kind": "model", "placeholder": True,
                            "inAudit": True, "moderation": "flagged"}
    assert "placeholder" not in own[world["models"]["safe"].id]
    admin = {i["id"]: i for i in profile_of(world["admin"]["api"], world["owner"]["id"])["models"]["items"]}
    assert admin[flagged]["moderation"] == "flagged" and "placeholder" not in admin[flagged]
    assert "previews" in admin[flagged]


def test_adult_avatar_is_hidden_from_guests(make_user, api):
    user = make_user("USER")
    avatar = seed_image(user["id"], title="Avatar", thumbnails=THUMBS, purpose="avatar", is_adult=True)
    container.users_repo().set_avatar(user["id"], avatar.id)
    assert profile_of(api, user["id"])["avatar"] is None
    assert profile_of(user["api"], user["id"])["avatar"]  # the owner sees their own


def test_profile_without_avatar_or_work(make_user, api):
    user = make_user("USER")
    data = profile_of(api, user["id"])
    assert data["avatar"] is None
    assert data["stats"]["modelCount"] == data["stats"]["imageCount"] == data["stats"]["galleryCount"] == 0
    assert data["models"] == {"items": [], "cursor": None}


def test_first_page_continues_in_the_catalog_lists(make_user, api):
    owner = make_user("CURATOR")
    seeded = [seed_model(owner["id"], title=f"Series {n}").id for n in range(14)]
    data = profile_of(api, owner["id"])
    first = [i["id"] for i in data["models"]["items"]]
    assert first == seeded[::-1][:12] and data["models"]["cursor"]
    r = api.get("/api/models", params={"curator": owner["id"], "cursor": data["models"]["cursor"]})
    assert r.status_code == 200, r.text
    rest = [i["id"] for i in r.json()["data"]]
    assert first + rest == seeded[::-1]
    assert data["stats"]["modelCount"] == 14


def test_inactive_accounts_are_hidden_except_from_admins(make_user, admin, api):
    user = make_user("CURATOR")
    seed_model(user["id"], title="Left behind")
    assert admin["api"].patch(f"/api/users/{user['id']}", json={"isActive": False}).status_code == 200
    assert_error(api.get(f"/api/users/{user['id']}/profile"), 404, "NOT_FOUND")
    other = make_user("USER")
    assert_error(other["api"].get(f"/api/users/{user['id']}/profile"), 404, "NOT_FOUND")
    data = profile_of(admin["api"], user["id"])
    assert data["isActive"] is False and data["stats"]["modelCount"] == 1


@pytest.mark.parametrize("user_id,status", [("does-not-exist", 404), ("a%20b", 400), ("x" * 65, 400),
                                            ("%2e%2e", 400), ("me", 404)])
def test_unknown_and_malformed_ids(api, user_id, status):
    assert_error(api.get(f"/api/users/{user_id}/profile"), status, "NOT_FOUND" if status == 404 else "VALIDATION_ERROR")


def test_profile_ignores_the_original_audit_parameter(world, api):
    r = api.get(f"/api/users/{world['owner']['id']}/profile", params={"audit": "1"})
    assert r.status_code == 200  # no query model: extra parameters are ignored, as on other detail routes
    assert ids(r.json()["data"]["models"]) == {world["models"]["safe"].id}
