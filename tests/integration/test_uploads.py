"""Upload sessions over HTTP: presigned PUTs, multipart, resume, complete, abort, limits, permissions."""
import pytest

from infra.local.seed import demo_png, demo_safetensors
from tests.integration.conftest import S3, S3_IS_MOTO, assert_error, wait_for

MiB = 1024 * 1024
PNG = demo_png(32, 32)
LORA = demo_safetensors()


def sized_safetensors(total: int) -> bytes:
    """A valid safetensors file of exactly ``total`` bytes: one U8 tensor fills the data region."""
    import json

    header = b""
    for _ in range(3):  # the header's length depends on the tensor size written in it
        n = total - 8 - len(header)
        raw = json.dumps({"__metadata__": {"ss_base_model_version": "sdxl_base_v1-0"},
                          "blob": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}}).encode()
        header = raw + b" " * (-len(raw) % 8)
    return len(header).to_bytes(8, "little") + header + bytes(total - 8 - len(header))


def _model_session(user, model=LORA, cover=PNG, **extra):
    body = {"kind": "model", "title": "Test LoRA", "triggerWords": ["tst"], "tags": ["test"], "visibility": "public",
            "files": [{"name": "test.safetensors", "size": len(model), "contentType": "application/octet-stream"},
                      {"name": "cover.png", "size": len(cover), "contentType": "image/png"}], **extra}
    r = user["api"].post("/api/uploads", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _put(f, data):
    up = f["upload"]
    r = S3.put(up["url"], data=data, headers=up["headers"], timeout=60)
    r.raise_for_status()


def _model_status(user, model_id):
    return user["api"].get(f"/api/models/{model_id}/status").json()["data"]


def upload_model(user, model=LORA, cover=PNG, **extra):
    session = _model_session(user, model, cover, **extra)
    _put(session["files"][0], model)
    _put(session["files"][1], cover)
    done = wait_for(lambda: (s := _model_status(user, session["modelId"]))["status"] != "processing" and s)
    return session, done


def test_model_upload_becomes_ready_with_metadata_and_hashes(make_user):
    curator = make_user("CURATOR")
    session, done = upload_model(curator)
    assert done["status"] == "ready", done
    version = done["versions"][0]
    assert version["status"] == "ready" and version["name"] == "1.0" and version["size"] == len(LORA)
    assert set(version["hashes"]) >= {"sha256", "autov2", "autov3", "crc32", "blake3"}
    assert version["metadata"]["baseModel"] == "SD1.5"
    assert set(done["cover"]) == {"grid", "preview"}
    thumb = S3.get(done["cover"]["grid"], timeout=10)
    assert thumb.status_code == 200 and thumb.content[:4] == b"RIFF" and thumb.content[8:12] == b"WEBP"


def test_images_session_into_a_new_gallery(make_user):
    curator = make_user("CURATOR")
    renders = [demo_png(16, 16, tint=t) for t in (10, 20)]
    r = curator["api"].post("/api/uploads", json={
        "kind": "images", "title": "Batch", "galleryTitle": "My renders", "visibility": "public",
        "files": [{"name": f"r{i}.png", "size": len(d), "contentType": "image/png"} for i, d in enumerate(renders)]})
    assert r.status_code == 201, r.text
    session = r.json()["data"]
    assert session["galleryId"]
    for f, data in zip(session["files"], renders, strict=True):
        _put(f, data)
    for f in session["files"]:
        status = wait_for(lambda f=f: (s := curator["api"].get(f"/api/images/{f['assetId']}/status").json()["data"])["status"] != "processing" and s)
        assert status["status"] == "ready" and status["mime"] == "image/png" and status["width"] == 16


def test_declared_limits_are_enforced_up_front(make_user):
    curator = make_user("CURATOR")
    big = {"name": "huge.safetensors", "size": 5 * 1024 * MiB + 1, "contentType": "application/octet-stream"}
    cover = {"name": "c.png", "size": 100, "contentType": "image/png"}
    body = assert_error(curator["api"].post("/api/uploads", json={"kind": "model", "title": "t", "triggerWords": ["x"],
                                                                  "files": [big, cover]}), 413, "PAYLOAD_TOO_LARGE")
    assert "5 GiB" in body["errors"][0]["message"]
    images = [{"name": f"{i}.png", "size": 10, "contentType": "image/png"} for i in range(13)]
    assert_error(curator["api"].post("/api/uploads", json={"kind": "images", "files": images}), 400, "VALIDATION_ERROR")
    big_image = {"name": "big.png", "size": 64 * MiB + 1, "contentType": "image/png"}
    body = assert_error(curator["api"].post("/api/uploads", json={"kind": "images", "files": [big_image]}), 413,
                        "PAYLOAD_TOO_LARGE")
    assert "64 MiB" in body["errors"][0]["message"]
    assert_error(curator["api"].post("/api/uploads", json={"kind": "model", "title": "t", "files": [
        {"name": "m.safetensors", "size": 10, "contentType": "application/octet-stream"}, cover]}), 400,
        "VALIDATION_ERROR", "triggerWords")
    assert_error(curator["api"].post("/api/uploads", json={"kind": "model", "title": "t", "triggerWords": ["x"], "files": [
        {"name": "m.exe", "size": 10, "contentType": "application/octet-stream"}, cover]}), 400, "VALIDATION_ERROR")
    assert_error(curator["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "x.svg", "size": 10, "contentType": "image/svg+xml"}]}), 400, "VALIDATION_ERROR")
    assert_error(curator["api"].post("/api/uploads", json={"kind": "avatar", "files": [
        {"name": "a.gif", "size": 10, "contentType": "image/gif"}]}), 400, "VALIDATION_ERROR")
    assert_error(curator["api"].post("/api/uploads", json={"kind": "avatar", "files": [
        {"name": "a.png", "size": 6 * MiB, "contentType": "image/png"}]}), 413, "PAYLOAD_TOO_LARGE")


def test_members_may_only_upload_avatars(make_user):
    member = make_user()
    assert_error(member["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "a.png", "size": len(PNG), "contentType": "image/png"}]}), 403, "FORBIDDEN")
    r = member["api"].post("/api/uploads", json={"kind": "avatar", "files": [
        {"name": "me.png", "size": len(PNG), "contentType": "image/png"}]})
    assert r.status_code == 201
    _put(r.json()["data"]["files"][0], PNG)
    from chalicelib import container

    wait_for(lambda: container.users_repo().get(member["id"]).avatar_image_id == r.json()["data"]["files"][0]["assetId"])


def test_multipart_upload_resume_complete(make_user):
    curator = make_user("CURATOR")
    big = sized_safetensors(70 * MiB)  # above the single-PUT limit
    session = _model_session(curator, model=big)
    mp = session["files"][0]["upload"]
    assert mp["method"] == "multipart" and mp["partSize"] == 8 * MiB and mp["partCount"] == 9
    # Upload some parts, then "resume": the session lists what arrived and hands out more URLs.
    etags = {}
    for part in mp["parts"][:4]:
        n = part["partNumber"]
        r = S3.put(part["url"], data=big[(n - 1) * 8 * MiB:n * 8 * MiB], timeout=60)
        r.raise_for_status()
        etags[n] = r.headers["ETag"]
    state = curator["api"].get(f"/api/uploads/{session['id']}").json()["data"]
    assert state["files"][0]["uploadedParts"] == [1, 2, 3, 4]
    assert_error(curator["api"].post(f"/api/uploads/{session['id']}/complete", json={}), 409, "CONFLICT")
    more = curator["api"].post(f"/api/uploads/{session['id']}/parts", json={"fileIndex": 0, "partNumbers": [5, 6, 7, 8, 9]})
    assert more.status_code == 200
    for part in more.json()["data"]["parts"]:
        n = part["partNumber"]
        S3.put(part["url"], data=big[(n - 1) * 8 * MiB:n * 8 * MiB], timeout=60).raise_for_status()
    assert_error(curator["api"].post(f"/api/uploads/{session['id']}/parts", json={"fileIndex": 0, "partNumbers": [10]}),
                 400, "VALIDATION_ERROR", "partNumbers")
    _put(session["files"][1], PNG)
    r = curator["api"].post(f"/api/uploads/{session['id']}/complete", json={})
    assert r.status_code == 200 and r.json()["data"]["status"] == "completed"
    done = wait_for(lambda: (s := _model_status(curator, session["modelId"]))["status"] != "processing" and s, timeout=60)
    assert done["status"] == "ready", done
    assert done["versions"][0]["size"] == len(big)
    import hashlib

    assert done["versions"][0]["hashes"]["sha256"] == hashlib.sha256(big).hexdigest().upper()


def test_abort_removes_everything(make_user, runtime):
    import boto3

    curator = make_user("CURATOR")
    session = _model_session(curator)
    _put(session["files"][1], PNG)
    wait_for(lambda: curator["api"].get(f"/api/images/{session['files'][1]['assetId']}/status").json()["data"]["status"] != "processing")
    assert curator["api"].delete(f"/api/uploads/{session['id']}").status_code == 204
    assert_error(curator["api"].get(f"/api/models/{session['modelId']}/status"), 404, "NOT_FOUND")
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=runtime.env["VS_BUCKET_MEDIA"], Prefix=f"incoming/{session['id']}/")
    assert listed.get("KeyCount", 0) == 0
    assert_error(curator["api"].delete(f"/api/uploads/{session['id']}"), 409, "CONFLICT")
    assert_error(curator["api"].post(f"/api/uploads/{session['id']}/complete", json={}), 409, "CONFLICT")


def test_sessions_are_private(make_user, admin, api):
    owner, other = make_user("CURATOR"), make_user("CURATOR")
    session = _model_session(owner)
    for path in (f"/api/uploads/{session['id']}",):
        assert_error(other["api"].get(path), 404, "NOT_FOUND")
        assert_error(api.get(path), 401, "UNAUTHORIZED")
        assert admin["api"].get(path).status_code == 200
    assert_error(other["api"].delete(f"/api/uploads/{session['id']}"), 404, "NOT_FOUND")
    # A processing model is invisible to everyone but its owner and admins.
    assert_error(other["api"].get(f"/api/models/{session['modelId']}/status"), 404, "NOT_FOUND")
    assert owner["api"].get(f"/api/models/{session['modelId']}/status").status_code == 200


def test_target_gallery_of_someone_else_is_not_found(make_user):
    owner, other = make_user("CURATOR"), make_user("CURATOR")
    session = _model_session(owner, galleryTitle="Mine")
    r = other["api"].post("/api/uploads", json={"kind": "images", "galleryId": session["galleryId"], "files": [
        {"name": "a.png", "size": len(PNG), "contentType": "image/png"}]})
    assert_error(r, 404, "NOT_FOUND", "galleryId")


@pytest.mark.skipif(S3_IS_MOTO, reason="moto never checks presigned signatures; runs on the LocalStack and s3compat tiers")
def test_tampered_retyped_or_resized_presigned_put_is_refused(make_user):
    curator = make_user("CURATOR")
    session = _model_session(curator)
    up = session["files"][1]["upload"]
    assert S3.put(up["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0"), data=PNG, headers=up["headers"],
                        timeout=30).status_code == 403
    assert S3.put(up["url"], data=PNG, headers={"Content-Type": "text/html"}, timeout=30).status_code == 403
    assert S3.put(up["url"], data=PNG + b"x", headers=up["headers"], timeout=30).status_code == 403
    # An expired URL is refused too (the service hands out 15-minute URLs; this one lives 1 s).
    import time

    from chalicelib import container

    key = container.catalog().sessions.get(session["id"]).files[1].key
    short, headers = container.storage().presign_put(container.config().bucket("media"), key, "image/png", len(PNG), 1)
    time.sleep(2.5)
    assert S3.put(short, data=PNG, headers=headers, timeout=30).status_code == 403
    assert curator["api"].get(f"/api/images/{session['files'][1]['assetId']}/status").json()["data"]["status"] == "processing"


def test_sweep_discards_expired_sessions_and_orphan_multiparts(make_user, admin, runtime):
    import time
    import uuid

    import boto3

    from chalicelib import container

    curator = make_user("CURATOR")
    session = _model_session(curator)
    _put(session["files"][1], PNG)
    container.catalog().sessions.update(session["id"], expires_at=time.time() - 1)
    wait_for(lambda: curator["api"].get(f"/api/uploads/{session['id']}").json()["data"]["status"] == "expired")
    # Discarding marks the session first, then deletes its placeholder records and objects.
    wait_for(lambda: curator["api"].get(f"/api/models/{session['modelId']}/status").status_code == 404)
    assert_error(curator["api"].get(f"/api/models/{session['modelId']}/status"), 404, "NOT_FOUND")
    s3, bucket = boto3.client("s3"), runtime.env["VS_BUCKET_MEDIA"]
    wait_for(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=f"incoming/{session['id']}/").get("KeyCount", 0) == 0)
    report = admin["api"].get("/api/settings/schedules/sweep-uploads").json()["data"]
    assert report["limit"] == 50 and "ranAt" in report
    if S3_IS_MOTO:
        # moto reports every multipart upload as started in 2010, i.e. long abandoned; real stores need 25 h.
        orphan = f"incoming/{uuid.uuid4().hex}/0-orphan.bin"
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=orphan)["UploadId"]
        wait_for(lambda: upload_id not in {u["UploadId"] for u in
                                           s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])})


def test_new_model_version_and_gallery_cover(make_user):
    curator, other = make_user("CURATOR"), make_user("CURATOR")
    session, done = upload_model(curator, model=demo_safetensors(rank=11), galleryTitle="Versions")
    v2 = demo_safetensors(rank=12)
    body = {"kind": "model-version", "modelId": session["modelId"], "versionName": "2.0", "files": [
        {"name": "v2.safetensors", "size": len(v2), "contentType": "application/octet-stream"},
        {"name": "c2.png", "size": len(PNG), "contentType": "image/png"}]}
    assert_error(other["api"].post("/api/uploads", json=body), 404, "NOT_FOUND", "modelId")
    assert_error(curator["api"].post("/api/uploads", json={**body, "versionName": "1.0"}), 409, "CONFLICT", "versionName")
    assert_error(curator["api"].post("/api/uploads", json={k: v for k, v in body.items() if k != "versionName"}),
                 400, "VALIDATION_ERROR", "versionName")
    r = curator["api"].post("/api/uploads", json=body)
    assert r.status_code == 201
    created = r.json()["data"]
    _put(created["files"][0], v2)
    _put(created["files"][1], PNG)
    status = wait_for(lambda: (s := _model_status(curator, session["modelId"])) and
                      all(v["status"] != "processing" for v in s["versions"]) and len(s["versions"]) == 2 and s)
    assert sorted(v["name"] for v in status["versions"]) == ["1.0", "2.0"]
    from chalicelib import container

    # The version settles a moment before the session's completion promotes it.
    wait_for(lambda: container.catalog().models.get(session["modelId"]).primary_version_id == created["versionId"])
    cover = demo_png(20, 20, tint=7)
    r = curator["api"].post("/api/uploads", json={"kind": "gallery-cover", "galleryId": session["galleryId"], "files": [
        {"name": "cover.png", "size": len(cover), "contentType": "image/png"}]})
    assert r.status_code == 201
    _put(r.json()["data"]["files"][0], cover)
    wait_for(lambda: container.catalog().galleries.get(session["galleryId"]).cover_image_id == r.json()["data"]["files"][0]["assetId"])
    assert_error(other["api"].post("/api/uploads", json={"kind": "gallery-cover", "galleryId": session["galleryId"],
                                                         "files": [{"name": "c.png", "size": 10, "contentType": "image/png"}]}),
                 404, "NOT_FOUND", "galleryId")


def test_a_put_after_ready_changes_nothing(make_user, runtime):
    from tests.integration.test_ingest import _drain  # test_ingest imports this module at its top

    curator = make_user("CURATOR")
    original = demo_safetensors(rank=13)
    session, done = upload_model(curator, model=original)
    before = done["versions"][0]
    # The upload URL is still valid: replacing the object (same size and type, other bytes) must not
    # alter the published asset.
    _put(session["files"][0], original[:-1] + b"\x01")
    _drain(runtime)
    after = _model_status(curator, session["modelId"])["versions"][0]
    assert after["hashes"] == before["hashes"] and after["size"] == before["size"]
    member = make_user()
    r = member["api"].get(f"/api/models/{session['modelId']}/versions/{before['id']}/download", allow_redirects=False)
    assert S3.get(r.headers["Location"], timeout=30).content == original


def test_unicode_file_names_survive_to_the_download(make_user):
    curator = make_user("CURATOR")
    model = demo_safetensors(rank=15)
    session = _model_session(curator, model=model)
    body = {"kind": "model", "title": "Unicode", "triggerWords": ["u"], "visibility": "public", "files": [
        {"name": "模型 v1.safetensors", "size": len(model), "contentType": "application/octet-stream"},
        {"name": "c.png", "size": len(PNG), "contentType": "image/png"}]}
    session = curator["api"].post("/api/uploads", json=body).json()["data"]
    _put(session["files"][0], model)
    _put(session["files"][1], PNG)
    done = wait_for(lambda: (s := _model_status(curator, session["modelId"]))["status"] != "processing" and s)
    assert done["versions"][0]["filename"] == "模型 v1.safetensors"
    r = curator["api"].get(f"/api/models/{session['modelId']}/versions/{done['versions'][0]['id']}/download",
                           allow_redirects=False)
    disposition = S3.get(r.headers["Location"], timeout=30).headers["Content-Disposition"]
    assert "attachment" in disposition and "filename*=UTF-8''%E6%A8%A1%E5%9E%8B%20v1.safetensors" in disposition


def test_complete_rejects_parts_of_the_wrong_size(make_user):
    curator = make_user("CURATOR")
    big = sized_safetensors(70 * MiB)
    session = _model_session(curator, model=big)
    parts = session["files"][0]["upload"]["parts"]
    # Part 1 short, part 2 long: the total still matches, but S3 would refuse the assembly.
    cuts = [0, 1, 16 * MiB] + [n * 8 * MiB for n in range(3, 10)]
    for part in parts:
        n = part["partNumber"]
        end = cuts[n] if n < len(cuts) else len(big)
        S3.put(part["url"], data=big[cuts[n - 1]:end], timeout=60).raise_for_status()
    _put(session["files"][1], PNG)
    body = assert_error(curator["api"].post(f"/api/uploads/{session['id']}/complete", json={}), 409, "CONFLICT")
    assert "not 8388608 bytes" in body["errors"][0]["message"]
    assert curator["api"].get(f"/api/uploads/{session['id']}").json()["data"]["status"] == "open"


def test_abort_removes_the_gallery_it_created(make_user):
    from chalicelib import container

    curator = make_user("CURATOR")
    r = curator["api"].post("/api/uploads", json={"kind": "images", "galleryTitle": "Temporary", "files": [
        {"name": "a.png", "size": len(PNG), "contentType": "image/png"}]})
    session = r.json()["data"]
    assert container.catalog().galleries.get(session["galleryId"]) is not None
    assert curator["api"].delete(f"/api/uploads/{session['id']}").status_code == 204
    assert container.catalog().galleries.get(session["galleryId"]) is None
