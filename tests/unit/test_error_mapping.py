"""Unexpected exceptions reach clients only as the generic envelope (narrow test, Chalice's test client)."""
import json

import pytest
from chalice.test import Client

import app
from chalicelib import container


class Exploding:
    def report(self):
        raise RuntimeError("secret internal detail: /etc/visionsuit/key")


@pytest.fixture
def client():
    container.override("health_service", Exploding())
    try:
        with Client(app.app) as c:
            yield c
    finally:
        container.reset()


def test_unexpected_exception_is_a_generic_500_envelope(client):
    r = client.http.get("/api/health")
    body = json.loads(r.body)
    assert r.status_code == 500
    assert body == {"data": None, "meta": None,
                    "errors": [{"code": "INTERNAL_ERROR", "field": None, "message": "Unexpected server error"}]}
    assert "secret" not in r.body.decode()
    assert r.headers["X-Content-Type-Options"] == "nosniff"
