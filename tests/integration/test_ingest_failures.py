"""Retries, DLQ and isolation: transient storage/database errors injected into the running ingest
function; one bad file never blocks the others of its batch."""
import json
import threading
import time
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import container
from infra.local.seed import demo_png
from tests.integration.conftest import wait_for
from tests.integration.test_uploads import _put

THROTTLED = ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}}, "GetObject")


class Flaky:
    """Wraps a collaborator; ``fail(key)`` decides per call whether to raise the injected error."""

    def __init__(self, real, method: str, fail):
        self._real, self._method, self._fail = real, method, fail
        self.calls = 0
        self._lock = threading.Lock()

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if name != self._method:
            return attr

        def wrapped(*args, **kwargs):
            with self._lock:
                self.calls += 1
                n = self.calls
            if self._fail(n, args):
                raise THROTTLED
            return attr(*args, **kwargs)

        return wrapped


@pytest.fixture
def fast_retries(runtime):
    """Messages become visible again after 1 s instead of the ingest queue's 900 s."""
    sqs = boto3.client("sqs")
    url = runtime.env["VS_QUEUE_INGEST_URL"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    # A long poll already waiting was started with the old timeout and would hide the next message for
    # 900 s: let it return first (the pollers wait 1 s per receive).
    time.sleep(1.5)
    yield
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "900"})


@pytest.fixture
def pipeline():
    p = container.ingest_pipeline()
    storage, images = p._storage, p._images
    yield p
    p._storage, p._images = storage, images


def _session(user, n=1):
    files = [demo_png(12, 12, tint=30 * i) for i in range(n)]
    r = user["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": f"f{i}.png", "size": len(d), "contentType": "image/png"} for i, d in enumerate(files)]})
    return r.json()["data"], files


def _status(user, image_id):
    return user["api"].get(f"/api/images/{image_id}/status").json()["data"]


def test_transient_storage_errors_are_retried(make_user, fast_retries, pipeline):
    curator = make_user("CURATOR")
    pipeline._storage = Flaky(pipeline._storage, "read_all", lambda n, args: n <= 2)  # two throttled reads
    session, files = _session(curator)
    _put(session["files"][0], files[0])
    status = wait_for(lambda: (s := _status(curator, session["files"][0]["assetId"]))["status"] != "processing" and s)
    assert status["status"] == "ready" and pipeline._storage.calls >= 3


def test_transient_database_errors_are_retried(make_user, fast_retries, pipeline):
    curator = make_user("CURATOR")
    pipeline._images = Flaky(pipeline._images, "update", lambda n, args: n == 1)
    session, files = _session(curator)
    _put(session["files"][0], files[0])
    status = wait_for(lambda: (s := _status(curator, session["files"][0]["assetId"]))["status"] != "processing" and s)
    assert status["status"] == "ready"


def test_persistent_failure_lands_in_the_dlq_without_blocking_the_batch(make_user, fast_retries, pipeline, runtime):
    curator = make_user("CURATOR")
    session, files = _session(curator, n=3)
    doomed = session["files"][1]["assetId"]
    doomed_key = next(f for f in container.catalog().sessions.get(session["id"]).files if f.asset_id == doomed).key
    pipeline._storage = Flaky(pipeline._storage, "copy_pinned", lambda n, args: args[1] == doomed_key)
    for f, data in zip(session["files"], files, strict=True):
        _put(f, data)
    for f in (session["files"][0], session["files"][2]):
        assert wait_for(lambda f=f: _status(curator, f["assetId"])["status"] == "ready")
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName=f"{runtime.options.prefix}-ingest-dlq")["QueueUrl"]

    def dead_letters():
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       VisibilityTimeout=0).get("Messages", [])
        # S3 notifications carry URL-encoded keys.
        return [m for m in messages if unquote_plus(json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"]) == doomed_key]

    found = wait_for(dead_letters, timeout=40)
    assert len(found) == 1
    assert _status(curator, doomed)["status"] == "processing"  # never marked ready or error by a half-run
