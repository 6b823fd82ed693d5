"""Push mode: the platform POSTs signed assignments to an agent's endpoint; a busy agent (409) or
an unreachable one is retried, the refused attempt's callbacks are dead, a disabled agent gets nothing."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.integration.conftest import assert_error, wait_for
from tests.integration.generation_helpers import (
    HandAgent,
    clear_queue,
    put_base_model,
    register_agent,
    request_body,
    wait_status,
)

pytestmark = pytest.mark.timeout(180)


class PushEndpoint:
    """Stands in for a push-mode agent: checks the signature, answers 409 ``busy_first`` times."""

    def __init__(self, busy_first: int) -> None:
        self.digest = ""
        self.busy_left = busy_first
        self.accepted: list[dict] = []
        self.refused = 0
        self.bad_signatures = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get("X-VisionSuit-Timestamp", "")
                expected = hmac.new(outer.digest.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
                if self.path != "/jobs" or not fresh or not hmac.compare_digest(
                        expected, self.headers.get("X-VisionSuit-Signature", "")):
                    outer.bad_signatures += 1
                    return self._answer(401)
                if outer.busy_left > 0:
                    outer.busy_left -= 1
                    outer.refused += 1
                    return self._answer(409)
                outer.accepted.append(json.loads(body))
                return self._answer(202)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def trust(self, key: str) -> None:
        """The key is known only once the agent is registered (with this endpoint's URL)."""
        self.digest = hashlib.sha256(key.split(".", 1)[1].encode()).hexdigest()

    def close(self):
        self.server.shutdown()


def _agent_id(admin, name):
    return next(a["id"] for a in admin["api"].get("/api/generator/agents").json()["data"] if a["name"] == name)


def test_busy_push_agent_is_retried_and_the_refused_attempt_is_dead(admin, make_user):
    clear_queue(admin)
    base = put_base_model(admin)
    name = f"push-{time.time_ns()}"
    endpoint = PushEndpoint(busy_first=2)
    endpoint.trust(register_agent(admin, name, endpoint=endpoint.url))
    agent_id = _agent_id(admin, name)
    try:
        member = make_user()
        job = member["api"].post("/api/generator/requests", json=request_body(base)).json()["data"]
        assignment = wait_for(lambda: endpoint.accepted and endpoint.accepted[0], timeout=60)
        assert assignment["jobId"] == job["id"] and endpoint.refused == 2 and endpoint.bad_signatures == 0
        # Two refused claims were undone; the accepted attempt is the third, and only its URLs work.
        assert assignment["attempt"] == 3
        HandAgent.upload(assignment)
        assert HandAgent.call(assignment, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code == 200
        wait_status(member, job["id"], "succeeded")
        agents = admin["api"].get("/api/generator/agents").json()["data"]
        assert next(a for a in agents if a["id"] == agent_id)["busy"] is False
    finally:
        r = admin["api"].patch(f"/api/generator/agents/{agent_id}", json={"enabled": False})
        assert r.status_code == 200 and r.json()["data"]["enabled"] is False
        endpoint.close()


def test_agent_admin_edits_are_validated(admin, make_user):
    name = f"pull-{time.time_ns()}"
    key = register_agent(admin, name)
    agent_id = _agent_id(admin, name)
    assert_error(admin["api"].post("/api/generator/agents", json={"name": "x", "endpoint": "http://u:p@host/"}),
                 400, "VALIDATION_ERROR")
    assert_error(admin["api"].post("/api/generator/agents", json={"name": "x", "endpoint": "ftp://host/"}),
                 400, "VALIDATION_ERROR")
    assert_error(admin["api"].patch("/api/generator/agents/zz", json={"enabled": False}), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].patch(f"/api/generator/agents/{'0' * 12}", json={"enabled": False}), 404, "NOT_FOUND")
    assert_error(make_user()["api"].patch(f"/api/generator/agents/{agent_id}", json={"enabled": False}), 403,
                 "FORBIDDEN")
    assert admin["api"].patch(f"/api/generator/agents/{agent_id}", json={"enabled": False}).status_code == 200
    # A disabled agent's key stops working at once.
    r = requests.post(f"{admin['api'].base}/api/generator/agent/poll", json={},
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 401
