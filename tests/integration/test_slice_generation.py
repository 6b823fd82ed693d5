"""Slice (b): Step Functions task token -> SQS -> GPU agent -> signed callbacks -> outcome.
Slice (c): the scheduled sweeper firing on its timer."""
import time
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
import requests

from gpu_agent.agent import Agent, PlatformClient
from tests.integration.conftest import assert_error, wait_for


@pytest.fixture
def agent_key(admin):
    r = admin["api"].post("/api/generator/agents", json={"name": "test-agent"})
    assert r.status_code == 201
    return r.json()["data"]["token"]


def _job(admin, job_id):
    return admin["api"].get(f"/api/generator/jobs/{job_id}").json()["data"]


def _start(admin):
    r = admin["api"].post("/api/generator/diagnostics", json={})
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def _poll_until_assigned(client, job_id, timeout=20):
    """Poll until this job is handed out; other tests' jobs are failed back so they do not linger."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.poll()
        if job and job["jobId"] == job_id:
            return job
        if job:
            client.callback(job["callbacks"]["fail"], {"error": "not this test's job"})
    raise AssertionError("job was never dispatched")


def test_diagnostic_job_runs_through_the_agent(admin, agent_key, base_url, api):
    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    Agent(client).handle(_poll_until_assigned(client, job_id))
    done = wait_for(lambda: (j := _job(admin, job_id))["status"] == "succeeded" and j)
    assert done["progress"] == 100 and done["result"]["attempt"] == 1
    statuses = [h["status"] for h in done["history"]]
    assert statuses[0] == "queued" and "dispatched" in statuses and "running" in statuses and statuses[-1] == "succeeded"
    assert api.get("/api/health").json()["data"]["components"]["gpuAgent"] == "online"


def test_missed_heartbeat_is_caught_and_recorded(admin):
    # Nobody polls this job: the heartbeat timeout fires and the Catch records it.
    job_id = _start(admin)
    done = wait_for(lambda: (j := _job(admin, job_id))["status"] not in ("queued", "dispatched", "running") and j, timeout=40)
    assert done["status"] == "timed_out"
    assert "Timeout" in done["error"]


def test_transient_failure_is_retried_then_succeeds(admin, agent_key, base_url):
    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    first = _poll_until_assigned(client, job_id)
    client.callback(first["callbacks"]["fail"], {"error": "CUDA out of memory", "retryable": True})
    second = _poll_until_assigned(client, job_id)
    assert second["attempt"] == 2
    # Callbacks of the first attempt are dead now.
    assert requests.post(first["callbacks"]["complete"], json={"result": {}}, timeout=10).status_code == 410
    Agent(client).handle(second)
    done = wait_for(lambda: (j := _job(admin, job_id))["status"] == "succeeded" and j)
    assert done["attempt"] == 2


def test_retries_are_bounded(admin, agent_key, base_url):
    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    for attempt in (1, 2):  # the test stack allows one retry
        job = _poll_until_assigned(client, job_id)
        assert job["attempt"] == attempt
        client.callback(job["callbacks"]["fail"], {"error": "CUDA out of memory", "retryable": True})
    done = wait_for(lambda: (j := _job(admin, job_id))["status"] == "failed" and j)
    assert done["error"].startswith("Agent.Transient") and done["attempt"] == 2


def test_fatal_failure_is_recorded_with_generic_message_for_members(admin, agent_key, base_url):
    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    job = _poll_until_assigned(client, job_id)
    client.callback(job["callbacks"]["fail"], {"error": "ComfyUI exploded at /secret/path", "retryable": False})
    done = wait_for(lambda: (j := _job(admin, job_id))["status"] == "failed" and j)
    assert done["error"].startswith("Agent.Failed") and "ComfyUI exploded" in done["agentError"]  # admins see detail
    from chalicelib import container
    from chalicelib.models import Role
    from chalicelib.presenters import job as present_job

    member_view = present_job(container.jobs_repo().get(job_id), container.users_repo().get(admin["id"]).__class__(
        **{**container.users_repo().get(admin["id"]).__dict__, "role": Role.USER}))
    assert member_view["error"] == "The job did not complete" and "agentError" not in member_view


def _tamper(url, **changes):
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunparse(parts._replace(query=urlencode(query)))


def test_forged_expired_and_replayed_callbacks_are_rejected(admin, agent_key, base_url, caplog, capfd):
    from chalicelib.api.middleware import logger as request_logger

    request_logger.setLevel("INFO")  # the suite runs at WARNING; this test reads the request log
    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    job = _poll_until_assigned(client, job_id)
    urls = job["callbacks"]
    assert "taskToken" not in str(job) and "token" not in urls["complete"].lower().split("?")[1]
    for bad in (
        _tamper(urls["complete"], sig="0" * 64),
        _tamper(urls["complete"], exp=str(int(time.time()) + 10**6)),  # extended expiry breaks the MAC
        _tamper(urls["complete"], exp=str(int(time.time()) - 10)),
        urls["complete"].split("?")[0],
        urls["complete"].replace(f"/{job_id}/", "/someone-elses-job/"),
        urls["complete"].replace("/complete?", "/heartbeat?"),
    ):
        r = requests.post(bad, json={"result": {}}, timeout=10)
        assert_error(r, 403, "FORBIDDEN")
    # Signature checked before the body: a stranger learns nothing from validation errors.
    assert requests.post(_tamper(urls["complete"], sig="1" * 64), data="garbage",
                         headers={"Content-Type": "application/json"}, timeout=10).status_code == 403
    assert requests.post(urls["heartbeat"], json={"progress": 500}, timeout=10).status_code == 400
    assert requests.post(urls["complete"], json={"result": {"ok": True}}, timeout=10).status_code == 200
    # A replay is refused: 409 while the outcome is in flight, 410 once it is recorded.
    replay = requests.post(urls["complete"], json={"result": {"ok": True}}, timeout=10)
    assert (replay.status_code, replay.json()["errors"][0]["code"]) in ((409, "CONFLICT"), (410, "GONE"))
    wait_for(lambda: _job(admin, job_id)["status"] == "succeeded")
    # After the outcome, even fresh single-use URLs are refused.
    assert requests.post(urls["fail"], json={"error": "late"}, timeout=10).status_code == 410
    # Signatures travel in the query string; no log line may contain one.
    logged = caplog.text + "".join(capfd.readouterr()) + " ".join(str(r.__dict__) for r in caplog.records)
    assert "/api/generator/callbacks/" in logged  # the requests were logged, without their query
    assert "sig=" not in logged and urls["complete"].split("sig=")[1] not in logged
    request_logger.setLevel("WARNING")


def test_expired_callback_url_is_rejected(admin, agent_key, base_url, runtime):
    from chalicelib import container
    from chalicelib.security import signing

    job_id = _start(admin)
    client = PlatformClient(base_url, agent_key)
    job = _poll_until_assigned(client, job_id)
    path = urlparse(job["callbacks"]["heartbeat"]).path
    stale = signing.sign_url(container.config().callback_secret, base_url, "POST", path, ttl_seconds=60,
                             now=time.time() - 3600)
    assert_error(requests.post(stale, json={"progress": 1}, timeout=10), 403, "FORBIDDEN")
    client.callback(job["callbacks"]["fail"], {"error": "done testing"})


def test_agent_poll_requires_a_valid_key(api, agent_key):
    assert_error(api.post("/api/generator/agent/poll", json={}), 401, "UNAUTHORIZED")
    wrong = agent_key[:-4] + "AAAA"
    assert_error(api.post("/api/generator/agent/poll", json={}, headers={"Authorization": f"Bearer {wrong}"}), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/generator/agent/poll", json={}, headers={"Authorization": "Bearer vsa_nothing"}), 401, "UNAUTHORIZED")


def test_jobs_are_private_and_cancellable(admin, make_user):
    job_id = _start(admin)
    member = make_user()
    assert_error(member["api"].get(f"/api/generator/jobs/{job_id}"), 404, "NOT_FOUND")
    assert_error(member["api"].post(f"/api/generator/jobs/{job_id}/cancel", json={}), 404, "NOT_FOUND")
    assert_error(member["api"].post("/api/generator/diagnostics", json={}), 403, "FORBIDDEN")
    r = admin["api"].post(f"/api/generator/jobs/{job_id}/cancel", json={})
    assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
    assert_error(admin["api"].post(f"/api/generator/jobs/{job_id}/cancel", json={}), 409, "CONFLICT")


def test_scheduled_sweeper_fails_overdue_jobs(admin):
    from chalicelib import container
    from chalicelib.models import Job, JobStatus

    now = time.time()
    stuck = Job(f"stuck-{int(now * 1000)}", admin["id"], "diagnostic", JobStatus.RUNNING, now - 600, now - 600, now - 60)
    container.jobs_repo().create(stuck)
    done = wait_for(lambda: (j := container.jobs_repo().get(stuck.id)).status == JobStatus.TIMED_OUT and j)
    assert done.error == "Deadline passed"
    report = wait_for(lambda: (r := admin["api"].get("/api/settings/schedules/sweep-jobs")).status_code == 200 and r.json()["data"])
    assert report["ranAt"] > now - 5 and report["limit"] == 100


def test_job_events_consumer_survives_junk_and_late_outcomes(admin, runtime):
    import json

    import boto3

    job_id = _start(admin)
    assert admin["api"].post(f"/api/generator/jobs/{job_id}/cancel", json={}).status_code == 200
    sqs = boto3.client("sqs")
    url = runtime.env["VS_QUEUE_JOB_EVENTS_URL"]
    for body in ("{", json.dumps([1]), json.dumps({"jobId": job_id}), json.dumps({"jobId": job_id, "outcome": "exploded"}),
                 json.dumps({"jobId": "no-such-job", "outcome": "succeeded"}),
                 json.dumps({"jobId": job_id, "outcome": "succeeded", "result": {"late": True}})):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    wait_for(lambda: int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                         ["Attributes"]["ApproximateNumberOfMessages"]) == 0)
    job = _job(admin, job_id)
    assert job["status"] == "cancelled" and job["result"] is None
