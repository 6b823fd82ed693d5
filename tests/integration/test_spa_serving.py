"""The local server serves the built SPA: deep links get index.html, hashed bundles are cached for
good, index.html is revalidated and carries the Content-Security-Policy; /api stays the API."""
from __future__ import annotations

import requests
from chalice import Chalice
from werkzeug.test import Client

from infra.edge import content_security_policy, storage_origin
from infra.local.server import PlatformApp

INDEX = b"<!doctype html><html><body><div id=root></div><script type=module src=/assets/index-3f2a9c.js></script></body></html>"


def _dist(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "index-3f2a9c.js").write_text("console.log('app')")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dist


def _client(tmp_path, monkeypatch, endpoint="http://127.0.0.1:40811"):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("VS_CSP_EXTRA_ORIGINS", raising=False)
    return Client(PlatformApp(Chalice(app_name="spa-test"), _dist(tmp_path)))


def test_deep_links_get_index_html_without_caching(tmp_path, monkeypatch):
    client = _client(tmp_path, monkeypatch)
    for path in ("/", "/models/abc123", "/users/u1", "/admin/moderation", "/galleries/g%C3%A9"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data == INDEX, path
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_immutable_and_missing_ones_404(tmp_path, monkeypatch):
    client = _client(tmp_path, monkeypatch)
    bundle = client.get("/assets/index-3f2a9c.js")
    assert bundle.status_code == 200
    assert bundle.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in bundle.headers["Content-Type"]
    # An old bundle name after a redeploy must fail loudly, not come back as HTML.
    missing = client.get("/assets/index-0ld.js")
    assert missing.status_code == 404
    assert b"<html" not in missing.data
    # Unhashed files at the root are revalidated.
    assert client.get("/favicon.svg").headers["Cache-Control"] == "no-cache"


def test_spa_csp_allows_own_code_and_the_storage_origin_only(tmp_path, monkeypatch):
    client = _client(tmp_path, monkeypatch, endpoint="http://127.0.0.1:40811/")
    csp = client.get("/models/abc").headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["img-src"] == ["'self'", "data:", "blob:", "http://127.0.0.1:40811"]
    assert "http://127.0.0.1:40811" in directives["connect-src"]  # presigned upload PUTs
    assert directives["frame-ancestors"] == ["'none'"]
    # Bundles are not HTML and need no policy of their own.
    assert "Content-Security-Policy" not in client.get("/assets/index-3f2a9c.js").headers


def test_storage_origin_follows_the_storage_client_variables():
    assert storage_origin({"AWS_ENDPOINT_URL": "http://localhost:4566"}) == "http://localhost:4566"
    assert storage_origin({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "https://s3.local:9000/x"}) == "https://s3.local:9000"
    assert storage_origin({}) is None
    policy = content_security_policy({"VS_CSP_EXTRA_ORIGINS": "https://cdn.example.com"})
    assert "img-src 'self' data: blob: https://*.amazonaws.com https://cdn.example.com" in policy


def test_running_server_keeps_api_and_spa_apart(base_url):
    page = requests.get(f"{base_url}/models/some-model-id", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    # Unknown API paths stay JSON errors, never the SPA.
    api = requests.get(f"{base_url}/api/no-such-route", timeout=10)
    assert api.status_code == 404
    assert api.json()["errors"][0]["code"] == "NOT_FOUND"
