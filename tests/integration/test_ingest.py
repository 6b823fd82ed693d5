"""The ingest function through the real event path: duplicates, reordering, junk, poison files,
MinIO webhook deliveries, hash lookup, downloads and adult keywords."""
import json

import boto3
import pytest
import requests

from infra.local.seed import demo_png, demo_safetensors
from tests.integration.conftest import S3, STORAGE_NOTIFICATIONS, assert_error, wait_for
from tests.integration.test_uploads import PNG, _model_session, _model_status, _put, upload_model


def _drain(runtime):
    sqs = boto3.client("sqs")
    url = runtime.env["VS_QUEUE_INGEST_URL"]

    def empty():
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0

    wait_for(empty)


def _s3_event(bucket, key, etag="", event="ObjectCreated:Put"):
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": event,
                         "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1, "eTag": etag}}}]}


def test_duplicate_reordered_and_junk_events_change_nothing(make_user, runtime):
    curator = make_user("CURATOR")
    session, done = upload_model(curator)
    assert done["status"] == "ready"
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    sqs = boto3.client("sqs")
    url = runtime.env["VS_QUEUE_INGEST_URL"]
    key = f"incoming/{session['id']}/0-test.safetensors"
    bodies = [_s3_event(bucket, key), _s3_event(bucket, key, etag="0123456789abcdef"),  # stale ETag: superseded
              _s3_event(bucket, f"incoming/{session['id']}/7-nope.png"), _s3_event(bucket, "incoming/no-session/0-x.png"),
              _s3_event(bucket, "somewhere/else.png"), _s3_event("other-bucket", key),
              {"Event": "s3:TestEvent"}, {"Records": "garbage"}, [1, 2], "not json at all"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    _drain(runtime)
    assert _stable(_model_status(curator, session["modelId"])) == _stable(done)


def _stable(status: dict) -> dict:
    """Status without the signing time of its presigned preview URLs."""
    return {**status, "cover": {name: url.split("?")[0] for name, url in status["cover"].items()}}


def test_poison_files_end_in_error_with_a_reason(make_user, runtime):
    curator = make_user("CURATOR")
    html = b"<html><script>alert(1)</script></html>"
    bogus_model = (10**9).to_bytes(8, "little") + b"{" + bytes(100)
    session = _model_session(curator, model=bogus_model, cover=html)
    _put(session["files"][0], bogus_model)
    _put(session["files"][1], html)
    done = wait_for(lambda: (s := _model_status(curator, session["modelId"]))["status"] != "processing" and s)
    assert done["status"] == "error"
    assert done["versions"][0]["status"] == "error" and done["versions"][0]["error"]
    cover = curator["api"].get(f"/api/images/{session['files'][1]['assetId']}/status").json()["data"]
    assert cover["status"] == "error" and cover["error"]
    _drain(runtime)  # nothing left retrying


def test_size_mismatch_is_an_error_not_a_retry(make_user, runtime):
    curator = make_user("CURATOR")
    session = _model_session(curator, cover=PNG)
    up = session["files"][1]["upload"]
    r = S3.put(up["url"], data=PNG + b"extra", headers=up["headers"], timeout=30)
    if r.status_code == 403:  # LocalStack enforces the signed Content-Length
        return
    status = wait_for(lambda: (s := curator["api"].get(f"/api/images/{session['files'][1]['assetId']}/status")
                               .json()["data"])["status"] != "processing" and s)
    assert status["status"] == "error" and "announced" in status["error"]


@pytest.mark.skipif(STORAGE_NOTIFICATIONS == "webhook", reason="turns S3->SQS routing off to isolate one recorded "
                    "webhook; in webhook mode there is no routing and every object arrives by webhook (test_s3compat.py)")
def test_minio_webhook_feeds_the_same_handler(make_user, runtime, api, monkeypatch):
    from chalicelib import container

    secret = "minio-webhook-secret-0123456789abcdef"
    monkeypatch.setenv("VS_STORAGE_EVENTS_SECRET", secret)
    container.config().__dict__.pop("storage_events_secret", None)
    curator = make_user("CURATOR")
    r = curator["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "m.png", "size": len(PNG), "contentType": "image/png"}]})
    upload = r.json()["data"]["files"][0]
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    key = requests.utils.urlparse(upload["upload"]["url"]).path.split(f"/{bucket}/", 1)[1]
    # As on MinIO, nothing reaches the queue from the bucket itself: only the webhook can announce the object.
    s3 = boto3.client("s3")
    routing = {k: v for k, v in s3.get_bucket_notification_configuration(Bucket=bucket).items() if k != "ResponseMetadata"}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        _put(upload, PNG)
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=routing)
    _drain(runtime)
    assert curator["api"].get(f"/api/images/{upload['assetId']}/status").json()["data"]["status"] == "processing"
    # A recorded MinIO webhook body (MinIO's shape: EventName/Key summary plus S3 Records).
    minio_body = {
        "EventName": "s3:ObjectCreated:Put", "Key": f"{bucket}/{key}",
        "Records": [{"eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "", "eventTime": "2026-11-21T06:00:00.000Z",
                     "eventName": "s3:ObjectCreated:Put", "userIdentity": {"principalId": "minioadmin"},
                     "requestParameters": {"principalId": "minioadmin", "region": "", "sourceIPAddress": "127.0.0.1"},
                     "responseElements": {"x-amz-id-2": "dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8",
                                          "x-amz-request-id": "17A2B9C6E1F0A8D1", "x-minio-deployment-id": "6b6c0f2e",
                                          "x-minio-origin-endpoint": "http://127.0.0.1:9000"},
                     "s3": {"s3SchemaVersion": "1.0", "configurationId": "Config",
                            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "minioadmin"},
                                       "arn": f"arn:aws:s3:::{bucket}"},
                            "object": {"key": key, "size": len(PNG), "eTag": "", "contentType": "image/png",
                                       "userMetadata": {"content-type": "image/png"}, "sequencer": "17A2B9C6E2D4F1C0"}},
                     "source": {"host": "127.0.0.1", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70"}}]}
    headers = {"Authorization": f"Bearer {secret}"}
    assert_error(api.post("/api/events/storage", json=minio_body), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/events/storage", json=minio_body, headers={"Authorization": "Bearer wrong"}), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/events/storage", json={"Records": []}, headers=headers), 400, "VALIDATION_ERROR")
    assert_error(api.post("/api/events/storage", json={"Records": [{"s3": "x"}]}, headers=headers), 400, "VALIDATION_ERROR")
    assert_error(api.post("/api/events/storage", data="nope", headers={**headers, "Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR")
    r = api.post("/api/events/storage", json=minio_body, headers=headers)
    assert r.status_code == 202 and r.json()["data"]["accepted"] == 1
    _drain(runtime)
    status = curator["api"].get(f"/api/images/{upload['assetId']}/status").json()["data"]
    assert status["status"] == "ready"


def test_by_hash_resolves_every_form_case_insensitively(make_user, api):
    curator = make_user("CURATOR")
    model = demo_safetensors(rank=6)
    session, done = upload_model(curator, model=model)
    hashes = done["versions"][0]["hashes"]
    version_id = done["versions"][0]["id"]
    for value in (hashes["sha256"], hashes["sha256"].lower(), hashes["autov2"], hashes["autov3"], hashes["autov3"][:12],
                  hashes["crc32"], hashes["blake3"], "0x" + hashes["autov3"].lower()):
        r = api.get(f"/api/models/by-hash/{value}")
        assert r.status_code == 200, (value, r.text)
        assert r.json()["data"]["versionId"] == version_id
    assert_error(api.get("/api/models/by-hash/zzzz"), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/models/by-hash/" + "0" * 64), 404, "NOT_FOUND")


def test_private_models_do_not_resolve_by_hash_for_others(make_user, api):
    curator = make_user("CURATOR")
    session, done = upload_model(curator, model=demo_safetensors(rank=7), visibility="private")
    sha = done["versions"][0]["hashes"]["sha256"]
    assert_error(api.get(f"/api/models/by-hash/{sha}"), 404, "NOT_FOUND")
    assert curator["api"].get(f"/api/models/by-hash/{sha}").status_code == 200


def test_download_redirects_to_a_presigned_attachment_and_counts(make_user, api):
    curator, member = make_user("CURATOR"), make_user()
    session, done = upload_model(curator, model=demo_safetensors(rank=8))
    version_id = done["versions"][0]["id"]
    path = f"/api/models/{session['modelId']}/versions/{version_id}/download"
    assert_error(api.get(path, allow_redirects=False), 401, "UNAUTHORIZED")
    r = member["api"].get(path, allow_redirects=False)
    assert r.status_code == 302 and "X-Amz-Signature" in r.headers["Location"]
    assert "Authorization" not in r.headers["Location"] and "token" not in r.headers["Location"].lower().split("?")[0]
    file = S3.get(r.headers["Location"], timeout=30)
    assert file.status_code == 200 and file.content == demo_safetensors(rank=8)
    assert "attachment" in file.headers.get("Content-Disposition", "") and "test.safetensors" in file.headers["Content-Disposition"]
    member["api"].get(path, allow_redirects=False)
    assert _model_status(curator, session["modelId"])["downloads"] == 2
    assert_error(member["api"].get(f"/api/models/{session['modelId']}/versions/nope/download", allow_redirects=False),
                 404, "NOT_FOUND")


def test_renders_link_to_models_by_hash(make_user):
    curator = make_user("CURATOR")
    session, done = upload_model(curator, model=demo_safetensors(rank=9))
    autov2 = done["versions"][0]["hashes"]["autov2"]
    autov3 = done["versions"][0]["hashes"]["autov3"][:12].lower()
    text = ("a cat <lora:test:0.8>\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, "
            f"Size: 16x16, Model hash: {autov2.lower()}, Model: base, Lora hashes: \"test: {autov3}\"")
    render = demo_png(16, 16, text={"parameters": text})
    r = curator["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "render.png", "size": len(render), "contentType": "image/png"}]})
    f = r.json()["data"]["files"][0]
    _put(f, render)
    status = wait_for(lambda: (s := curator["api"].get(f"/api/images/{f['assetId']}/status").json()["data"])["status"] != "processing" and s)
    assert status["meta"]["prompt"].startswith("a cat") and status["meta"]["negative_prompt"] == "blurry"
    assert status["linkedVersionIds"] == [done["versions"][0]["id"]]


def test_adult_keywords_flag_and_recompute(make_user, admin):
    curator = make_user("CURATOR")
    render = demo_png(16, 16, text={"parameters": "a glowing orb\nNegative prompt: nsfw\nSteps: 20, Seed: 1"})
    r = curator["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "orb.png", "size": len(render), "contentType": "image/png"}]})
    f = r.json()["data"]["files"][0]
    _put(f, render)
    status = wait_for(lambda: (s := curator["api"].get(f"/api/images/{f['assetId']}/status").json()["data"])["status"] != "processing" and s)
    assert status["isAdult"] is False  # the negative prompt never counts
    assert_error(curator["api"].put("/api/safety/adult-keywords", json={"keywords": ["orb"]}), 403, "FORBIDDEN")
    before = admin["api"].get("/api/safety/adult-keywords").json()["data"]["keywords"]
    try:
        assert admin["api"].put("/api/safety/adult-keywords", json={"keywords": before + ["orb"]}).status_code == 200
        wait_for(lambda: curator["api"].get(f"/api/images/{f['assetId']}/status").json()["data"]["isAdult"] is True)
    finally:
        admin["api"].put("/api/safety/adult-keywords", json={"keywords": before})
    wait_for(lambda: curator["api"].get(f"/api/images/{f['assetId']}/status").json()["data"]["isAdult"] is False)
    # Let the last recalculation finish: it re-derives the adult flag of every asset, including ones
    # later tests seed directly.
    wait_for(lambda: admin["api"].get("/api/safety/recalculations/latest").json()["data"]["recalculation"]["status"]
             == "done", timeout=60)
    assert_error(admin["api"].put("/api/safety/adult-keywords", json={"keywords": ["x" * 100]}), 400, "VALIDATION_ERROR")
