"""Operator paths and the provisioned wiring on the live stack (both tiers)."""
import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests

from infra import resources as R
from tests.integration.conftest import assert_error, unique_email


def test_every_queue_has_a_dlq_and_buckets_notify_their_queues(runtime):
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    for q in R.QUEUES:
        attrs = sqs.get_queue_attributes(QueueUrl=runtime.env[R.queue_env(q.name)], AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f"-{q.dlq_name}")
        assert int(redrive["maxReceiveCount"]) == q.max_receive_count
    for b in R.BUCKETS:
        config = s3.get_bucket_notification_configuration(Bucket=runtime.env[R.bucket_env(b.name)])
        targets = {c["QueueArn"].rsplit(":", 1)[1] for c in config.get("QueueConfigurations", [])}
        assert targets == {R.physical(runtime.options.prefix, n.queue) for n in b.notifications}


def test_create_admin_cli(api, capsys):
    from chalicelib.cli import main

    email = unique_email("ops")
    assert main(["create-admin", "--email", email.upper(), "--generate"]) == 0
    password = capsys.readouterr().out.split("password: ")[1].strip()
    r = api.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200 and r.json()["data"]["user"]["role"] == "ADMIN"
    # Running it again resets the password and revokes the earlier tokens.
    old = r.json()["data"]["token"]
    assert main(["create-admin", "--email", email, "--generate"]) == 0
    assert_error(api.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"}), 401, "UNAUTHORIZED")


def test_concurrent_duplicate_registrations_create_one_account(base_url):
    email = unique_email("race")

    def register(i):
        return requests.post(f"{base_url}/api/auth/register", timeout=30,
                             json={"email": email, "displayName": f"Racer {i}", "password": "long-enough-pw"}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(register, range(6)))
    assert codes == [201] + [409] * 5


def test_admin_endpoints_reject_bad_input(admin, make_user):
    assert_error(admin["api"].post("/api/generator/agents", json={"name": ""}), 400, "VALIDATION_ERROR", "name")
    assert_error(admin["api"].post("/api/generator/agents", json={"name": "x" * 81}), 400, "VALIDATION_ERROR", "name")
    assert_error(admin["api"].post("/api/generator/agents", json={}), 400, "VALIDATION_ERROR", "name")
    assert_error(make_user("CURATOR")["api"].post("/api/generator/agents", json={"name": "sneaky"}), 403, "FORBIDDEN")
    assert_error(admin["api"].get("/api/generator/jobs/no-such-job"), 404, "NOT_FOUND")
    assert_error(admin["api"].get("/api/settings/schedules/no-such-schedule"), 404, "NOT_FOUND")
    assert_error(admin["api"].get("/api/uploads/no-such-upload"), 404, "NOT_FOUND")


def test_nonces_are_single_use(runtime):
    import time
    import uuid

    from chalicelib import container

    key = f"test#{uuid.uuid4().hex}"
    nonces = container.nonces_repo()
    assert not nonces.exists(key)
    assert nonces.claim(key, time.time() + 60) is True
    assert nonces.claim(key, time.time() + 60) is False
    assert nonces.exists(key)
