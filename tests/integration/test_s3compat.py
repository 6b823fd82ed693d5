"""The MinIO deployment path (docs/minio.md), run by the integration-s3compat tier (scripts/stack/s3compat.sh): S3 is
a separate S3-compatible server (SeaweedFS) on a custom endpoint, path-style, signatures enforced, with no S3->SQS
notifications. Objects reach ingest only as MinIO-format webhooks (tests/fixtures/minio_notifier.py) to
POST /api/events/storage. The rest of the tier runs the upload, ingest, download and generation suites unchanged."""
import hashlib
import os
import socket
import time
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fixtures.minio_notifier import authorization_header, minio_event_body
from tests.integration.conftest import STORAGE_NOTIFICATIONS, wait_for
from tests.integration.test_ingest import _drain
from tests.integration.test_uploads import PNG, _put, upload_model

pytestmark = pytest.mark.skipif(STORAGE_NOTIFICATIONS != "webhook",
                                reason="the MinIO path; runs in the integration-s3compat tier (scripts/stack/s3compat.sh)")

MiB = 1024 * 1024


def _image_session(user, data=PNG):
    r = user["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "webhook.png", "size": len(data), "contentType": "image/png"}]})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _image_status(user, asset_id):
    return user["api"].get(f"/api/images/{asset_id}/status").json()["data"]


def _object_key(upload_url, bucket):
    return unquote(urlsplit(upload_url).path.split(f"/{bucket}/", 1)[1])


def test_storage_is_a_separate_path_style_endpoint_without_notifications(make_user, runtime):
    endpoint = urlsplit(os.environ["AWS_ENDPOINT_URL_S3"])
    assert endpoint.netloc != urlsplit(os.environ["AWS_ENDPOINT_URL"]).netloc  # not the moto server
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    url = urlsplit(_image_session(make_user("CURATOR"))["files"][0]["upload"]["url"])
    # Path-style: the bucket is in the path, the host is the endpoint itself (no <bucket>.<host> DNS needed).
    assert url.netloc == endpoint.netloc and url.path.startswith(f"/{bucket}/incoming/")
    s3 = boto3.client("s3")
    routing = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(routing.get(k) for k in ("QueueConfigurations", "TopicConfigurations",
                                            "LambdaFunctionConfigurations", "EventBridgeConfiguration"))
    assert "PUT" in s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"]  # browser uploads
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules} == {("incoming/", 3)}
    # Signatures are checked: the same key with a wrong secret is refused.
    forger = boto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong",
                          config=Config(s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as refused:
        forger.list_objects_v2(Bucket=bucket, Prefix="incoming/")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_uploads_reach_ingest_as_minio_webhooks(make_user, runtime, storage_notifier):
    curator = make_user("CURATOR")
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    before = len(storage_notifier.delivered)
    session, done = upload_model(curator)
    assert done["status"] == "ready", done
    keys = {f"{bucket}/{_object_key(f['upload']['url'], bucket)}" for f in session["files"]}
    assert keys <= {key for name, key in storage_notifier.delivered[before:] if name == "s3:ObjectCreated:Put"}


def test_multipart_objects_are_announced_as_complete_multipart_upload(runtime, storage_notifier):
    """A raw multipart object under incoming/ (no upload session): MinIO announces it with its own event name, the
    endpoint accepts it (202) and ingest ignores a key no session owns."""
    s3, bucket = boto3.client("s3"), runtime.env["VS_BUCKET_MEDIA"]
    key = f"incoming/no-such-session-{time.time_ns()}/0-blob.bin"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n,
                                                       Body=b"x" * size)["ETag"]}
             for n, size in ((1, 5 * MiB), (2, 10))]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    wait_for(lambda: ("s3:ObjectCreated:CompleteMultipartUpload", f"{bucket}/{key}") in storage_notifier.delivered)
    s3.delete_object(Bucket=bucket, Key=key)


def test_events_wait_in_the_queue_dir_while_the_api_is_down(make_user, storage_notifier):
    curator = make_user("CURATOR")
    session = _image_session(curator)
    asset_id = session["files"][0]["assetId"]
    endpoint = storage_notifier.endpoint
    with socket.socket() as probe:  # a port nobody listens on: the API is "down"
        probe.bind(("127.0.0.1", 0))
        storage_notifier.endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}/api/events/storage"
    try:
        attempts = storage_notifier.attempts
        _put(session["files"][0], PNG)
        wait_for(lambda: storage_notifier.pending() >= 1 and storage_notifier.attempts >= attempts + 2)
        # Completing the session checks and assembles the objects; it does not start ingest by itself.
        r = curator["api"].post(f"/api/uploads/{session['id']}/complete", json={})
        assert r.status_code == 200 and r.json()["data"]["status"] == "completed"
        time.sleep(1)
        assert _image_status(curator, asset_id)["status"] == "processing"
    finally:
        storage_notifier.endpoint = endpoint
    # Back up: the queued event is replayed and ingest finishes the upload.
    done = wait_for(lambda: (s := _image_status(curator, asset_id))["status"] != "processing" and s)
    assert done["status"] == "ready", done
    assert storage_notifier.pending() == 0


def test_redelivered_events_change_nothing(make_user, runtime, api, storage_notifier):
    """At-least-once delivery: MinIO replays what it could not confirm. Ingest is idempotent per (upload, ETag)."""
    curator = make_user("CURATOR")
    bucket = runtime.env["VS_BUCKET_MEDIA"]
    session = _image_session(curator)
    asset_id = session["files"][0]["assetId"]
    _put(session["files"][0], PNG)
    done = wait_for(lambda: (s := _image_status(curator, asset_id))["status"] != "processing" and s)
    assert done["status"] == "ready", done
    storage_notifier.flush()
    body = minio_event_body(bucket, _object_key(session["files"][0]["upload"]["url"], bucket),
                            etag=hashlib.md5(PNG).hexdigest(), size=len(PNG), content_type="image/png",
                            user_metadata={}, event_name="s3:ObjectCreated:Put", access_key="replay")
    headers = {"Authorization": authorization_header(runtime.env["VS_STORAGE_EVENTS_SECRET"])}
    for _ in range(2):
        r = api.post("/api/events/storage", json=body, headers=headers)
        assert r.status_code == 202 and r.json()["data"] == {"accepted": 1}, r.text
    _drain(runtime)
    after = _image_status(curator, asset_id)
    # Preview URLs are presigned per request; everything else must be exactly as the first delivery left it.
    assert after.pop("previews").keys() == done.pop("previews").keys()
    assert after == done
