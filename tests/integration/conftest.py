"""Integration tests: the real local runtime (API server, pollers, timers) over HTTP.

VS_TEST_STACK=embedded (default): in-process moto server.
VS_TEST_STACK=external: whatever AWS_ENDPOINT_URL* point at (LocalStack + DynamoDB Local,
see scripts/stack/tier2.sh). Each session provisions its own uniquely prefixed resources.
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

STACK = os.environ.get("VS_TEST_STACK", "embedded")
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
        schedule_interval=1.0,
        extra_env={"VS_SETTINGS_CACHE_SECONDS": "0", "VS_AGENT_POLL_WAIT_SECONDS": "2", "VS_LOGIN_ATTEMPTS": "5",
                   "VS_JOB_TIMEOUT_SECONDS": "120",
                   "VS_SEARCH_REFRESH_DELAY_SECONDS": "1"},
    )).start()
    yield rt
    rt.stop()


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


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.path.name not in SCAN_HEAVY_FIRST)  # stable: order otherwise unchanged
