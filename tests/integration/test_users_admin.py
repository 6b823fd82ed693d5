"""Account administration over HTTP: permissions on every route, create with role presets, the paged
list (filters, users created between pages), guarded edits (email claim swap, self-protection, token
revocation), deletion with content reassigned or removed in the background, bulk delete, the audit log."""
from __future__ import annotations

import uuid

import pytest
import requests

from chalicelib import container
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import STACK, Api, assert_error, unique_email, wait_for

THUMBS = {"grid": {"key": "thumbs/test/grid.webp", "mime": "image/webp", "width": 8, "height": 8}}

# moto's server does not serialise concurrent TransactWriteItems; races are tested on DynamoDB Local.
SERIALISED = pytest.mark.skipif(STACK == "embedded", reason="needs serialised DynamoDB transactions (LocalStack tier)")


@pytest.fixture(scope="module")
def member(make_user):
    return make_user("USER")


@pytest.fixture(scope="module")
def curator(make_user):
    return make_user("CURATOR")


def create(admin, status: int = 201, **body) -> dict:
    body.setdefault("email", unique_email("created"))
    body.setdefault("displayName", "Created user")
    r = admin["api"].post("/api/users", json=body)
    assert r.status_code == status, r.text
    return r.json()["data"] if status == 201 else r.json()


def login(base_url: str, email: str, password: str) -> requests.Response:
    return requests.post(f"{base_url}/api/auth/login", json={"email": email, "password": password}, timeout=30)


def audit_actions(admin, target_id: str) -> list[str]:
    r = admin["api"].get("/api/admin/audit", params={"targetId": target_id})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["data"]]


def deletion_state(admin, user_id: str) -> dict:
    r = admin["api"].get(f"/api/users/{user_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_deleted(admin, user_id: str) -> dict:
    return wait_for(lambda: (d := deletion_state(admin, user_id))["deleted"] and d, timeout=60)


# -- permissions --------------------------------------------------------------------------------
ADMIN_ROUTES = [
    ("get", "/api/users", {}),
    ("post", "/api/users", {"json": {"email": "x@example.test", "displayName": "Xy"}}),
    ("get", "/api/users/{id}", {}),
    ("patch", "/api/users/{id}", {"json": {"bio": "hello"}}),
    ("delete", "/api/users/{id}", {"params": {"content": "remove"}}),
    ("post", "/api/users/bulk-delete", {"json": {"ids": ["{id}"], "content": "remove"}}),
]


@pytest.mark.parametrize("method,path,kw", ADMIN_ROUTES)
def test_admin_routes_refuse_guests_members_and_curators(api, member, curator, method, path, kw):
    target = member["id"]
    path = path.replace("{id}", target)
    if "json" in kw and "ids" in kw["json"]:
        kw = {"json": {**kw["json"], "ids": [target]}}
    assert_error(getattr(api, method)(path, **kw), 401, "UNAUTHORIZED")
    assert_error(getattr(member["api"], method)(path, **kw), 403, "FORBIDDEN")
    assert_error(getattr(curator["api"], method)(path, **kw), 403, "FORBIDDEN")
    assert container.users_repo().get(target).is_active  # nothing happened


# -- create -------------------------------------------------------------------------------------
def test_create_with_role_presets_and_passwords(admin, base_url):
    given = create(admin, email=unique_email("Preset").upper(), displayName="Preset Curator", role="CURATOR",
                   password="a fine password", bio="Paints dragons")
    user = given["user"]
    assert given["generatedPassword"] is None
    assert user["role"] == "CURATOR" and user["bio"] == "Paints dragons" and user["isActive"] is True
    assert user["email"] == user["email"].lower()
    assert login(base_url, user["email"], "a fine password").status_code == 200

    generated = create(admin, displayName="Generated")
    password = generated["generatedPassword"]
    assert generated["user"]["role"] == "USER" and isinstance(password, str) and len(password) >= 16
    assert login(base_url, generated["user"]["email"], password).status_code == 200
    stored = container.users_repo().get(generated["user"]["id"])
    assert password not in stored.password_hash  # hashed, and only ever returned once
    r = admin["api"].get(f"/api/users/{generated['user']['id']}")
    assert "generatedPassword" not in r.json()["data"] and "passwordHash" not in r.text
    assert "user.create" in audit_actions(admin, user["id"])


def test_create_duplicate_email_is_409_case_insensitively(admin):
    email = unique_email("dup")
    create(admin, email=email)
    body = create(admin, status=409, email="  " + email.upper() + " ")
    assert body["errors"][0]["code"] == "CONFLICT" and body["errors"][0]["field"] == "email"


@pytest.mark.parametrize("body,field", [
    ({"email": "not-an-email", "displayName": "Xy"}, "email"),
    ({"email": "a@b", "displayName": "Xy"}, "email"),
    ({"displayName": "Xy"}, "email"),
    ({"email": "ok@example.test"}, "displayName"),
    ({"email": "ok@example.test", "displayName": "X"}, "displayName"),
    ({"email": "ok@example.test", "displayName": "x" * 161}, "displayName"),
    ({"email": "ok@example.test", "displayName": "Xy", "password": "short"}, "password"),
    ({"email": "ok@example.test", "displayName": "Xy", "role": "GOD"}, "role"),
    ({"email": "ok@example.test", "displayName": "Xy", "role": "GUEST"}, "role"),
    ({"email": "ok@example.test", "displayName": "Xy", "bio": "b" * 2001}, "bio"),
    ({"email": "ok@example.test", "displayName": "Xy", "isActive": False}, "isActive"),
    ({"email": ["ok@example.test"], "displayName": "Xy"}, "email"),
    ({"email": "ok@example.test", "displayName": {"$gt": ""}}, "displayName"),
])
def test_create_rejects_bad_input_and_writes_nothing(admin, body, field):
    assert_error(admin["api"].post("/api/users", json=body), 400, "VALIDATION_ERROR", field)
    if isinstance(body.get("email"), str) and "@example.test" in body["email"]:
        assert container.users_repo().get_by_email(body["email"]) is None


def test_create_malformed_bodies(admin):
    assert_error(admin["api"].post("/api/users", data="{nope", headers={"Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR")
    assert_error(admin["api"].post("/api/users", json=["a"]), 400, "VALIDATION_ERROR")


# -- list ---------------------------------------------------------------------------------------
def _collect(admin, params: dict, between=None) -> list[str]:
    seen, cursor, pages = [], None, 0
    while True:
        r = admin["api"].get("/api/users", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [u["id"] for u in r.json()["data"]]
        pages += 1
        if between and pages == 1:
            between()
        cursor = r.json()["meta"]["cursor"]
        if not cursor:
            return seen


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_list_pages_without_duplicates_or_gaps_while_users_are_created(admin, sort):
    tag = f"pg{uuid.uuid4().hex[:8]}"
    initial = [create(admin, displayName=f"{tag} user {n}")["user"]["id"] for n in range(5)]
    late = []
    seen = _collect(admin, {"q": tag, "pageSize": 2, "sort": sort},
                    between=lambda: late.extend(create(admin, displayName=f"{tag} late {n}")["user"]["id"]
                                                for n in range(2)))
    assert len(seen) == len(set(seen))
    assert set(initial) <= set(seen)
    expected = initial[::-1] if sort == "newest" else initial
    assert [i for i in seen if i in initial] == expected
    if sort == "newest":
        assert not set(late) & set(seen)  # newer than the cursor: they are on page one of a new listing
    else:
        assert seen[-2:] == late


def test_list_filters_role_active_and_prefix(admin):
    tag = f"fl{uuid.uuid4().hex[:8]}"
    cur = create(admin, displayName=f"Élodie {tag}", role="CURATOR")["user"]
    usr = create(admin, displayName=f"{tag} Member", email=f"{tag}@example.test")["user"]
    admin["api"].patch(f"/api/users/{usr['id']}", json={"isActive": False})

    def ids(**params):
        r = admin["api"].get("/api/users", params={"q": tag, **params})
        assert r.status_code == 200, r.text
        return {u["id"] for u in r.json()["data"]}

    assert ids() == {cur["id"], usr["id"]}
    assert ids(role="CURATOR") == {cur["id"]}
    assert ids(active="false") == {usr["id"]}
    assert ids(active="true") == {cur["id"]}
    for folded in ("ELODIE", "élo", f"elodie {tag[:5]}"):  # accents and case fold; whole-name prefixes match
        assert cur["id"] in {u["id"] for u in admin["api"].get("/api/users", params={"q": folded}).json()["data"]}
    assert ids(q=f"{tag}@exa") == {usr["id"]}  # email prefix
    listed = admin["api"].get("/api/users", params={"q": tag}).json()["data"]
    assert all("email" in u and "isActive" in u and "deletion" in u for u in listed)


@pytest.mark.parametrize("params,field", [
    ({"role": "GOD"}, "role"), ({"active": "maybe"}, "active"), ({"pageSize": 0}, "pageSize"),
    ({"pageSize": 101}, "pageSize"), ({"pageSize": "x"}, "pageSize"), ({"sort": "random"}, "sort"),
    ({"q": "x" * 101}, "q"), ({"cursor": "!!!"}, "cursor"), ({"cursor": "e30"}, "cursor"),
    ({"bogus": "1"}, "bogus"),
])
def test_list_rejects_bad_query(admin, params, field):
    assert_error(admin["api"].get("/api/users", params=params), 400, "VALIDATION_ERROR", field)


def test_list_cursor_is_bound_to_its_filters(admin):
    for n in range(3):
        create(admin, displayName=f"cursorbound {n}")
    r = admin["api"].get("/api/users", params={"pageSize": 1, "q": "cursorbound"})
    cursor = r.json()["meta"]["cursor"]
    assert cursor
    assert_error(admin["api"].get("/api/users", params={"pageSize": 1, "q": "other", "cursor": cursor}),
                 400, "VALIDATION_ERROR", "cursor")
    assert admin["api"].get("/api/users", params={"pageSize": 5, "q": "cursorbound", "cursor": cursor}).status_code == 200


# -- edit ---------------------------------------------------------------------------------------
def test_email_change_swaps_the_uniqueness_claim(admin, base_url):
    user = create(admin, password="first password")["user"]
    new_email = unique_email("moved")
    r = admin["api"].patch(f"/api/users/{user['id']}", json={"email": new_email.upper()})
    assert r.status_code == 200, r.text and r.json()["data"]["email"] == new_email
    assert login(base_url, new_email, "first password").status_code == 200
    assert login(base_url, user["email"], "first password").status_code == 401
    create(admin, email=user["email"])  # the old address is free again
    taken = admin["api"].patch(f"/api/users/{user['id']}", json={"email": user["email"]})
    assert_error(taken, 409, "CONFLICT", "email")
    assert container.users_repo().get(user["id"]).email == new_email  # nothing changed
    assert container.users_repo().get_by_email(new_email).id == user["id"]


def test_rename_reindexes_the_owners_assets(admin):
    owner = create(admin, role="CURATOR", displayName="Plain Name")["user"]
    seed_model(owner["id"], title="Lantern study")
    word = f"zq{uuid.uuid4().hex[:6]}"
    r = admin["api"].patch(f"/api/users/{owner['id']}", json={"displayName": f"Renamed {word}"})
    assert r.status_code == 200 and r.json()["data"]["displayName"] == f"Renamed {word}"
    wait_for(lambda: len(admin["api"].get("/api/models", params={"q": word}).json()["data"]) == 1)


def test_deactivation_and_password_reset_revoke_tokens_at_once(admin, make_user, base_url):
    user = make_user("USER")
    assert user["api"].get("/api/auth/me").status_code == 200
    r = admin["api"].patch(f"/api/users/{user['id']}", json={"isActive": False})
    assert r.status_code == 200 and r.json()["data"]["isActive"] is False
    assert_error(user["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert login(base_url, user["email"], user["password"]).status_code == 401
    assert admin["api"].patch(f"/api/users/{user['id']}", json={"isActive": True}).status_code == 200
    assert_error(user["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")  # old tokens stay dead
    fresh = login(base_url, user["email"], user["password"])
    assert fresh.status_code == 200
    fresh_api = Api(base_url, fresh.json()["data"]["token"])
    assert admin["api"].patch(f"/api/users/{user['id']}", json={"password": "brand new secret"}).status_code == 200
    assert_error(fresh_api.get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert login(base_url, user["email"], "brand new secret").status_code == 200
    details = admin["api"].get("/api/admin/audit", params={"targetId": user["id"]}).json()["data"]
    assert any(e["action"] == "user.update" and e["details"]["fields"] == ["password"] for e in details)
    assert "brand new secret" not in str(details)


def test_role_bio_and_adult_preference(admin, make_user):
    user = make_user("USER")
    r = admin["api"].patch(f"/api/users/{user['id']}", json={"role": "CURATOR", "bio": "New bio",
                                                             "showAdultContent": True})
    data = r.json()["data"]
    assert data["role"] == "CURATOR" and data["bio"] == "New bio" and data["showAdultContent"] is True
    assert user["api"].get("/api/auth/me").json()["data"]["role"] == "CURATOR"  # the token keeps working
    entry = admin["api"].get("/api/admin/audit", params={"targetId": user["id"]}).json()["data"][0]
    assert entry["details"]["role"] == {"from": "USER", "to": "CURATOR"}


def test_admins_cannot_demote_deactivate_or_delete_themselves(make_user):
    me = make_user("ADMIN")
    assert_error(me["api"].patch(f"/api/users/{me['id']}", json={"role": "CURATOR"}), 409, "CONFLICT", "role")
    assert_error(me["api"].patch(f"/api/users/{me['id']}", json={"isActive": False}), 409, "CONFLICT", "isActive")
    assert_error(me["api"].delete(f"/api/users/{me['id']}", params={"content": "remove"}), 409, "CONFLICT")
    assert me["api"].patch(f"/api/users/{me['id']}", json={"bio": "still here"}).status_code == 200
    stored = container.users_repo().get(me["id"])
    assert stored.role.name == "ADMIN" and stored.is_active


@SERIALISED
def test_two_admins_demoting_each_other_leaves_one(make_user):
    import threading

    a, b = make_user("ADMIN"), make_user("ADMIN")
    results = {}

    def demote(actor, target):
        results[actor["id"]] = actor["api"].patch(f"/api/users/{target['id']}", json={"role": "USER"}).status_code

    threads = [threading.Thread(target=demote, args=pair) for pair in ((a, b), (b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    roles = {u["id"]: container.users_repo().get(u["id"]).role.name for u in (a, b)}
    # Whoever acted second was no longer an administrator (403), or the two collided (409): never both.
    codes = sorted(results.values())
    assert codes.count(200) <= 1 and set(codes) <= {200, 403, 409}, results
    assert list(roles.values()).count("ADMIN") == 2 - codes.count(200), (results, roles)


@pytest.mark.parametrize("body,field", [
    ({"email": None}, "email"), ({"displayName": None}, "displayName"), ({"role": None}, "role"),
    ({"isActive": None}, "isActive"), ({"email": "nope"}, "email"), ({"displayName": "x"}, "displayName"),
    ({"role": "OWNER"}, "role"), ({"isActive": "yes please"}, "isActive"), ({"password": "short"}, "password"),
    ({"bio": "b" * 2001}, "bio"), ({"tokenVersion": 0}, "tokenVersion"), ({"passwordHash": "x"}, "passwordHash"),
])
def test_patch_rejects_bad_input(admin, member, body, field):
    assert_error(admin["api"].patch(f"/api/users/{member['id']}", json=body), 400, "VALIDATION_ERROR", field)


def test_patch_and_get_unknown_or_malformed_ids(admin):
    assert_error(admin["api"].get("/api/users/nobody-here"), 404, "NOT_FOUND")
    assert_error(admin["api"].patch("/api/users/nobody-here", json={"bio": "x"}), 404, "NOT_FOUND")
    assert_error(admin["api"].delete("/api/users/nobody-here", params={"content": "remove"}), 404, "NOT_FOUND")
    for bad in ("a%20b", "x" * 65, "%24where"):
        assert_error(admin["api"].get(f"/api/users/{bad}"), 400, "VALIDATION_ERROR")


# -- delete -------------------------------------------------------------------------------------
def _content(owner_id: str):
    model = seed_model(owner_id, title="Doomed model")
    image = seed_image(owner_id, title="Doomed image", thumbnails=THUMBS)
    hidden = seed_model(owner_id, title="Private model", visibility="private")
    return model, image, hidden


def _gallery(api, *assets, visibility="public") -> str:
    r = api.post("/api/galleries", json={"title": "Doomed gallery", "visibility": visibility})
    assert r.status_code == 201, r.text
    gallery_id = r.json()["data"]["id"]
    if not assets:
        return gallery_id
    items = [{"kind": "model" if hasattr(a, "trigger_words") else "image", "id": a.id} for a in assets]
    assert api.post(f"/api/galleries/{gallery_id}/entries", json={"items": items}).status_code == 200
    return gallery_id


def _ids(api, path: str, **params) -> set[str]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["data"]}


def test_delete_reassigns_content_and_revokes_tokens_immediately(admin, make_user, api):
    doomed, heir = make_user("CURATOR"), make_user("CURATOR")
    model, image, hidden = _content(doomed["id"])
    gallery_id = _gallery(doomed["api"], model, image)
    r = admin["api"].delete(f"/api/users/{doomed['id']}", params={"content": "reassign", "to": heir["id"]})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["deletion"]["status"] in ("pending", "running", "completed")
    assert_error(doomed["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")  # at once, before the content moved
    again = admin["api"].delete(f"/api/users/{doomed['id']}", params={"content": "reassign", "to": heir["id"]})
    assert again.status_code == 202  # a retry is harmless
    assert_error(admin["api"].delete(f"/api/users/{doomed['id']}", params={"content": "remove"}), 409, "CONFLICT")
    state = wait_deleted(admin, doomed["id"])
    assert state["deletion"]["status"] == "completed"
    assert state["deletion"]["counts"]["model.moved"] == 2 and state["deletion"]["counts"]["gallery.moved"] == 1
    assert container.users_repo().get(doomed["id"]) is None
    assert container.users_repo().get_by_email(doomed["email"]) is None
    c = container.catalog()
    assert c.models.get(model.id).owner_id == heir["id"] and c.models.get(hidden.id).owner_id == heir["id"]
    assert c.images.get(image.id).owner_id == heir["id"]
    assert c.galleries.get(gallery_id).owner_id == heir["id"]
    assert wait_for(lambda: _ids(api, "/api/models", curator=heir["id"]) == {model.id})
    assert _ids(api, "/api/models", curator=doomed["id"]) == set()
    assert _ids(api, "/api/images", curator=heir["id"]) == {image.id}
    assert _ids(heir["api"], "/api/models", curator=heir["id"], visibility="private") == {hidden.id}
    assert gallery_id in _ids(api, "/api/galleries", curator=heir["id"])
    assert_error(api.get(f"/api/users/{doomed['id']}/profile"), 404, "NOT_FOUND")
    assert "user.delete" in audit_actions(admin, doomed["id"])


def test_delete_removes_content_from_lists_search_and_other_galleries(admin, make_user, api):
    doomed, other = make_user("CURATOR"), make_user("CURATOR")
    word = f"doom{uuid.uuid4().hex[:6]}"
    model = seed_model(doomed["id"], title=f"{word} model")
    image = seed_image(doomed["id"], title=f"{word} image", thumbnails=THUMBS)
    own_gallery = _gallery(doomed["api"], model, image)
    # Someone else's gallery holding the doomed user's image (administrators may add anything).
    foreign = _gallery(other["api"])
    assert admin["api"].post(f"/api/galleries/{foreign}/entries",
                             json={"items": [{"kind": "image", "id": image.id}]}).status_code == 200
    container.notification_service().notify(doomed["id"], "comments", "comment", "hello")
    r = admin["api"].delete(f"/api/users/{doomed['id']}", params={"content": "remove"})
    assert r.status_code == 202, r.text
    state = wait_deleted(admin, doomed["id"])
    assert state["deletion"]["counts"] == {"model.removed": 1, "image.removed": 1, "gallery.removed": 1}
    c = container.catalog()
    assert c.models.get(model.id) is None and c.images.get(image.id) is None and c.galleries.get(own_gallery) is None
    assert c.entries.entries(foreign) == []
    assert c.galleries.get(foreign) is not None
    assert_error(api.get(f"/api/models/{model.id}"), 404, "NOT_FOUND")
    assert _ids(api, "/api/models", q=word) == set() and _ids(api, "/api/images", q=word) == set()
    assert _ids(admin["api"], "/api/models", curator=doomed["id"]) == set()
    from chalicelib.repositories.notifications import NotificationRepository

    assert NotificationRepository().latest_id(doomed["id"]) is None


def test_delete_validates_content_and_target(admin, make_user):
    user, member = make_user("CURATOR"), make_user("USER")
    path = f"/api/users/{user['id']}"
    assert_error(admin["api"].delete(path), 400, "VALIDATION_ERROR", "content")
    assert_error(admin["api"].delete(path, params={"content": "burn"}), 400, "VALIDATION_ERROR", "content")
    assert_error(admin["api"].delete(path, params={"content": "reassign"}), 400, "VALIDATION_ERROR", "to")
    assert_error(admin["api"].delete(path, params={"content": "reassign", "to": member["id"]}),
                 400, "VALIDATION_ERROR", "to")  # members cannot own content
    assert_error(admin["api"].delete(path, params={"content": "reassign", "to": user["id"]}),
                 400, "VALIDATION_ERROR", "to")
    assert_error(admin["api"].delete(path, params={"content": "reassign", "to": "ghost"}), 400, "VALIDATION_ERROR", "to")
    assert_error(admin["api"].delete(path, params={"content": "remove", "to": member["id"]}),
                 400, "VALIDATION_ERROR", "to")
    assert_error(admin["api"].delete(path, params={"content": "remove", "to": "../x"}), 400, "VALIDATION_ERROR", "to")
    assert_error(admin["api"].delete(path, params={"content": "remove", "extra": "1"}), 400, "VALIDATION_ERROR")
    assert container.users_repo().get(user["id"]).is_active
    assert container.accounts_repo().deletion(user["id"]) is None


def test_edits_of_an_account_being_deleted_are_refused(admin, make_user):
    user = make_user("USER")
    assert admin["api"].delete(f"/api/users/{user['id']}", params={"content": "remove"}).status_code == 202
    r = admin["api"].patch(f"/api/users/{user['id']}", json={"isActive": True})
    # The deletion runs in the background: the edit meets the account either still being deleted or gone.
    # (Checking the record after the response would race with the deletion finishing in between.)
    assert r.status_code in (404, 409), r.text
    assert_error(r, r.status_code, "CONFLICT" if r.status_code == 409 else "NOT_FOUND")
    remaining = container.users_repo().get(user["id"])
    assert remaining is None or not remaining.is_active  # the edit never reactivated it
    wait_deleted(admin, user["id"])
    assert_error(admin["api"].patch(f"/api/users/{user['id']}", json={"bio": "x"}), 404, "NOT_FOUND")


def test_bulk_delete_checks_every_id_first(admin, make_user):
    a, b = make_user("USER"), make_user("CURATOR")
    seed_model(b["id"], title="bulk model")
    r = admin["api"].post("/api/users/bulk-delete", json={"ids": [a["id"], admin["id"], "ghost"], "content": "remove"})
    assert r.status_code == 404, r.text  # the most telling item's status
    body = r.json()
    assert {e["field"] for e in body["errors"]} == {"ids[1]", "ids[2]"}
    assert {e["code"] for e in body["errors"]} == {"CONFLICT", "NOT_FOUND"}
    assert container.users_repo().get(a["id"]).is_active  # nothing happened
    r = admin["api"].post("/api/users/bulk-delete", json={"ids": [a["id"], b["id"], a["id"]], "content": "remove"})
    assert r.status_code == 202, r.text
    assert [d["id"] for d in r.json()["data"]["deletions"]] == [a["id"], b["id"]]
    assert_error(a["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")
    for user in (a, b):
        wait_deleted(admin, user["id"])


def test_bulk_delete_cannot_reassign_to_an_account_in_the_batch(admin, make_user):
    a, b = make_user("CURATOR"), make_user("CURATOR")
    r = admin["api"].post("/api/users/bulk-delete", json={"ids": [a["id"], b["id"]], "content": "reassign", "to": b["id"]})
    assert_error(r, 400, "VALIDATION_ERROR", "to")


@pytest.mark.parametrize("body,field", [
    ({"ids": [], "content": "remove"}, "ids"), ({"ids": ["x"] * 101, "content": "remove"}, "ids"),
    ({"ids": "abc", "content": "remove"}, "ids"), ({"ids": ["a b"], "content": "remove"}, "ids.0"),
    ({"ids": ["abc"]}, "content"), ({"ids": ["abc"], "content": "purge"}, "content"),
    ({"ids": ["abc"], "content": "remove", "to": 5}, "to"), ({"ids": [None], "content": "remove"}, "ids.0"),
])
def test_bulk_delete_rejects_bad_bodies(admin, body, field):
    assert_error(admin["api"].post("/api/users/bulk-delete", json=body), 400, "VALIDATION_ERROR", field)
