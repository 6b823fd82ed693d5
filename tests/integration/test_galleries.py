"""Galleries over HTTP: create/list/detail/edit/delete, ordered entries, notes, covers, nesting,
ownership on every write, visibility of galleries and entries, paging, hostile input, bulk."""
from __future__ import annotations

import pytest

from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error

THUMBS = {"grid": {"key": "thumbs/test/grid.webp", "mime": "image/webp", "width": 8, "height": 8}}


@pytest.fixture
def curator(make_user):
    return make_user("CURATOR")


@pytest.fixture
def other(make_user):
    return make_user("CURATOR")


@pytest.fixture(scope="module")
def member(make_user):
    return make_user("USER")


def create(user, status: int = 201, **body) -> dict:
    body.setdefault("title", "A gallery")
    r = user["api"].post("/api/galleries", json=body)
    assert r.status_code == status, r.text
    return r.json()["data"]


def image(owner, **fields):
    return seed_image(owner["id"], thumbnails=THUMBS, **fields)


def model(owner, **fields):
    return seed_model(owner["id"], **fields)


def add(user, gallery_id: str, *assets, status: int = 200):
    items = [{"kind": "model" if hasattr(a, "trigger_words") else "image", "id": a.id} for a in assets]
    r = user["api"].post(f"/api/galleries/{gallery_id}/entries", json={"items": items})
    assert r.status_code == status, r.text
    return r.json()


def detail(user_or_api, gallery_id: str) -> dict:
    api = user_or_api["api"] if isinstance(user_or_api, dict) else user_or_api
    r = api.get(f"/api/galleries/{gallery_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def entry_ids(data: dict) -> list[str]:
    return [e["assetId"] for e in data["entries"]]


def stored_entries(gallery_id: str) -> list[tuple[str, str]]:
    from chalicelib import container

    return container.catalog().entries.entries(gallery_id)


def stored_gallery(gallery_id: str):
    from chalicelib import container

    return container.catalog().galleries.get(gallery_id)


# -- create / detail / list ------------------------------------------------------------------
def test_create_and_detail(curator, admin, other, member, api):
    g = create(curator, title="  Landscapes  ", description="Wide views")
    assert g["title"] == "Landscapes" and g["visibility"] == "private" and g["description"] == "Wide views"
    assert g["owner"] == {"id": curator["id"], "displayName": "CURATOR tester"}
    assert g["entries"] == [] and g["entriesCursor"] is None and g["children"] == [] and g["parent"] is None
    assert g["canEdit"] is True and g["entryCount"] == 0 and "email" not in str(g)
    # Private: owner and admin only; everyone else gets 404 (existence not disclosed).
    assert detail(admin, g["id"])["canEdit"] is True
    for viewer in (other["api"], member["api"], api):
        assert_error(viewer.get(f"/api/galleries/{g['id']}"), 404, "NOT_FOUND")
    public = create(curator, title="Shown", visibility="public")
    seen = detail(api, public["id"])
    assert seen["canEdit"] is False and seen["entryCount"] is None


def test_only_curators_create(member, api):
    assert_error(member["api"].post("/api/galleries", json={"title": "x"}), 403, "FORBIDDEN")
    assert_error(api.post("/api/galleries", json={"title": "x"}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("body,field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": 5}, "title"),
    ({}, "title"),
    ({"title": "ok", "description": "d" * 1501}, "description"),
    ({"title": "ok", "visibility": "secret"}, "visibility"),
    ({"title": "ok", "role": "ADMIN"}, "role"),
    ({"title": "ok", "parentId": "../etc"}, "parentId"),
    ({"title": "ok", "parentId": "x" * 65}, "parentId"),
    ({"title": "ok", "coverImageId": ["a"]}, "coverImageId"),
    ({"title": "ok", "parentId": "missing"}, "parentId"),
    ({"title": "ok", "coverImageId": "missing"}, "coverImageId"),
])
def test_create_rejects_bad_input_and_writes_nothing(curator, body, field):
    r = curator["api"].post("/api/galleries", json=body)
    assert r.status_code in (400, 404), r.text
    assert_error(r, r.status_code, r.json()["errors"][0]["code"], field)
    from chalicelib import container

    assert container.catalog().galleries.owned_by(curator["id"]) == []


def test_malformed_bodies(curator):
    for raw in (b"{nope", b"[1]", b'"title"'):
        assert_error(curator["api"].post("/api/galleries", data=raw, headers={"Content-Type": "application/json"}),
                     400, "VALIDATION_ERROR", "body")


def test_list_search_and_filters(curator, other, api):
    import uuid

    word = "zq" + uuid.uuid4().hex[:8]
    shown = create(curator, title=f"Alpha {word}", visibility="public")
    hidden = create(curator, title=f"Beta {word}")
    theirs = create(other, title=f"Gamma {word}", visibility="public")
    r = api.get("/api/galleries", params={"q": word})
    assert r.status_code == 200, r.text
    ids = [g["id"] for g in r.json()["data"]]
    assert set(ids) == {shown["id"], theirs["id"]}
    card = next(g for g in r.json()["data"] if g["id"] == shown["id"])
    assert set(card) >= {"id", "title", "description", "visibility", "owner", "cover", "parentId", "entryCount",
                         "createdAt", "updatedAt"} and "email" not in str(card)
    own = curator["api"].get("/api/galleries", params={"q": word, "curator": curator["id"], "sort": "name"})
    assert [g["id"] for g in own.json()["data"]] == [shown["id"], hidden["id"]]
    paged = api.get("/api/galleries", params={"q": word, "pageSize": 1})
    assert len(paged.json()["data"]) == 1 and paged.json()["meta"]["cursor"]
    rest = api.get("/api/galleries", params={"q": word, "pageSize": 1, "cursor": paged.json()["meta"]["cursor"]})
    assert rest.status_code == 200 and rest.json()["data"][0]["id"] != paged.json()["data"][0]["id"]
    assert_error(api.get("/api/galleries", params={"q": "other", "cursor": paged.json()["meta"]["cursor"]}),
                 400, "VALIDATION_ERROR", "cursor")


@pytest.mark.parametrize("params,field", [
    ({"sort": "liked"}, "sort"),
    ({"pageSize": "0"}, "pageSize"),
    ({"pageSize": "101"}, "pageSize"),
    ({"pageSize": "ten"}, "pageSize"),
    ({"curator": "bad id!"}, "curator"),
    ({"cursor": "%%%"}, "cursor"),
    ({"cursor": "x" * 2001}, "cursor"),
    ({"q": "x" * 201}, "q"),
    ({"colour": "red"}, "colour"),
    ({"parentId": "../x"}, "parentId"),
])
def test_list_rejects_bad_query(api, params, field):
    assert_error(api.get("/api/galleries", params=params), 400, "VALIDATION_ERROR", field)


# -- entries: order, reorder, notes, paging ------------------------------------------------------
def test_entries_keep_order_reorder_and_notes(curator, api):
    g = create(curator, visibility="public")
    images = [image(curator) for _ in range(3)]
    m = model(curator)
    report = add(curator, g["id"], *images, m)["data"]
    assert report["added"] == 4 and [i["status"] for i in report["items"]] == ["added"] * 4
    data = detail(api, g["id"])
    assert entry_ids(data) == [i.id for i in images] + [m.id]
    first = data["entries"][0]
    assert first["kind"] == "image" and first["asset"]["title"] and first["asset"]["previews"]["grid"].startswith("http")
    assert first["asset"]["owner"]["displayName"] == "CURATOR tester"
    assert data["entries"][3]["kind"] == "model"
    # Reorder (model first, then the images reversed) and annotate, in one edit.
    r = curator["api"].patch(f"/api/galleries/{g['id']}", json={"entries": [
        {"kind": "model", "assetId": m.id, "position": 0, "note": "The LoRA"},
        {"kind": "image", "assetId": images[2].id, "position": 1},
        {"kind": "image", "assetId": images[1].id, "position": 2.5},
        {"kind": "image", "assetId": images[0].id, "position": 3, "note": "first render"}]})
    assert r.status_code == 200, r.text
    data = detail(api, g["id"])
    assert entry_ids(data) == [m.id, images[2].id, images[1].id, images[0].id]
    assert [e["note"] for e in data["entries"]] == ["The LoRA", None, None, "first render"]
    # Absent note: kept; null note: cleared.
    curator["api"].patch(f"/api/galleries/{g['id']}", json={"entries": [
        {"kind": "model", "assetId": m.id, "position": 4}, {"kind": "image", "assetId": images[0].id, "note": None}]})
    data = detail(api, g["id"])
    assert entry_ids(data)[-1] == m.id and data["entries"][-1]["note"] == "The LoRA"
    assert next(e for e in data["entries"] if e["assetId"] == images[0].id)["note"] is None
    # New entries still append after explicitly positioned ones.
    late = image(curator)
    add(curator, g["id"], late)
    assert entry_ids(detail(api, g["id"]))[-1] == late.id


def test_edit_is_all_or_nothing(curator):
    g = create(curator)
    a, b = image(curator), image(curator)
    add(curator, g["id"], a, b)
    body = {"title": "Renamed", "entries": [{"kind": "image", "assetId": a.id, "position": 0},
                                             {"kind": "image", "assetId": "notInGallery", "position": 1},
                                             {"kind": "model", "assetId": a.id, "position": 2}],
            "removeEntries": [{"kind": "image", "assetId": b.id}]}
    err = assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json=body), 400, "VALIDATION_ERROR")
    assert {e["field"] for e in err["errors"]} == {"entries[1]", "entries[2]"}
    assert "notInGallery" in err["errors"][0]["message"]
    assert stored_gallery(g["id"]).title == "A gallery"
    assert stored_entries(g["id"]) == [("image", a.id), ("image", b.id)]


@pytest.mark.parametrize("body,field", [
    ({"title": None}, "title"),
    ({"title": ""}, "title"),
    ({"visibility": None}, "visibility"),
    ({"visibility": "friends"}, "visibility"),
    ({"description": "x" * 1501}, "description"),
    ({"ownerId": None}, "ownerId"),
    ({"entries": [{"kind": "video", "assetId": "a"}]}, "entries.0.kind"),
    ({"entries": [{"kind": "image", "assetId": "a", "position": -1}]}, "entries.0.position"),
    ({"entries": [{"kind": "image", "assetId": "a", "position": "first"}]}, "entries.0.position"),
    ({"entries": [{"kind": "image", "assetId": "a", "position": 1e13}]}, "entries.0.position"),
    ({"entries": [{"kind": "image", "assetId": "a", "note": "n" * 601}]}, "entries.0.note"),
    ({"entries": [{"kind": "image", "assetId": "a", "extra": 1}]}, "entries.0.extra"),
    ({"entries": [{"kind": "image", "assetId": f"a{n}"} for n in range(81)]}, "entries"),
    ({"removeEntries": [{"kind": "image"}]}, "removeEntries.0.assetId"),
    ({"removeEntries": "all"}, "removeEntries"),
    ({"isPublic": True}, "isPublic"),
])
def test_edit_rejects_bad_input(curator, body, field):
    g = create(curator)
    assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json=body), 400, "VALIDATION_ERROR", field)
    stored = stored_gallery(g["id"])
    assert stored.title == "A gallery" and stored.visibility == "private"


def test_entry_pages_have_no_gaps_or_duplicates_and_hide_what_the_viewer_may_not_see(curator, other, admin, api):
    g = create(curator, visibility="public")
    visible = [image(curator) for _ in range(20)]
    private_other = [image(other, visibility="private") for _ in range(6)]
    adult = image(curator, is_adult=True)
    order = visible[:5] + private_other[:3] + visible[5:12] + [adult] + private_other[3:] + visible[12:]
    for start in range(0, len(order), 10):
        add(admin, g["id"], *order[start:start + 10])
    expected = [a.id for a in order if a in visible]
    for page_size in (1, 3, 7, 50):
        seen, cursor = [], None
        first = api.get(f"/api/galleries/{g['id']}").json()["data"]
        assert entry_ids(first)[:len(expected)] == expected[:24]
        while True:
            params = {"pageSize": page_size, **({"cursor": cursor} if cursor else {})}
            r = api.get(f"/api/galleries/{g['id']}/entries", params=params)
            assert r.status_code == 200, r.text
            assert len(r.json()["data"]) <= page_size
            seen += [e["assetId"] for e in r.json()["data"]]
            cursor = r.json()["meta"]["cursor"]
            if not cursor:
                break
        assert seen == expected, page_size
    # The owner of the gallery sees the adult image (own) but not another member's private ones.
    mine = curator["api"].get(f"/api/galleries/{g['id']}/entries", params={"pageSize": 100}).json()["data"]
    assert adult.id in [e["assetId"] for e in mine]
    assert not {a.id for a in private_other} & {e["assetId"] for e in mine}
    everything = admin["api"].get(f"/api/galleries/{g['id']}/entries", params={"pageSize": 100}).json()["data"]
    assert len(everything) == len(order)


def test_adult_entries_need_an_opted_in_member(curator, make_user, api):
    from chalicelib import container

    g = create(curator, visibility="public")
    adult, safe = image(curator, is_adult=True), image(curator)
    add(curator, g["id"], adult, safe)
    assert entry_ids(detail(api, g["id"])) == [safe.id]
    viewer = make_user()
    assert entry_ids(detail(viewer, g["id"])) == [safe.id]
    stored = container.users_repo().get(viewer["id"])
    stored.show_adult = True
    container.users_repo().save(stored)
    assert entry_ids(detail(viewer, g["id"])) == [adult.id, safe.id]


def test_deleted_flagged_and_removed_assets_are_omitted_not_errors(curator, api):
    from chalicelib import container

    g = create(curator, visibility="public")
    gone, flagged, removed, kept = image(curator), image(curator), image(curator), image(curator)
    add(curator, g["id"], gone, flagged, removed, kept)
    c = container.catalog()
    c.images.delete(gone.id)
    c.images.update(flagged.id, moderation="flagged")
    c.images.update(removed.id, moderation="removed")
    assert entry_ids(detail(api, g["id"])) == [kept.id]
    assert entry_ids(detail(curator, g["id"])) == [flagged.id, kept.id]  # the owner still sees a flagged one


def test_entries_query_and_path_validation(curator, api):
    g = create(curator, visibility="public")
    other_gallery = create(curator, visibility="public")
    add(curator, g["id"], image(curator), image(curator), image(curator))
    cursor = api.get(f"/api/galleries/{g['id']}/entries", params={"pageSize": 1}).json()["meta"]["cursor"]
    assert cursor
    assert_error(api.get(f"/api/galleries/{other_gallery['id']}/entries", params={"cursor": cursor}),
                 400, "VALIDATION_ERROR", "cursor")
    for bad in ("%%%", "eyJrIjp7InBvc2l0aW9uIjoieCJ9fQ", "W10"):
        assert_error(api.get(f"/api/galleries/{g['id']}/entries", params={"cursor": bad}), 400, "VALIDATION_ERROR",
                     "cursor")
    for size in ("0", "101", "-1", "x"):
        assert_error(api.get(f"/api/galleries/{g['id']}/entries", params={"pageSize": size}), 400,
                     "VALIDATION_ERROR", "pageSize")
    assert_error(api.get(f"/api/galleries/{g['id']}/entries", params={"sort": "new"}), 400, "VALIDATION_ERROR", "sort")
    assert_error(api.get("/api/galleries/" + "x" * 65), 400, "VALIDATION_ERROR", "gallery_id")
    assert_error(api.get("/api/galleries/bad%20id"), 400, "VALIDATION_ERROR", "gallery_id")
    assert_error(api.get("/api/galleries/unknownid"), 404, "NOT_FOUND")
    assert_error(curator["api"].delete(f"/api/galleries/{g['id']}/entries/video/abc"), 400, "VALIDATION_ERROR", "kind")


# -- adding entries: ownership, all-or-nothing, idempotency -------------------------------------
def test_curators_add_only_their_own_assets_all_or_nothing(curator, other, admin):
    g = create(curator)
    mine, theirs_public, theirs_private = image(curator), image(other), image(other, visibility="private")
    r = curator["api"].post(f"/api/galleries/{g['id']}/entries", json={"items": [
        {"kind": "image", "id": mine.id}, {"kind": "image", "id": theirs_public.id},
        {"kind": "image", "id": theirs_private.id}, {"kind": "model", "id": "doesnotexist"},
        {"kind": "model", "id": mine.id}]})
    body = assert_error(r, 403, "FORBIDDEN")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("items[1]", "FORBIDDEN"), ("items[2]", "NOT_FOUND"), ("items[3]", "NOT_FOUND"), ("items[4]", "NOT_FOUND")]
    assert stored_entries(g["id"]) == []
    body = assert_error(curator["api"].post(f"/api/galleries/{g['id']}/entries", json={"items": [
        {"kind": "image", "id": "nope"}]}), 404, "NOT_FOUND", "items[0]")
    # Administrators may add anything, into anyone's gallery.
    report = add(admin, g["id"], mine, theirs_public, theirs_private)["data"]
    assert report["added"] == 3
    assert stored_entries(g["id"]) == [("image", mine.id), ("image", theirs_public.id), ("image", theirs_private.id)]


def test_adding_is_idempotent(curator):
    g = create(curator)
    a, b = image(curator), model(curator)
    body = {"items": [{"kind": "image", "id": a.id, "note": "n"}, {"kind": "model", "id": b.id},
                      {"kind": "image", "id": a.id}]}
    first = curator["api"].post(f"/api/galleries/{g['id']}/entries", json=body).json()["data"]
    assert first == {"added": 2, "items": [{"kind": "image", "id": a.id, "status": "added"},
                                           {"kind": "model", "id": b.id, "status": "added"},
                                           {"kind": "image", "id": a.id, "status": "duplicate"}]}
    again = curator["api"].post(f"/api/galleries/{g['id']}/entries", json=body).json()["data"]
    assert again["added"] == 0 and [i["status"] for i in again["items"]] == ["exists", "exists", "duplicate"]
    assert stored_entries(g["id"]) == [("image", a.id), ("model", b.id)]


@pytest.mark.parametrize("body,field", [
    ({"items": []}, "items"),
    ({"items": [{"kind": "image", "id": f"i{n}"} for n in range(101)]}, "items"),
    ({"items": [{"kind": "video", "id": "a"}]}, "items.0.kind"),
    ({"items": [{"kind": "image", "id": "a", "note": "x" * 601}]}, "items.0.note"),
    ({"items": [{"kind": "image", "id": "a b"}]}, "items.0.id"),
    ({"items": [{"kind": "image"}]}, "items.0.id"),
    ({"items": "everything"}, "items"),
    ({"items": [], "force": True}, "force"),
])
def test_add_entries_rejects_bad_input(curator, body, field):
    g = create(curator)
    assert_error(curator["api"].post(f"/api/galleries/{g['id']}/entries", json=body), 400, "VALIDATION_ERROR", field)
    assert stored_entries(g["id"]) == []


def test_every_write_checks_ownership(curator, other, admin, member, api):
    public = create(curator, visibility="public")
    private = create(curator)
    a = image(curator)
    add(curator, public["id"], a)
    writes = [
        ("patch", "/api/galleries/{id}", {"json": {"title": "Hijacked"}}),
        ("post", "/api/galleries/{id}/entries", {"json": {"items": [{"kind": "image", "id": a.id}]}}),
        ("delete", f"/api/galleries/{{id}}/entries/image/{a.id}", {}),
        ("delete", "/api/galleries/{id}", {}),
    ]
    for method, path, kw in writes:
        assert_error(getattr(other["api"], method)(path.format(id=public["id"]), **kw), 403, "FORBIDDEN")
        assert_error(getattr(other["api"], method)(path.format(id=private["id"]), **kw), 404, "NOT_FOUND")
        assert_error(getattr(member["api"], method)(path.format(id=public["id"]), **kw), 403, "FORBIDDEN")
        assert_error(getattr(api, method)(path.format(id=public["id"]), **kw), 401, "UNAUTHORIZED")
    assert stored_gallery(public["id"]).title == "A gallery" and stored_entries(public["id"]) == [("image", a.id)]
    # The administrator may do all of it.
    r = admin["api"].patch(f"/api/galleries/{public['id']}", json={"title": "Moderated"})
    assert r.status_code == 200 and r.json()["data"]["title"] == "Moderated"
    assert admin["api"].delete(f"/api/galleries/{public['id']}/entries/image/{a.id}").status_code == 204
    assert admin["api"].delete(f"/api/galleries/{private['id']}").status_code == 204


def test_remove_entry_is_idempotent_and_takes_the_cover_along(curator, api):
    g = create(curator, visibility="public")
    a, b = image(curator), image(curator)
    add(curator, g["id"], a, b)
    r = curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": a.id})
    assert r.status_code == 200 and r.json()["data"]["coverImageId"] == a.id and r.json()["data"]["cover"]["grid"]
    for _ in range(2):
        assert curator["api"].delete(f"/api/galleries/{g['id']}/entries/image/{a.id}").status_code == 204
    data = detail(api, g["id"])
    assert entry_ids(data) == [b.id] and data["cover"] == {} and data["coverImageId"] is None


# -- covers ------------------------------------------------------------------------------------
def test_cover_rules(curator, other, admin, api):
    g = create(curator, visibility="public")
    own_not_entry = image(curator)
    theirs = image(other)
    theirs_private = image(other, visibility="private")
    assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": theirs.id}),
                 400, "VALIDATION_ERROR", "coverImageId")
    assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": "missing"}),
                 400, "VALIDATION_ERROR", "coverImageId")
    # An entry of the gallery may be the cover even when it belongs to someone else...
    add(admin, g["id"], theirs, theirs_private)
    assert curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": theirs.id}).status_code == 200
    # ...but never an image the caller may not see.
    assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": theirs_private.id}),
                 400, "VALIDATION_ERROR", "coverImageId")
    # The owner's own image need not be an entry.
    r = curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": own_not_entry.id})
    assert r.status_code == 200 and r.json()["data"]["cover"]["grid"].startswith("http")
    assert detail(api, g["id"])["cover"]["grid"]
    # A cover the viewer may not see is not shown (nor is its id).
    from chalicelib import container

    container.catalog().images.update(own_not_entry.id, visibility="private")
    data = detail(api, g["id"])
    assert data["cover"] == {} and data["coverImageId"] is None
    r = curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": None})
    assert r.status_code == 200 and r.json()["data"]["coverImageId"] is None


def test_create_with_cover_and_cover_of_someone_else(curator, other):
    mine, theirs = image(curator), image(other)
    assert create(curator, coverImageId=mine.id)["coverImageId"] == mine.id
    create(curator, status=400, coverImageId=theirs.id)


# -- nesting -----------------------------------------------------------------------------------
def test_nesting_children_parent_and_cycles(curator, other, api):
    a = create(curator, title="A", visibility="public")
    b = create(curator, title="B", visibility="public", parentId=a["id"])
    c = create(curator, title="C", parentId=b["id"])
    data = detail(api, a["id"])
    assert [ch["id"] for ch in data["children"]] == [b["id"]]
    assert detail(api, b["id"])["parent"] == {"id": a["id"], "title": "A"}
    assert detail(api, b["id"])["children"] == []  # C is private
    assert [ch["id"] for ch in detail(curator, b["id"])["children"]] == [c["id"]]
    listed = api.get("/api/galleries", params={"parentId": a["id"]})
    assert [g["id"] for g in listed.json()["data"]] == [b["id"]]
    assert_error(api.get("/api/galleries", params={"parentId": c["id"]}), 404, "NOT_FOUND", "parentId")
    assert_error(api.get("/api/galleries", params={"parentId": a["id"], "q": "x"}), 400, "VALIDATION_ERROR", "parentId")
    # Cycles: A under C (C is inside A), A under itself.
    assert_error(curator["api"].patch(f"/api/galleries/{a['id']}", json={"parentId": c["id"]}), 409, "CONFLICT", "parentId")
    assert_error(curator["api"].patch(f"/api/galleries/{a['id']}", json={"parentId": a["id"]}), 400,
                 "VALIDATION_ERROR", "parentId")
    assert_error(curator["api"].patch(f"/api/galleries/{b['id']}", json={"parentId": c["id"]}), 409, "CONFLICT")
    assert stored_gallery(a["id"]).parent_id is None
    # Someone else's gallery is no parent of mine.
    theirs = create(other, visibility="public")
    assert_error(curator["api"].patch(f"/api/galleries/{c['id']}", json={"parentId": theirs["id"]}), 403, "FORBIDDEN",
                 "parentId")
    hidden = create(other)
    assert_error(curator["api"].post("/api/galleries", json={"title": "x", "parentId": hidden["id"]}), 404,
                 "NOT_FOUND", "parentId")
    # Moving and un-nesting.
    r = curator["api"].patch(f"/api/galleries/{c['id']}", json={"parentId": a["id"]})
    assert r.status_code == 200 and r.json()["data"]["parentId"] == a["id"]
    r = curator["api"].patch(f"/api/galleries/{c['id']}", json={"parentId": None})
    assert r.status_code == 200 and r.json()["data"]["parentId"] is None and r.json()["data"]["parent"] is None


def test_nesting_depth_is_limited(curator):
    chain = [create(curator, title="L1")]
    for level in range(2, 11):
        chain.append(create(curator, title=f"L{level}", parentId=chain[-1]["id"]))
    assert_error(curator["api"].post("/api/galleries", json={"title": "L11", "parentId": chain[-1]["id"]}),
                 400, "VALIDATION_ERROR", "parentId")
    # Moving a two-level subtree under level 9 would reach depth 11.
    sub = create(curator, title="S1")
    create(curator, title="S2", parentId=sub["id"])
    assert_error(curator["api"].patch(f"/api/galleries/{sub['id']}", json={"parentId": chain[8]["id"]}),
                 400, "VALIDATION_ERROR", "parentId")
    assert curator["api"].patch(f"/api/galleries/{sub['id']}", json={"parentId": chain[7]["id"]}).status_code == 200


def test_children_are_paged(curator, api):
    parent = create(curator, visibility="public")
    kids = [create(curator, title=f"K{n}", visibility="public" if n % 3 else "private", parentId=parent["id"])
            for n in range(8)]
    expected = [k["id"] for k in reversed(kids) if k["visibility"] == "public"]
    seen, cursor = [], None
    while True:
        r = api.get("/api/galleries", params={"parentId": parent["id"], "pageSize": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [g["id"] for g in r.json()["data"]]
        cursor = r.json()["meta"]["cursor"]
        if not cursor:
            break
    assert seen == expected


# -- delete ------------------------------------------------------------------------------------
def test_delete_keeps_assets_and_lifts_children(curator, api):
    g = create(curator, visibility="public")
    child = create(curator, parentId=g["id"])
    a, m = image(curator), model(curator)
    add(curator, g["id"], a, m)
    assert curator["api"].delete(f"/api/galleries/{g['id']}").status_code == 204
    assert_error(api.get(f"/api/galleries/{g['id']}"), 404, "NOT_FOUND")
    assert stored_entries(g["id"]) == []
    assert stored_gallery(child["id"]).parent_id is None
    assert api.get(f"/api/images/{a.id}/status").status_code == 200
    assert api.get(f"/api/models/{m.id}/status").status_code == 200
    assert_error(curator["api"].delete(f"/api/galleries/{g['id']}"), 404, "NOT_FOUND")


# -- ownership transfer ------------------------------------------------------------------------
def test_owner_transfer_is_for_administrators(curator, other, admin, member):
    g = create(curator)
    assert_error(curator["api"].patch(f"/api/galleries/{g['id']}", json={"ownerId": other["id"]}), 403, "FORBIDDEN",
                 "ownerId")
    assert_error(admin["api"].patch(f"/api/galleries/{g['id']}", json={"ownerId": member["id"]}), 400,
                 "VALIDATION_ERROR", "ownerId")
    assert_error(admin["api"].patch(f"/api/galleries/{g['id']}", json={"ownerId": "nobody"}), 400,
                 "VALIDATION_ERROR", "ownerId")
    r = admin["api"].patch(f"/api/galleries/{g['id']}", json={"ownerId": other["id"]})
    assert r.status_code == 200 and r.json()["data"]["owner"]["id"] == other["id"]
    assert_error(curator["api"].get(f"/api/galleries/{g['id']}"), 404, "NOT_FOUND")
    assert detail(other, g["id"])["canEdit"] is True


# -- model links -------------------------------------------------------------------------------
def test_link_model_to_gallery(curator, other, admin, api):
    cover = image(curator)
    m = model(curator, cover_image_id=cover.id)
    g = create(curator, visibility="public")
    r = curator["api"].post(f"/api/models/{m.id}/galleries", json={"galleryId": g["id"], "note": "Best LoRA"})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["entry"]["assetId"] == m.id and r.json()["data"]["entry"]["note"] == "Best LoRA"
    data = detail(api, g["id"])
    assert data["coverImageId"] == cover.id and entry_ids(data) == [m.id]
    assert_error(curator["api"].post(f"/api/models/{m.id}/galleries", json={"galleryId": g["id"]}), 409, "CONFLICT")
    # The model's detail lists the (visible) galleries holding it.
    model_detail = api.get(f"/api/models/{m.id}")
    assert model_detail.status_code == 200, model_detail.text
    assert [x["id"] for x in model_detail.json()["data"]["galleries"]] == [g["id"]]
    # Someone else's model, someone else's gallery, missing ones.
    theirs = model(other)
    assert_error(curator["api"].post(f"/api/models/{theirs.id}/galleries", json={"galleryId": g["id"]}), 403, "FORBIDDEN")
    their_gallery = create(other, visibility="public")
    assert_error(curator["api"].post(f"/api/models/{m.id}/galleries", json={"galleryId": their_gallery["id"]}), 403,
                 "FORBIDDEN", "galleryId")
    assert_error(curator["api"].post("/api/models/nosuchmodel/galleries", json={"galleryId": g["id"]}), 404, "NOT_FOUND")
    assert_error(curator["api"].post(f"/api/models/{m.id}/galleries", json={"galleryId": "nosuchgallery"}), 404,
                 "NOT_FOUND", "galleryId")
    for body, field in (({}, "galleryId"), ({"galleryId": g["id"], "note": "n" * 601}, "note"),
                        ({"galleryId": g["id"], "position": 1}, "position")):
        assert_error(curator["api"].post(f"/api/models/{m.id}/galleries", json=body), 400, "VALIDATION_ERROR", field)
    # Administrators may link anything anywhere.
    r = admin["api"].post(f"/api/models/{theirs.id}/galleries", json={"galleryId": g["id"]})
    assert r.status_code == 201
    assert stored_entries(g["id"]) == [("model", m.id), ("model", theirs.id)]


# -- bulk --------------------------------------------------------------------------------------
def test_bulk_collection_add_and_remove(curator, other):
    g = create(curator)
    mine = [image(curator) for _ in range(3)] + [model(curator)]
    items = [{"kind": "model" if hasattr(a, "trigger_words") else "image", "id": a.id} for a in mine]
    r = curator["api"].post("/api/bulk/collection", json={"galleryId": g["id"], "action": "add", "items": items})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["added"] == 4
    # One foreign item spoils the whole batch.
    theirs = image(other)
    extra = image(curator)
    r = curator["api"].post("/api/bulk/collection", json={"galleryId": g["id"], "action": "add", "items": [
        {"kind": "image", "id": extra.id}, {"kind": "image", "id": theirs.id}]})
    assert_error(r, 403, "FORBIDDEN", "items[1]")
    assert len(stored_entries(g["id"])) == 4
    r = curator["api"].post("/api/bulk/collection", json={"galleryId": g["id"], "action": "remove", "items": [
        items[0], items[3], {"kind": "image", "id": extra.id}]})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"removed": 2, "items": [{**items[0], "status": "removed"}, {**items[3], "status": "removed"},
                                                        {"kind": "image", "id": extra.id, "status": "absent"}]}
    assert stored_entries(g["id"]) == [("image", mine[1].id), ("image", mine[2].id)]
    retry = curator["api"].post("/api/bulk/collection", json={"galleryId": g["id"], "action": "remove", "items": [items[0]]})
    assert retry.status_code == 200 and retry.json()["data"]["removed"] == 0


def test_bulk_collection_checks_the_gallery_and_the_input(curator, other, member):
    theirs = create(other, visibility="public")
    hidden = create(other)
    a = image(curator)
    item = [{"kind": "image", "id": a.id}]
    assert_error(curator["api"].post("/api/bulk/collection", json={"galleryId": theirs["id"], "action": "add", "items": item}),
                 403, "FORBIDDEN", "galleryId")
    assert_error(curator["api"].post("/api/bulk/collection", json={"galleryId": hidden["id"], "action": "add", "items": item}),
                 404, "NOT_FOUND", "galleryId")
    assert_error(member["api"].post("/api/bulk/collection", json={"galleryId": theirs["id"], "action": "add", "items": item}),
                 403, "FORBIDDEN")
    g = create(curator)
    for body, field in (
        ({"galleryId": g["id"], "action": "move", "items": item}, "action"),
        ({"galleryId": g["id"], "action": "add", "items": []}, "items"),
        ({"galleryId": g["id"], "action": "add", "items": item * 101}, "items"),
        ({"galleryId": g["id"], "action": "add", "items": [{"kind": "album", "id": a.id}]}, "items.0.kind"),
        ({"galleryId": g["id"], "action": "add", "items": [{"kind": "image", "id": a.id, "note": "x"}]}, "items.0.note"),
        ({"action": "add", "items": item}, "galleryId"),
        ({"galleryId": g["id"], "action": "add", "items": item, "modelIds": []}, "modelIds"),
    ):
        assert_error(curator["api"].post("/api/bulk/collection", json=body), 400, "VALIDATION_ERROR", field)
    assert stored_entries(g["id"]) == []


# -- deletion of assets ------------------------------------------------------------------------
def test_deleting_an_image_unlinks_it_and_clears_the_cover(curator, api):
    g = create(curator, visibility="public")
    a, b = image(curator), image(curator)
    add(curator, g["id"], a, b)
    curator["api"].patch(f"/api/galleries/{g['id']}", json={"coverImageId": a.id})
    r = curator["api"].delete(f"/api/images/{a.id}")
    assert r.status_code == 204, r.text
    data = detail(api, g["id"])
    assert entry_ids(data) == [b.id] and data["coverImageId"] is None
    assert stored_gallery(g["id"]).cover_image_id is None


def test_an_uploaded_cover_follows_the_gallery_visibility(curator, api):
    from chalicelib import container

    gallery = create(curator, visibility="private")
    cover = image(curator, visibility="private", purpose="gallery-cover")
    container.catalog().galleries.update(gallery["id"], cover_image_id=cover.id)
    r = curator["api"].patch(f"/api/galleries/{gallery['id']}", json={"visibility": "public"})
    assert r.status_code == 200, r.text
    assert container.catalog().images.get(cover.id).visibility == "public"
    assert api.get(f"/api/galleries/{gallery['id']}").json()["data"]["cover"]
    curated = image(curator, visibility="private")
    curator["api"].post(f"/api/galleries/{gallery['id']}/entries", json={"items": [{"kind": "image", "id": curated.id}]})
    curator["api"].patch(f"/api/galleries/{gallery['id']}", json={"coverImageId": curated.id, "visibility": "private"})
    curator["api"].patch(f"/api/galleries/{gallery['id']}", json={"visibility": "public"})
    assert container.catalog().images.get(curated.id).visibility == "private"  # a curated image keeps its own
