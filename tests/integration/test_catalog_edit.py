"""Model, version and image edits and deletes, and the bulk forms: ownership, validation, cleanup."""
from __future__ import annotations

import time
import uuid

import pytest

from chalicelib import container
from chalicelib.models import ModelVersion
from infra.local.seed import demo_safetensors
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error
from tests.integration.test_uploads import upload_model


@pytest.fixture
def owners(make_user):
    return {"owner": make_user("CURATOR"), "other": make_user("CURATOR"), "user": make_user("USER")}


def test_patch_model_checks_ownership(owners, admin, api):
    model = seed_model(owners["owner"]["id"], title="Owned")
    path = f"/api/models/{model.id}"
    assert_error(api.patch(path, json={"title": "x"}), 401, "UNAUTHORIZED")
    assert_error(owners["user"]["api"].patch(path, json={"title": "x"}), 403, "FORBIDDEN")
    assert_error(owners["other"]["api"].patch(path, json={"title": "x"}), 403, "FORBIDDEN")
    r = owners["owner"]["api"].patch(path, json={"title": "Renamed", "triggerWords": ["glowstyle"], "tags": ["Blue Hair"]})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["title"] == "Renamed" and data["tags"] == ["blue-hair"]
    assert data["trigger"] == {"words": ["glowstyle"], "copyText": "glowstyle"}
    assert admin["api"].patch(path, json={"description": "by admin"}).json()["data"]["description"] == "by admin"
    # A private model of someone else is not even acknowledged.
    owners["owner"]["api"].patch(path, json={"visibility": "private"})
    assert_error(owners["other"]["api"].patch(path, json={"title": "x"}), 404, "NOT_FOUND")
    assert_error(api.get(path), 404, "NOT_FOUND")


def test_owner_transfer_is_admin_only_and_validated(owners, admin):
    model = seed_model(owners["owner"]["id"], title="Transfer me")
    path = f"/api/models/{model.id}"
    assert_error(owners["owner"]["api"].patch(path, json={"ownerId": owners["other"]["id"]}), 403, "FORBIDDEN", "ownerId")
    assert_error(admin["api"].patch(path, json={"ownerId": owners["user"]["id"]}), 400, "VALIDATION_ERROR", "ownerId")
    assert_error(admin["api"].patch(path, json={"ownerId": uuid.uuid4().hex}), 400, "VALIDATION_ERROR", "ownerId")
    r = admin["api"].patch(path, json={"ownerId": owners["other"]["id"]})
    assert r.status_code == 200 and r.json()["data"]["owner"]["id"] == owners["other"]["id"]
    listed = owners["other"]["api"].get("/api/models", params={"curator": owners["other"]["id"]}).json()["data"]
    assert model.id in [m["id"] for m in listed]


def test_flagged_model_cannot_be_published_by_its_owner(owners, admin):
    model = seed_model(owners["owner"]["id"], title="Flagged", visibility="private", moderation="flagged")
    path = f"/api/models/{model.id}"
    assert_error(owners["owner"]["api"].patch(path, json={"visibility": "public"}), 403, "FORBIDDEN", "visibility")
    assert container.catalog().models.get(model.id).visibility == "private"
    assert admin["api"].patch(path, json={"visibility": "public"}).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({"title": ""}, "title"), ({"title": "t" * 181}, "title"), ({"description": "d" * 5001}, "description"),
    ({"triggerWords": ["w"] * 21}, "triggerWords"), ({"triggerWords": [""]}, "triggerWords.0"),
    ({"tags": ["!!!"]}, "tags"), ({"tags": "fantasy"}, "tags"), ({"visibility": "unlisted"}, "visibility"),
    ({"ownerId": "../x"}, "ownerId"), ({"title": 5}, "title"), ({"surprise": True}, "surprise"),
    ({"metadata": "x"}, "metadata"),
])
def test_patch_model_rejects_bad_bodies_and_writes_nothing(owners, body, field):
    model = seed_model(owners["owner"]["id"], title="Untouched")
    assert_error(owners["owner"]["api"].patch(f"/api/models/{model.id}", json=body), 400, "VALIDATION_ERROR", field)
    stored = container.catalog().models.get(model.id)
    assert stored.title == "Untouched" and stored.updated_at == model.updated_at


def test_malformed_json_and_unknown_ids(owners):
    model = seed_model(owners["owner"]["id"])
    api = owners["owner"]["api"]
    r = api.patch(f"/api/models/{model.id}", data="{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_ERROR")
    assert_error(api.patch(f"/api/models/{uuid.uuid4().hex}", json={"title": "x"}), 404, "NOT_FOUND")
    assert_error(api.delete(f"/api/models/{uuid.uuid4().hex}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/images/{uuid.uuid4().hex}"), 404, "NOT_FOUND")


def _add_version(model, name, created_at):
    version = ModelVersion(id=uuid.uuid4().hex, model_id=model.id, name=name, status="ready",
                           filename=f"{name}.safetensors", key=f"assets/models/{model.id}/{name}", created_at=created_at,
                           updated_at=created_at, metadata={"baseModel": "Pony"})
    container.catalog().versions.save(version)
    return version


def test_versions_rename_promote_and_delete(owners):
    model = seed_model(owners["owner"]["id"], title="Versioned", base_model="SDXL 1.0")
    second = _add_version(model, "v2", time.time() + 5)
    api, base = owners["owner"]["api"], f"/api/models/{model.id}/versions"
    listed = api.get(base).json()["data"]
    assert [v["isPrimary"] for v in listed].count(True) == 1
    assert_error(api.patch(f"{base}/{second.id}", json={"name": "V1"}), 409, "CONFLICT", "name")
    assert_error(api.patch(f"{base}/{second.id}", json={"name": ""}), 400, "VALIDATION_ERROR", "name")
    assert_error(owners["other"]["api"].patch(f"{base}/{second.id}", json={"name": "x"}), 403, "FORBIDDEN")
    assert api.patch(f"{base}/{second.id}", json={"name": "v2-final"}).status_code == 200
    assert_error(api.delete(f"{base}/{model.primary_version_id}"), 409, "CONFLICT")
    r = api.post(f"{base}/{second.id}/promote")
    assert r.status_code == 200 and r.json()["data"]["primaryVersionId"] == second.id
    assert r.json()["data"]["baseModel"] == "Pony"
    assert [m["id"] for m in api.get("/api/models", params={"baseModel": "pony", "curator": owners["owner"]["id"]}).json()["data"]] == [model.id]
    assert api.delete(f"{base}/{model.primary_version_id}").status_code == 204
    assert [v["id"] for v in api.get(base).json()["data"]] == [second.id]
    assert_error(api.delete(f"{base}/{uuid.uuid4().hex}"), 404, "NOT_FOUND")


def test_deleting_an_uploaded_model_removes_files_hashes_and_links(make_user, api):
    curator = make_user("CURATOR")
    session, status = upload_model(curator, model=demo_safetensors(rank=21), visibility="public")  # a unique file
    model_id = session["modelId"]
    version = container.catalog().versions.get(status["versions"][0]["id"])
    sha = version.hashes["sha256"]
    assert api.get(f"/api/models/by-hash/{sha}").status_code == 200
    detail = curator["api"].get(f"/api/models/{model_id}").json()["data"]
    assert detail["versions"] and detail["counts"]["versions"] == 1
    storage, bucket = container.storage(), container.config().bucket("media")
    assert storage.head(bucket, version.key) is not None
    assert curator["api"].delete(f"/api/models/{model_id}").status_code == 204
    assert storage.head(bucket, version.key) is None
    assert_error(api.get(f"/api/models/by-hash/{sha}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/models/{model_id}"), 404, "NOT_FOUND")
    assert container.catalog().versions.get(version.id) is None
    assert_error(curator["api"].delete(f"/api/models/{model_id}"), 404, "NOT_FOUND")  # a retry is a clean 404


def test_image_edit_and_delete(owners, api):
    image = seed_image(owners["owner"]["id"], title="Render", meta={"prompt": "a cat", "params": {"steps": 20}})
    path = f"/api/images/{image.id}"
    detail = api.get(path).json()["data"]
    assert detail["prompt"] == "a cat" and detail["parameters"] == {"steps": 20}
    assert "moderation" not in detail  # review state is for the owner and administrators
    assert_error(owners["other"]["api"].patch(path, json={"title": "x"}), 403, "FORBIDDEN")
    assert_error(owners["owner"]["api"].patch(path, json={"prompt": "p" * 5001}), 400, "VALIDATION_ERROR", "prompt")
    r = owners["owner"]["api"].patch(path, json={"prompt": "a nude cat", "tags": ["Cats"]})
    assert r.status_code == 200 and r.json()["data"]["isAdult"] is True
    assert_error(api.get(path), 404, "NOT_FOUND")  # adult now: hidden from guests
    assert_error(owners["other"]["api"].delete(path), 404, "NOT_FOUND")
    assert owners["owner"]["api"].delete(path).status_code == 204
    assert container.catalog().images.get(image.id) is None


def test_model_previews_are_not_deletable_as_images(owners):
    preview = seed_image(owners["owner"]["id"], title="Preview", purpose="model-cover")
    assert_error(owners["owner"]["api"].delete(f"/api/images/{preview.id}"), 404, "NOT_FOUND")


def test_bulk_delete_is_all_or_nothing_with_a_report(owners, admin):
    mine = [seed_model(owners["owner"]["id"], title=f"Bulk {n}") for n in range(3)]
    theirs = seed_model(owners["other"]["id"], title="Not yours")
    api = owners["owner"]["api"]
    ids = [m.id for m in mine] + [theirs.id, uuid.uuid4().hex]
    body = assert_error(api.post("/api/bulk/delete", json={"kind": "model", "ids": ids}), 403, "FORBIDDEN")
    assert {e["field"] for e in body["errors"]} == {"ids[3]", "ids[4]"}
    assert all(container.catalog().models.get(m.id) for m in mine)
    assert_error(api.post("/api/bulk/delete", json={"kind": "model", "ids": []}), 400, "VALIDATION_ERROR", "ids")
    assert_error(api.post("/api/bulk/delete", json={"kind": "model", "ids": ["a"] * 101}), 400, "VALIDATION_ERROR", "ids")
    assert_error(api.post("/api/bulk/delete", json={"kind": "gallery", "ids": ["a"]}), 400, "VALIDATION_ERROR", "kind")
    assert_error(owners["user"]["api"].post("/api/bulk/delete", json={"kind": "model", "ids": ["a"]}), 403, "FORBIDDEN")
    r = api.post("/api/bulk/delete", json={"kind": "model", "ids": [m.id for m in mine] + [mine[0].id]})
    assert r.status_code == 200 and r.json()["data"]["deletedCount"] == 3
    assert not any(container.catalog().models.get(m.id) for m in mine)
    r = admin["api"].post("/api/bulk/delete", json={"kind": "model", "ids": [theirs.id]})
    assert r.status_code == 200


def test_bulk_metadata_validates_before_writing(owners, admin):
    slug = "mood" + uuid.uuid4().hex[:6]
    r = admin["api"].post("/api/metadata/fields", json={"name": slug, "type": "enum",
                                                       "config": {"enumOptions": ["calm", "wild"]}, "isFilterable": True})
    assert r.status_code == 201, r.text
    slug = r.json()["data"]["slug"]
    mine = [seed_model(owners["owner"]["id"], title=f"Meta {n}") for n in range(2)]
    theirs = seed_model(owners["other"]["id"], title="Other meta")
    api = owners["owner"]["api"]
    op = {"fieldSlug": slug, "action": "set", "value": "calm"}
    assert_error(api.post("/api/bulk/metadata", json={"modelIds": [m.id for m in mine] + [theirs.id], "operations": [op]}),
                 403, "FORBIDDEN")
    bad = {**op, "value": "furious"}
    assert_error(api.post("/api/bulk/metadata", json={"modelIds": [mine[0].id], "operations": [bad]}), 400, "VALIDATION_ERROR")
    assert_error(api.post("/api/bulk/metadata", json={"modelIds": [mine[0].id], "operations": [{**op, "value": None}]}),
                 400, "VALIDATION_ERROR")
    assert all(not container.catalog().models.get(m.id).metadata_values for m in mine)
    r = api.post("/api/bulk/metadata", json={"modelIds": [m.id for m in mine], "operations": [op]})
    assert r.status_code == 200 and r.json()["data"]["updatedCount"] == 2
    found = api.get("/api/models", params={f"metadata.{slug}": "calm", "curator": owners["owner"]["id"]}).json()["data"]
    assert {m["id"] for m in found} == {m.id for m in mine}
    detail = api.get(f"/api/models/{mine[0].id}").json()["data"]
    assert [(v["fieldSlug"], v["value"]) for v in detail["metadata"]] == [(slug, "calm")]
    r = api.post("/api/bulk/metadata", json={"modelIds": [mine[0].id], "operations": [{"fieldSlug": slug, "action": "remove"}]})
    assert r.status_code == 200
    found = api.get("/api/models", params={f"metadata.{slug}": "calm", "curator": owners["owner"]["id"]}).json()["data"]
    assert [m["id"] for m in found] == [mine[1].id]
    assert_error(api.get("/api/models", params={"metadata.no-such-field": "x"}), 400, "VALIDATION_ERROR")
