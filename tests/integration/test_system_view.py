"""The admin system view (queue depths, dead letters, redrive, scheduled runs) and what the logs say.

Redrive concurrency (documented semantics): two redrives of one DLQ at the same time move disjoint
messages, because a received dead letter stays hidden from other receivers while it is moved; only
a crash between the send and the delete can send a message twice (at-least-once, and every
consumer is idempotent). The test below checks the first half: the counts add up exactly.
"""
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import container
from infra.local.seed import demo_png
from tests.integration.conftest import assert_error, wait_for
from tests.integration.generation_helpers import HandAgent, register_agent
from tests.integration.test_uploads import _put

SYSTEM = "/api/admin/system"


def _redrive(queue):
    return f"{SYSTEM}/queues/{queue}/redrive"


def _queue(admin, name):
    r = admin["api"].get(SYSTEM)
    assert r.status_code == 200, r.text
    return next(q for q in r.json()["data"]["queues"] if q["name"] == name)


def _dlq_url(runtime, name):
    return boto3.client("sqs").get_queue_url(QueueName=f"{runtime.options.prefix}-{name}-dlq")["QueueUrl"]


def _probe_messages(url, n, tag):
    """Malformed job events: the job-events function logs and drops them (never back to the DLQ)."""
    sqs = boto3.client("sqs")
    for i in range(0, n, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(k), "MessageBody": json.dumps({"probe": f"{tag}-{k}"}),
             "MessageAttributes": {"origin": {"DataType": "String", "StringValue": "test"}}}
            for k in range(i, min(n, i + 10))])


# -- permissions and input ------------------------------------------------------------------
def test_only_admins_see_the_system_view_or_redrive(api, make_user):
    assert_error(api.get(SYSTEM), 401, "UNAUTHORIZED")
    assert_error(api.post(_redrive("ingest"), json={}), 401, "UNAUTHORIZED")
    for role in ("USER", "CURATOR"):
        user = make_user(role)
        assert_error(user["api"].get(SYSTEM), 403, "FORBIDDEN")
        assert_error(user["api"].post(_redrive("ingest"), json={"max": 1}), 403, "FORBIDDEN")


def test_redrive_rejects_malformed_input(admin):
    for body in ({"max": 0}, {"max": 1001}, {"max": "10"}, {"max": 1.5}, {"max": True}, {"max": None}):
        assert_error(admin["api"].post(_redrive("job-events"), json=body), 400, "VALIDATION_ERROR", "max")
    assert_error(admin["api"].post(_redrive("job-events"), json={"max": 1, "queue": "x"}), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].post(_redrive("job-events"), json=[1]), 400, "VALIDATION_ERROR")
    for name in ("no-such-queue", "INGEST", "ingest-dlq", "x" * 300, "%E2%9C%93"):
        assert_error(admin["api"].post(_redrive(name), json={"max": 5}), 404, "NOT_FOUND")


# -- depths ---------------------------------------------------------------------------------
def test_depths_list_every_queue_with_its_dead_letters(admin, runtime):
    data = admin["api"].get(SYSTEM).json()["data"]
    assert {q["name"] for q in data["queues"]} == {"ingest", "dispatch", "job-events"}
    for q in data["queues"]:
        assert q["reachable"] is True and q["deadLetter"] is not None, q
        assert min(q["visible"], q["inFlight"], q["delayed"], q["deadLetter"]["visible"]) >= 0
    assert data["health"]["components"]["queue"] == "ok"

    before = _queue(admin, "job-events")
    _probe_messages(_dlq_url(runtime, "job-events"), 3, "depth")
    boto3.client("sqs").send_message(QueueUrl=runtime.env["VS_QUEUE_JOB_EVENTS_URL"], DelaySeconds=900,
                                     MessageBody=json.dumps({"probe": "delayed"}))
    after = _queue(admin, "job-events")
    assert after["deadLetter"]["visible"] == before["deadLetter"]["visible"] + 3
    assert after["delayed"] == before["delayed"] + 1

    moved = admin["api"].post(_redrive("job-events"), json={"max": 1000})
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["moved"] >= 3 and moved.json()["data"]["failed"] == 0
    assert wait_for(lambda: _queue(admin, "job-events")["deadLetter"]["visible"] == 0)


def test_redrive_moves_at_most_max_and_keeps_attributes(admin, runtime):
    dlq = _dlq_url(runtime, "dispatch")  # nothing consumes the dispatch queue here unless an agent polls
    tag = uuid.uuid4().hex[:8]
    _probe_messages(dlq, 4, tag)
    r = admin["api"].post(_redrive("dispatch"), json={"max": 3})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["moved"] == 3 and r.json()["data"]["deadLetter"] >= 1
    sqs = boto3.client("sqs")
    seen = sqs.receive_message(QueueUrl=runtime.env["VS_QUEUE_DISPATCH_URL"], MaxNumberOfMessages=10,
                               WaitTimeSeconds=1, MessageAttributeNames=["All"]).get("Messages", [])
    ours = [m for m in seen if tag in m["Body"]]
    assert ours and all(m["MessageAttributes"]["origin"]["StringValue"] == "test" for m in ours)
    for m in seen:  # probes are not jobs: do not leave them for an agent
        sqs.delete_message(QueueUrl=runtime.env["VS_QUEUE_DISPATCH_URL"], ReceiptHandle=m["ReceiptHandle"])
    admin["api"].post(_redrive("dispatch"), json={"max": 1000})
    for m in sqs.receive_message(QueueUrl=runtime.env["VS_QUEUE_DISPATCH_URL"], MaxNumberOfMessages=10,
                                 WaitTimeSeconds=1).get("Messages", []):
        if "probe" in m["Body"]:
            sqs.delete_message(QueueUrl=runtime.env["VS_QUEUE_DISPATCH_URL"], ReceiptHandle=m["ReceiptHandle"])


def test_two_concurrent_redrives_move_each_message_once(admin, runtime):
    before = _queue(admin, "job-events")["deadLetter"]["visible"]
    _probe_messages(_dlq_url(runtime, "job-events"), 25, "race")

    def redrive(_):
        r = admin["api"].post(_redrive("job-events"), json={"max": 100})
        assert r.status_code == 200, r.text
        return r.json()["data"]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(redrive, range(2)))
    assert sum(r["moved"] for r in results) == before + 25
    assert sum(r["failed"] for r in results) == 0
    assert _queue(admin, "job-events")["deadLetter"]["visible"] == 0
    entries = admin["api"].get("/api/admin/audit", params={"action": "system.redrive", "pageSize": 5}).json()["data"]
    assert entries and entries[0]["target"] == {"kind": "queue", "id": "job-events"}
    assert entries[0]["details"]["moved"] + entries[1]["details"]["moved"] == before + 25


# -- redrive of a poisoned ingest message --------------------------------------------------------------
class _FailingCopies:
    """Ingest storage whose pinned copy of one key fails (a persistent infrastructure error)."""

    def __init__(self, real, key):
        self._real, self.key, self.failing = real, key, True

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if name != "copy_pinned":
            return attr

        def copy_pinned(bucket, source, *args, **kwargs):
            if self.failing and source == self.key:
                raise ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}}, "CopyObject")
            return attr(bucket, source, *args, **kwargs)

        return copy_pinned


@pytest.fixture
def quick_retries(runtime):
    sqs, url = boto3.client("sqs"), runtime.env["VS_QUEUE_INGEST_URL"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    time.sleep(1.5)  # a long poll already waiting was started with the old timeout
    yield
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "900"})


def test_redrive_returns_a_poisoned_ingest_message_and_it_is_processed(make_user, admin, runtime, quick_retries):
    curator = make_user("CURATOR")
    data = demo_png(20, 20, tint=77)
    session = curator["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "poisoned.png", "size": len(data), "contentType": "image/png"}]}).json()["data"]
    asset_id = session["files"][0]["assetId"]
    key = container.catalog().sessions.get(session["id"]).files[0].key
    pipeline = container.ingest_pipeline()
    real = pipeline._storage
    pipeline._storage = faulty = _FailingCopies(real, key)
    try:
        dead_before = _queue(admin, "ingest")["deadLetter"]["visible"]
        _put(session["files"][0], data)
        wait_for(lambda: _queue(admin, "ingest")["deadLetter"]["visible"] > dead_before, timeout=40)
        status = curator["api"].get(f"/api/images/{asset_id}/status").json()["data"]["status"]
        assert status == "processing"
        faulty.failing = False  # the outage is over
        r = admin["api"].post(_redrive("ingest"), json={"max": 1000})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["moved"] >= 1 and r.json()["data"]["failed"] == 0
        assert wait_for(lambda: curator["api"].get(f"/api/images/{asset_id}/status").json()["data"]["status"] == "ready")
    finally:
        pipeline._storage = real


# -- logs --------------------------------------------------------------------------------------
class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []  # as our loggers' own handlers format them
        self.raw: list[str] = []  # everything a record carries (message arguments, extras)
        self._lock = threading.Lock()

    def emit(self, record):
        formatter = next((h.formatter for h in logging.getLogger(record.name).handlers
                          if h is not self and h.formatter), None) or logging.Formatter("%(name)s %(message)s")
        line, raw = formatter.format(record), json.dumps(record.__dict__, default=str)
        with self._lock:
            self.lines.append(line)
            self.raw.append(raw)


@pytest.fixture
def captured_logs():
    """Every line our loggers (Powertools services, visionsuit.*, chalicelib.*, functions.*) write."""
    capture = _Capture()
    names = [n for n in list(logging.root.manager.loggerDict)
             if n.startswith(("visionsuit", "chalicelib", "functions"))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(capture)
    yield capture
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(capture)
        lg.setLevel(level)


def test_logs_carry_correlation_ids_and_no_secrets(make_user, admin, base_url, captured_logs):
    import requests

    user = make_user("CURATOR", password="Sekrit-Pa55word-xyz")
    login = requests.post(f"{base_url}/api/auth/login", json={"email": user["email"], "password": user["password"]},
                          timeout=30)
    assert login.status_code == 200
    token = login.json()["data"]["token"]
    request_id = login.headers["X-Request-Id"]

    prompt = f"secret prompt {uuid.uuid4().hex}"
    data = demo_png(16, 16, text={"parameters": f"{prompt}\nSteps: 20, Sampler: Euler, Seed: 1"})
    session = user["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "p.png", "size": len(data), "contentType": "image/png"}]}).json()["data"]
    asset_id = session["files"][0]["assetId"]
    _put(session["files"][0], data)
    wait_for(lambda: user["api"].get(f"/api/images/{asset_id}/status").json()["data"]["status"] == "ready")

    agent_key = register_agent(admin, name=f"log-{uuid.uuid4().hex[:6]}")
    job = admin["api"].post("/api/generator/diagnostics", json={})
    assert job.status_code == 202, job.text
    job_id = job.json()["data"]["id"]
    assignment = HandAgent(base_url, agent_key).take(job_id)
    callback = assignment["callbacks"]["fail"]
    assert "?" in callback
    assert HandAgent.call(assignment, "fail", {"error": "log test"}).status_code < 300
    wait_for(lambda: any(job_id in line and "job outcome" in line for line in list(captured_logs.lines)))

    text = "\n".join(captured_logs.lines + captured_logs.raw)
    query = callback.split("?", 1)[1]
    for secret in (user["password"], token, user["token"], agent_key, query, prompt, user["email"],
                   container.config().jwt_secret.decode(), container.config().callback_secret.decode()):
        assert secret not in text, f"leaked: {secret[:12]}…"
    for part in query.split("&"):
        assert part.split("=", 1)[1] not in text

    entries = [json.loads(line) for line in list(captured_logs.lines) if line.startswith("{")]
    api_lines = [e for e in entries if e.get("service") == "visionsuit-api"]
    assert api_lines and all(entry.get("correlation_id") for entry in api_lines)
    assert any(entry["correlation_id"] == request_id and entry.get("path") == "/api/auth/login" for entry in api_lines)
    assert any(entry.get("path", "").startswith("/api/generator/callbacks/") for entry in api_lines)  # it was logged
    ingest = [e for e in entries if e.get("service") == "visionsuit-ingest" and e.get("message") == "ingest"]
    assert any(e.get("asset_id") == asset_id and e.get("upload_session_id") == session["id"] and e.get("object_key")
               for e in ingest)
    assert ingest and all(e.get("correlation_id") and e.get("message_id") for e in ingest)
    # Record ids never leak into the next record: a line of another asset does not name this one.
    assert all(e.get("asset_id") == asset_id for e in ingest if e.get("object_key", "").startswith(
        f"incoming/{session['id']}/"))
    outcome = [e for e in entries if e.get("service") == "visionsuit-job-events" and e.get("job_id") == job_id]
    assert outcome and all(e.get("correlation_id") for e in outcome)


# -- scheduled runs ------------------------------------------------------------------------------
def test_last_scheduled_runs_include_the_queue_depth_run(admin):
    def ops_run():
        schedules = admin["api"].get(SYSTEM).json()["data"]["schedules"]
        return next((s for s in schedules if s["name"] == "ops-metrics" and s["ranAt"]), None)

    run = wait_for(ops_run, timeout=30)  # every schedule runs each second in this test stack
    assert run["ranAt"].endswith("Z") and set(run["report"]["queues"]) == {"ingest", "dispatch", "job-events"}
    assert run["report"]["unreachable"] == []
    names = [s["name"] for s in admin["api"].get(SYSTEM).json()["data"]["schedules"]]
    assert {"sweep-jobs", "sweep-uploads", "ops-metrics"} <= set(names)
