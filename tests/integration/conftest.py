"""Integration tests: the real local runtime (API server, pollers, timers) over HTTP.

VS_TEST_STACK=embedded (default): in-process moto server.
VS_TEST_STACK=external: whatever AWS_ENDPOINT_URL* point at (LocalStack + DynamoDB Local,
see scripts/stack/tier2.sh). Each session provisions its own uniquely prefixed resources, with infra.bootstrap
or, with VS_TEST_PROVISIONING=cloudformation, by deploying the stateful template as a stack (infra/stack_deploy.py).
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
import requests

from chalicelib.uploader import retrying_session
from infra import resources as R
from infra.local.runtime import LocalRuntime, RuntimeOptions
from tests.integration import iam_recording

iam_recording.install()  # before any client exists; see test_iam_usage.py

STACK = os.environ.get("VS_TEST_STACK", "embedded")
# bootstrap (default): resources created through the service APIs; cloudformation: the stateful template is
# deployed as a stack (infra/stack_deploy.py; the integration-localstack tier), see test_deployed_stack.py.
PROVISIONING = os.environ.get("VS_TEST_PROVISIONING", "bootstrap")
# sqs (default): buckets route ObjectCreated to the ingest queue. webhook: S3 is a MinIO-style store without
# notifications (scripts/stack/s3compat.sh, the integration-s3compat tier); tests/fixtures/minio_notifier.py then
# POSTs MinIO's webhook bodies to /api/events/storage, the only way objects reach ingest.
STORAGE_NOTIFICATIONS = os.environ.get("VS_STORAGE_NOTIFICATIONS", "sqs")
# Whether S3 itself is moto (which checks no presigned signature and dates multipart uploads in 2010); in the
# s3compat tier only DynamoDB/SQS/Step Functions are embedded and S3 is a real server on AWS_ENDPOINT_URL_S3.
S3_IS_MOTO = STACK == "embedded" and not os.environ.get("AWS_ENDPOINT_URL_S3")
TIMING = R.Timing(heartbeat_seconds=4, timeout_seconds=60, retry_interval_seconds=1, retry_max_attempts=1)


class Api:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.s = requests.Session()
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method):
        def call(path, **kw):
            kw.setdefault("timeout", 30)
            return self.s.request(method.upper(), self.base + path, **kw)

        return call


@pytest.fixture(scope="session")
def runtime():
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    rt = LocalRuntime(RuntimeOptions(
        port=0, prefix=f"vst{uuid.uuid4().hex[:6]}", embedded=(STACK == "embedded"), timing=TIMING,
        # The sweeps, push dispatch and queue metrics fire every second (tests wait for them); every other
        # schedule keeps its real rate, so the Scan-based cleanup jobs never run during the session (their
        # tests call them directly).
        schedule_intervals={"sweep-jobs": 1.0, "sweep-uploads": 1.0, "push-dispatch": 1.0, "ops-metrics": 1.0},
        provisioning=PROVISIONING, storage_notifications=STORAGE_NOTIFICATIONS,
        extra_env={"VS_SETTINGS_CACHE_SECONDS": "0", "VS_AGENT_POLL_WAIT_SECONDS": "2", "VS_LOGIN_ATTEMPTS": "5",
                   "VS_JOB_TIMEOUT_SECONDS": "120",
                   "VS_SEARCH_REFRESH_DELAY_SECONDS": "1",
                   # The suite registers hundreds of members from 127.0.0.1; test_edge_security.py lowers the limit
                   # in-process and stands for other clients through X-Forwarded-For (one trusted proxy hop).
                   "VS_REGISTRATIONS_PER_IP": "100000", "VS_TRUSTED_PROXY_HOPS": "1"},
    )).start()
    yield rt
    rt.stop()


@pytest.fixture(scope="session", autouse=True)
def storage_notifier(runtime):
    """MinIO's webhook target, emulated, in webhook mode (None otherwise): started before any test uploads."""
    if STORAGE_NOTIFICATIONS != "webhook":
        yield None
        return
    import shutil

    from tests.fixtures.minio_notifier import MinioNotifier, queue_dir_for, rules_from_resources

    queue_dir = queue_dir_for(runtime.options.prefix)
    notifier = MinioNotifier(f"{runtime.url}/api/events/storage", runtime.env["VS_STORAGE_EVENTS_SECRET"],
                             rules_from_resources(runtime.options.prefix), queue_dir).start()
    yield notifier
    notifier.stop()
    shutil.rmtree(queue_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(runtime):
    return runtime.url


@pytest.fixture
def api(base_url):
    return Api(base_url)


# Presigned S3 URLs are driven like every S3 client does: 500/503 are retried (moto also answers 500
# on a rare concurrent-write race).
S3 = retrying_session()


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.test"


@pytest.fixture(scope="session")
def make_user(base_url):
    """Register a member through the API, then set the role directly (no admin user API yet)."""
    from chalicelib import container
    from chalicelib.models import Role

    def make(role: str = "USER", password: str = "correct horse battery"):
        email = unique_email(role.lower())
        r = requests.post(f"{base_url}/api/auth/register", json={"email": email, "displayName": f"{role} tester",
                                                                 "password": password}, timeout=30)
        assert r.status_code == 201, r.text
        data = r.json()["data"]
        if role != "USER":
            user = container.users_repo().get(data["user"]["id"])
            user.role = Role[role]
            container.users_repo().save(user)
        return {"id": data["user"]["id"], "email": email, "password": password, "token": data["token"],
                "api": Api(base_url, data["token"])}

    return make


@pytest.fixture(scope="session")
def admin(make_user):
    return make_user("ADMIN")


def wait_for(fn, timeout: float = 20, interval: float = 0.2):
    """Poll ``fn`` until it returns a truthy value (eventual consistency of the event pipeline)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value {last!r})")


def assert_error(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"data", "meta", "errors"}
    assert body["data"] is None and body["errors"], body
    assert body["errors"][0]["code"] == code, body
    if field is not None:
        assert any(e["field"] == field for e in body["errors"]), body
    return body


# Recalculation runs walk every model and image, and moto answers each Scan page by walking the whole
# table, so this module's cost grows with everything the session created before it (28 s on a fresh
# stack, ~6 min last in the suite). It runs first; it leaves only uniquely named keywords behind.
SCAN_HEAVY_FIRST = ("test_safety.py",)


# Checks what every other test recorded, so it runs after them (see iam_recording.py).
RUN_LAST = ("test_iam_usage.py",)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.path.name not in SCAN_HEAVY_FIRST)  # stable: order otherwise unchanged
    items.sort(key=lambda item: item.path.name in RUN_LAST)
