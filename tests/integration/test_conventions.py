"""Envelope on every path, validation errors, health, OpenAPI, concurrency of the local server."""
import threading

import requests

from tests.integration.conftest import assert_error


def test_health_answers_in_envelope_without_auth(api):
    r = api.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["errors"] is None and body["meta"] is None
    assert body["data"]["status"] == "ok"
    assert set(body["data"]["components"]) == {"api", "storage", "database", "queue", "gpuAgent"}
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_route_is_enveloped_404(api):
    assert_error(api.get("/api/does-not-exist"), 404, "NOT_FOUND")
    assert_error(api.post("/api/also/not/here", json={}), 404, "NOT_FOUND")


def test_wrong_method_is_enveloped_405(api):
    body = assert_error(api.delete("/api/health"), 405, "METHOD_NOT_ALLOWED")
    assert "Code" not in body and "Message" not in body


def test_non_json_content_type_is_415(api):
    assert_error(api.post("/api/auth/login", data="email=a", headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, "UNSUPPORTED_MEDIA_TYPE")


def test_malformed_json_and_non_object_bodies(api):
    assert_error(api.post("/api/auth/login", data="{not json", headers={"Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR", "body")
    assert_error(api.post("/api/auth/login", json=[1, 2]), 400, "VALIDATION_ERROR", "body")
    assert_error(api.post("/api/auth/login", data=b"\xff\xfe", headers={"Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR")


def test_validation_lists_every_bad_field(api):
    body = assert_error(api.post("/api/auth/register", json={"email": "nope", "password": "x"}), 400, "VALIDATION_ERROR")
    fields = {e["field"] for e in body["errors"]}
    assert {"email", "password", "displayName"} <= fields


def test_unknown_fields_rejected(api):
    assert_error(api.post("/api/auth/login", json={"email": "a@b.cd", "password": "x", "role": "ADMIN"}),
                 400, "VALIDATION_ERROR", "role")


def test_oversized_json_body_is_413(api):
    assert_error(api.post("/api/auth/login", json={"email": "a@b.cd", "password": "x" * 300_000}), 413, "PAYLOAD_TOO_LARGE")


def test_openapi_document_covers_every_route(api, runtime):
    import app

    doc = api.get("/api/openapi.json").json()["data"]
    assert doc["openapi"].startswith("3.")
    for path, methods in app.app.routes.items():
        for method in set(methods) - {"OPTIONS"}:  # CORS preflight views (routing.py) are not API operations
            assert method.lower() in doc["paths"].get(path, {}), f"{method} {path} missing from OpenAPI"
    login = doc["paths"]["/api/auth/login"]["post"]
    schema_name = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][schema_name]["properties"]) == {"email", "password"}


def test_spa_served_at_root_and_client_routes(base_url):
    for path in ("/", "/models/some-id"):
        r = requests.get(base_url + path, timeout=10)
        assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
        assert "VisionSuit" in r.text
    # Path traversal never escapes the static directory.
    r = requests.get(base_url + "/../../app.py", timeout=10)
    assert "Chalice" not in r.text


def test_slow_request_does_not_block_others(admin, api):
    """An agent long-poll (held open by the server) must not delay other requests."""
    agent = admin["api"].post("/api/generator/agents", json={"name": "idle"}).json()["data"]
    poll_done = threading.Event()

    def long_poll():
        requests.post(api.base + "/api/generator/agent/poll", json={},
                      headers={"Authorization": f"Bearer {agent['token']}"}, timeout=30)
        poll_done.set()

    t = threading.Thread(target=long_poll)
    t.start()
    try:
        for _ in range(3):
            assert api.get("/api/health").status_code == 200
        # All three answered while the poll was still being held open.
        assert not poll_done.is_set()
    finally:
        t.join()
