"""Slice (a): presigned PUT -> S3 ObjectCreated -> SQS -> ingest handler -> DynamoDB -> API."""
import json

import boto3
import pytest
import requests

from infra.local.seed import demo_png
from tests.integration.conftest import STACK, assert_error, wait_for

PNG = demo_png(16, 16)


def _start(curator, filename="pic.png", content_type="image/png", size=len(PNG)):
    r = curator["api"].post("/api/uploads", json={"filename": filename, "contentType": content_type, "size": size})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _status(curator, upload_id):
    return curator["api"].get(f"/api/uploads/{upload_id}").json()["data"]


def test_image_upload_is_ingested(make_user):
    curator = make_user("CURATOR")
    created = _start(curator)
    assert created["upload"]["status"] == "pending"
    assert "X-Amz-Signature" in created["put"]["url"] and "Authorization" not in created["put"]["headers"]
    requests.put(created["put"]["url"], data=PNG, headers=created["put"]["headers"], timeout=30).raise_for_status()
    done = wait_for(lambda: (s := _status(curator, created["upload"]["id"]))["status"] != "pending" and s)
    assert done["status"] == "received" and done["detectedType"] == "image/png" and done["size"] == len(PNG)


def test_content_is_judged_by_bytes_not_by_declaration(make_user):
    curator = make_user("CURATOR")
    html = b"<html><script>alert(1)</script></html>"
    created = _start(curator, "evil.png", "image/png", len(html))
    requests.put(created["put"]["url"], data=html, headers=created["put"]["headers"], timeout=30).raise_for_status()
    done = wait_for(lambda: (s := _status(curator, created["upload"]["id"]))["status"] != "pending" and s)
    assert done["status"] == "rejected" and "not image/png" in done["reason"]


def test_duplicate_and_replayed_events_change_nothing(make_user, runtime):
    curator = make_user("CURATOR")
    created = _start(curator)
    requests.put(created["put"]["url"], data=PNG, headers=created["put"]["headers"], timeout=30).raise_for_status()
    first = wait_for(lambda: (s := _status(curator, created["upload"]["id"]))["status"] == "received" and s)
    # Replay the same S3 event twice, plus junk, straight into the ingest queue.
    sqs = boto3.client("sqs")
    url = runtime.env["VS_QUEUE_INGEST_URL"]
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    key = f"incoming/{created['upload']['id']}/pic.png"
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket},
                                                                   "object": {"key": key, "size": len(PNG)}}}]}
    for body in (json.dumps(event), json.dumps(event), "not json", json.dumps({"Event": "s3:TestEvent"}),
                 json.dumps({"Records": "garbage"})):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    wait_for(lambda: int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                         ["Attributes"]["ApproximateNumberOfMessages"]) == 0)
    assert _status(curator, created["upload"]["id"]) == first


def test_size_mismatch_is_rejected(make_user):
    curator = make_user("CURATOR")
    created = _start(curator, size=len(PNG) + 10)
    # moto does not enforce the signed Content-Length; LocalStack does (403). Either way nothing is accepted.
    r = requests.put(created["put"]["url"], data=PNG, headers=created["put"]["headers"], timeout=30)
    if r.status_code == 200:
        done = wait_for(lambda: (s := _status(curator, created["upload"]["id"]))["status"] != "pending" and s)
        assert done["status"] == "rejected" and "differs" in done["reason"]
    else:
        assert r.status_code == 403
        assert _status(curator, created["upload"]["id"])["status"] == "pending"


def test_upload_validation_and_limits(make_user):
    curator = make_user("CURATOR")
    assert_error(curator["api"].post("/api/uploads", json={"filename": "a.html", "contentType": "text/html", "size": 10}),
                 400, "VALIDATION_ERROR", "contentType")
    assert_error(curator["api"].post("/api/uploads", json={"filename": "a.png", "contentType": "image/png",
                                                           "size": 65 * 1024 * 1024}), 413, "PAYLOAD_TOO_LARGE")
    assert_error(curator["api"].post("/api/uploads", json={"filename": "a.png", "contentType": "image/png", "size": 0}),
                 400, "VALIDATION_ERROR", "size")
    assert_error(curator["api"].post("/api/uploads", json={"filename": "a.png", "contentType": "image/png", "size": "1e3"}),
                 400, "VALIDATION_ERROR", "size")


def test_hostile_filenames_are_neutralised(make_user):
    curator = make_user("CURATOR")
    created = _start(curator, filename="../../etc/passwd\x00.png")
    assert created["upload"]["filename"] == "passwd_.png"
    assert "/etc/" not in created["put"]["url"]


def test_uploads_are_private_to_owner_and_admin(make_user, admin, api):
    owner, other = make_user("CURATOR"), make_user("CURATOR")
    created = _start(owner)
    upload_id = created["upload"]["id"]
    assert_error(other["api"].get(f"/api/uploads/{upload_id}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/uploads/{upload_id}"), 401, "UNAUTHORIZED")
    assert admin["api"].get(f"/api/uploads/{upload_id}").status_code == 200


@pytest.mark.signature_validation
@pytest.mark.skipif(STACK == "embedded", reason="moto never checks presigned signatures; runs on the LocalStack tier")
def test_tampered_or_retyped_presigned_put_is_refused(make_user):
    curator = make_user("CURATOR")
    created = _start(curator)
    url = created["put"]["url"]
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.put(tampered, data=PNG, headers=created["put"]["headers"], timeout=30).status_code == 403
    assert requests.put(url, data=PNG, headers={"Content-Type": "text/html"}, timeout=30).status_code == 403
    assert _status(curator, created["upload"]["id"])["status"] == "pending"
