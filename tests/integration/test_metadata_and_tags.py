"""Metadata fields (admin CRUD, validation, facets) and tags (counts, categories) over HTTP."""
from __future__ import annotations

import threading
import uuid

import pytest

from chalicelib import container
from tests.integration.catalog_seed import seed_model
from tests.integration.conftest import assert_error


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def roles(make_user, admin):
    return {"user": make_user("USER"), "curator": make_user("CURATOR"), "admin": admin}


@pytest.fixture(scope="module")
def adult_member(make_user):
    member = make_user("USER")
    user = container.users_repo().get(member["id"])
    user.show_adult = True
    container.users_repo().save(user)
    return member


def _create(admin, name, type="text", **extra):
    r = admin["api"].post("/api/metadata/fields", json={"name": name, "type": type, **extra})
    assert r.status_code == 201, r.text
    return r.json()["data"]


# -- admin CRUD ---------------------------------------------------------------------------------
def test_only_admins_define_fields(api, roles):
    body = {"name": _unique("Denied"), "type": "text"}
    assert_error(api.post("/api/metadata/fields", json=body), 401, "UNAUTHORIZED")
    for role in ("user", "curator"):
        assert_error(roles[role]["api"].post("/api/metadata/fields", json=body), 403, "FORBIDDEN")
    field = _create(roles["admin"], _unique("Owner"))
    for role in ("user", "curator"):
        assert_error(roles[role]["api"].patch(f"/api/metadata/fields/{field['id']}", json={"name": "x"}), 403, "FORBIDDEN")
        assert_error(roles[role]["api"].delete(f"/api/metadata/fields/{field['id']}"), 403, "FORBIDDEN")
    assert_error(api.patch(f"/api/metadata/fields/{field['id']}", json={"name": "x"}), 401, "UNAUTHORIZED")
    assert_error(api.delete(f"/api/metadata/fields/{field['id']}"), 401, "UNAUTHORIZED")


def test_field_lifecycle(api, admin):
    name = _unique("Scale")
    field = _create(admin, name, "enum", isBrowsable=True, sortOrder=-5,
                    config={"enumOptions": ["1:12", "1:24"], "displayHint": "chips"})
    slug = field["slug"]
    assert slug == name.lower().replace(" ", "-")
    assert field["isFilterable"] is True and field["isBrowsable"] is True and field["sortOrder"] == -5
    assert field["config"] == {"enumOptions": ["1:12", "1:24"], "displayHint": "chips"}

    listed = api.get("/api/metadata/fields").json()["data"]  # guests read definitions (filter UIs need them)
    assert field["id"] in {f["id"] for f in listed}

    assert_error(admin["api"].post("/api/metadata/fields", json={"name": name.upper() + "!", "type": "text"}),
                 409, "CONFLICT", "name")

    r = admin["api"].patch(f"/api/metadata/fields/{field['id']}", json={"type": "text"})
    assert_error(r, 400, "VALIDATION_ERROR", "type")
    r = admin["api"].patch(f"/api/metadata/fields/{field['id']}", json={"slug": "other"})
    assert_error(r, 400, "VALIDATION_ERROR", "slug")
    r = admin["api"].patch(f"/api/metadata/fields/{field['id']}",
                           json={"name": "Renamed " + name, "isFilterable": False, "config": {"enumOptions": ["1:12"]}})
    assert r.status_code == 200, r.text
    updated = r.json()["data"]
    assert (updated["name"], updated["slug"], updated["type"], updated["isFilterable"]) == ("Renamed " + name, slug, "enum", False)
    assert updated["config"] == {"enumOptions": ["1:12"]}

    assert admin["api"].delete(f"/api/metadata/fields/{field['id']}").status_code == 204
    assert field["id"] not in {f["id"] for f in api.get("/api/metadata/fields").json()["data"]}
    assert_error(admin["api"].delete(f"/api/metadata/fields/{field['id']}"), 404, "NOT_FOUND")
    assert_error(admin["api"].patch(f"/api/metadata/fields/{field['id']}", json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/metadata/fields/{slug}/values"), 404, "NOT_FOUND")

    # The slug of a deleted field is kept for its type: stored values must not change meaning.
    body = assert_error(admin["api"].post("/api/metadata/fields", json={"name": name, "type": "number"}), 409, "CONFLICT")
    assert "enum" in body["errors"][0]["message"]
    again = _create(admin, name, "enum", config={"enumOptions": ["1:12"]})
    assert again["slug"] == slug and again["id"] != field["id"]


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "type": "color"}, "type"),
    ({"type": "text"}, "name"),
    ({"name": "", "type": "text"}, "name"),
    ({"name": "n" * 101, "type": "text"}, "name"),
    ({"name": "!!!", "type": "text"}, "name"),
    ({"name": "x", "type": "text", "isDefault": True}, "isDefault"),
    ({"name": "x", "type": "text", "isFilterable": "yes"}, "isFilterable"),
    ({"name": "x", "type": "text", "sortOrder": 1.5}, "sortOrder"),
    ({"name": "x", "type": "enum"}, "config.enumOptions"),
    ({"name": "x", "type": "enum", "config": {"enumOptions": ["a", "A"]}}, "config.enumOptions.1"),
    ({"name": "x", "type": "text", "config": {"validationPattern": "(a"}}, "config.validationPattern"),
    ({"name": "x", "type": "text", "config": {"validationPattern": "(?=a)a"}}, "config.validationPattern"),
    ({"name": "x", "type": "number", "config": {"validationPattern": "a"}}, "config.validationPattern"),
    ({"name": "x", "type": "text", "config": {"size": 1}}, "config.size"),
])
def test_bad_definitions_rejected(admin, body, field):
    assert_error(admin["api"].post("/api/metadata/fields", json=body), 400, "VALIDATION_ERROR", field)


def test_malformed_bodies(admin):
    headers = {"Content-Type": "application/json"}
    assert_error(admin["api"].post("/api/metadata/fields", data="{nope", headers=headers), 400, "VALIDATION_ERROR", "body")
    assert_error(admin["api"].post("/api/metadata/fields", json=["name"]), 400, "VALIDATION_ERROR", "body")
    assert_error(admin["api"].put("/api/tags/anything", data="{", headers=headers), 400, "VALIDATION_ERROR", "body")


def test_concurrent_creates_get_one_slug(admin):
    name = _unique("Race")
    statuses: list[int] = []

    def create():
        statuses.append(admin["api"].post("/api/metadata/fields", json={"name": name, "type": "text"}).status_code)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 5
    slug = name.lower().replace(" ", "-")
    fields = admin["api"].get("/api/metadata/fields").json()["data"]
    assert [f["slug"] for f in fields].count(slug) == 1


# -- values on models ---------------------------------------------------------------------------
def test_values_are_validated_on_model_writes(admin):
    steps = _create(admin, _unique("Steps"), "number")
    model = seed_model(admin["id"], title="Validated model")
    path = f"/api/models/{model.id}"
    body = assert_error(admin["api"].patch(path, json={"metadata": {steps["slug"]: "many", "no-such-field": 1}}),
                        400, "VALIDATION_ERROR")
    assert {e["field"] for e in body["errors"]} >= {steps["slug"], "no-such-field"}
    assert container.catalog().models.get(model.id).metadata_values == {}
    r = admin["api"].patch(path, json={"metadata": {steps["slug"]: 30.0}})
    assert r.status_code == 200, r.text
    assert container.catalog().models.get(model.id).metadata_values == {steps["slug"]: 30}


# -- facets and tag counts ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def catalog(admin):
    """Models with tags and metadata in each audience: public, public adult, private."""
    scale = _create(admin, _unique("Scale"), "enum", config={"enumOptions": ["1:12", "1:24", "1:48"]})
    tested = _create(admin, _unique("Tested"), "boolean")
    released = _create(admin, _unique("Released"), "date")
    tag = "t" + uuid.uuid4().hex[:6]
    spec = [
        # (visibility, adult, tags, scale, tested, released)
        ("public", False, [f"{tag}-dragon", f"{tag}-castle"], "1:12", True, "2024-02-29"),
        ("public", False, [f"{tag}-dragon"], "1:12", False, "2024-02-29"),
        ("public", False, [f"{tag}-dragon", f"{tag}-portrait"], "1:24", True, None),
        ("public", True, [f"{tag}-dragon", f"{tag}-nsfw"], "1:48", True, None),
        ("private", False, [f"{tag}-dragon", f"{tag}-secret"], "1:48", True, None),
    ]
    for visibility, adult, tags, scale_value, tested_value, date in spec:
        values = {scale["slug"]: scale_value, tested["slug"]: tested_value}
        if date:
            values[released["slug"]] = date
        seed_model(admin["id"], title="Faceted", visibility=visibility, is_adult=adult, tags=tags, metadata_values=values)
    return {"tag": tag, "scale": scale, "tested": tested, "released": released}


def _values(client, slug, **params):
    r = client.get(f"/api/metadata/fields/{slug}/values", params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_field_value_facets_count_what_the_viewer_may_see(api, admin, adult_member, roles, catalog):
    slug = catalog["scale"]["slug"]
    assert _values(api, slug) == [{"value": "1:12", "modelCount": 2}, {"value": "1:24", "modelCount": 1}]
    assert _values(roles["user"]["api"], slug) == _values(api, slug)
    assert _values(adult_member["api"], slug) == [{"value": "1:12", "modelCount": 2}, {"value": "1:24", "modelCount": 1},
                                                  {"value": "1:48", "modelCount": 1}]
    assert _values(admin["api"], slug) == [{"value": "1:12", "modelCount": 2}, {"value": "1:48", "modelCount": 2},
                                           {"value": "1:24", "modelCount": 1}]
    assert _values(admin["api"], slug, pageSize=1) == [{"value": "1:12", "modelCount": 2}]
    assert _values(api, catalog["tested"]["slug"]) == [{"value": True, "modelCount": 2}, {"value": False, "modelCount": 1}]
    assert _values(api, catalog["released"]["slug"]) == [{"value": "2024-02-29", "modelCount": 2}]
    assert_error(api.get(f"/api/metadata/fields/{slug}/values", params={"kind": "image"}), 400, "VALIDATION_ERROR", "kind")
    assert_error(api.get(f"/api/metadata/fields/{slug}/values", params={"pageSize": 0}), 400, "VALIDATION_ERROR", "pageSize")
    assert_error(api.get("/api/metadata/fields/no-such-field/values"), 404, "NOT_FOUND")


def test_removed_option_disappears_from_facets(admin, catalog):
    field = _create(admin, _unique("Finish"), "enum", config={"enumOptions": ["matte", "gloss"]})
    seed_model(admin["id"], visibility="public", metadata_values={field["slug"]: "gloss"})
    assert _values(admin["api"], field["slug"]) == [{"value": "gloss", "modelCount": 1}]
    r = admin["api"].patch(f"/api/metadata/fields/{field['id']}", json={"config": {"enumOptions": ["matte"]}})
    assert r.status_code == 200, r.text
    assert _values(admin["api"], field["slug"]) == []


def test_tag_counts_respect_visibility(api, admin, adult_member, catalog):
    tag = catalog["tag"]

    def counts(client, **params):
        r = client.get("/api/tags", params={"q": tag, **params})
        assert r.status_code == 200, r.text
        return [(t["slug"], t["count"]) for t in r.json()["data"]]

    assert counts(api) == [(f"{tag}-dragon", 3), (f"{tag}-castle", 1), (f"{tag}-portrait", 1)]
    assert counts(adult_member["api"]) == [(f"{tag}-dragon", 4), (f"{tag}-castle", 1), (f"{tag}-nsfw", 1),
                                           (f"{tag}-portrait", 1)]
    assert counts(admin["api"]) == [(f"{tag}-dragon", 5), (f"{tag}-castle", 1), (f"{tag}-nsfw", 1),
                                    (f"{tag}-portrait", 1), (f"{tag}-secret", 1)]
    assert counts(admin["api"], pageSize=2) == [(f"{tag}-dragon", 5), (f"{tag}-castle", 1)]
    assert counts(api, q=f"{tag}-d") == [(f"{tag}-dragon", 3)]
    assert counts(api, kind="image") == []
    assert_error(api.get("/api/tags", params={"kind": "gallery"}), 400, "VALIDATION_ERROR", "kind")
    assert_error(api.get("/api/tags", params={"pageSize": 500}), 400, "VALIDATION_ERROR", "pageSize")


# -- categories ---------------------------------------------------------------------------------
def test_tag_categories(api, admin, roles, catalog):
    tag = catalog["tag"]
    style, character = _unique("Style"), _unique("Character")
    body = {"category": style}
    assert_error(api.put(f"/api/tags/{tag}-dragon", json=body), 401, "UNAUTHORIZED")
    for role in ("user", "curator"):
        assert_error(roles[role]["api"].put(f"/api/tags/{tag}-dragon", json=body), 403, "FORBIDDEN")

    r = admin["api"].put(f"/api/tags/{tag}-dragon", json={"category": style, "label": "Dragons"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"slug": f"{tag}-dragon", "label": "Dragons", "category": style}
    # Same category in another case/spacing: the first spelling is kept.
    r = admin["api"].put(f"/api/tags/{tag.upper()}-Castle", json={"category": "  " + style.upper() + " "})
    assert r.json()["data"] == {"slug": f"{tag}-castle", "label": f"{tag}-castle", "category": style}
    admin["api"].put(f"/api/tags/{tag}-portrait", json={"category": character})

    def categories():
        data = api.get("/api/tags/categories").json()["data"]
        return {c["name"]: c["tagCount"] for c in data if c["name"] in (style, character)}

    assert categories() == {style: 2, character: 1}

    listed = api.get("/api/tags", params={"q": tag, "category": style.lower()}).json()["data"]
    assert listed == [{"slug": f"{tag}-dragon", "label": "Dragons", "category": style, "count": 3},
                      {"slug": f"{tag}-castle", "label": f"{tag}-castle", "category": style, "count": 1}]

    admin["api"].put(f"/api/tags/{tag}-castle", json={"category": character})
    assert categories() == {style: 1, character: 2}
    assert admin["api"].delete(f"/api/tags/{tag}-dragon").status_code == 204
    assert categories() == {character: 2}
    assert api.get("/api/tags", params={"q": tag, "category": style}).json()["data"] == []

    for bad in ({"category": ""}, {"category": "c" * 41}, {"category": "bell\u0007"}, {}, {"category": 5},
                {"category": "ok", "label": "l" * 65}, {"category": "ok", "colour": "red"}):
        assert_error(admin["api"].put(f"/api/tags/{tag}-dragon", json=bad), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].put("/api/tags/%21%21%21", json={"category": "ok"}), 400, "VALIDATION_ERROR", "slug")


def test_concurrent_category_writes_keep_counts_exact(admin):
    category = _unique("Busy")
    tags = [f"busy-{uuid.uuid4().hex[:6]}" for _ in range(6)]
    results: list[int] = []

    def put(slug):
        results.append(admin["api"].put(f"/api/tags/{slug}", json={"category": category}).status_code)

    threads = [threading.Thread(target=put, args=(t,)) for t in tags]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    succeeded = results.count(200)
    assert succeeded + results.count(409) == len(tags) and succeeded >= 1
    data = admin["api"].get("/api/tags/categories").json()["data"]
    assert {c["name"]: c["tagCount"] for c in data}.get(category) == succeeded
