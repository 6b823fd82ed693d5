"""Edge security over HTTP: CORS for configured origins only (preflights included), request size
limits in the local server and in the API middleware (the API Gateway path), rate limits with
Retry-After and no side effect, and the security headers of the SPA and of API answers."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from chalice.config import Config as ChaliceConfig
from chalice.local import LocalGateway

from chalicelib import container
from chalicelib.errors import RateLimited
from chalicelib.services.auth_service import AuthService
from chalicelib.services.rate_limiter import RateLimiter
from infra import resources as R
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error, unique_email

PARTNER = "https://partner.example.test"  # configured in addition to the public URL below
FOREIGN = "https://evil.example.test"
PASSWORD = "correct horse battery"
TOO_BIG = 300 * 1024  # above the default VS_MAX_REQUEST_BYTES (256 KiB)


@pytest.fixture
def partner_allowed(monkeypatch):
    """VS_ALLOWED_ORIGINS=<PARTNER> for one test (config is read once per process, so its cached value
    is swapped in-process; the server runs in this process)."""
    cfg = container.config()
    monkeypatch.setitem(cfg.__dict__, "allowed_origins", (*cfg.allowed_origins, PARTNER))


def _register_body(email: str) -> dict:
    return {"email": email, "displayName": "Edge tester", "password": PASSWORD}


def _registered(email: str) -> bool:
    return container.users_repo().get_by_email(email) is not None


def _client_ip() -> str:
    """A client address of its own (the suite trusts one proxy hop), so per-IP counters of this test
    never touch 127.0.0.1's, which the rest of the suite registers and signs in from."""
    suffix = uuid.uuid4().hex
    return f"2001:db8::{suffix[:4]}:{suffix[4:8]}"


# -- CORS ------------------------------------------------------------------------------------------
def test_public_origin_and_configured_origins_get_cors_headers(base_url, partner_allowed):
    for origin in (base_url, PARTNER):
        r = requests.get(f"{base_url}/api/health", headers={"Origin": origin}, timeout=10)
        assert r.status_code == 200
        assert r.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in r.headers["Vary"]
        exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"X-Request-Id", "Retry-After"} <= exposed
        assert "Access-Control-Allow-Credentials" not in r.headers


def test_foreign_origin_gets_no_cors_headers_and_cannot_write(base_url, partner_allowed):
    r = requests.get(f"{base_url}/api/health", headers={"Origin": FOREIGN}, timeout=10)
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers and "Origin" in r.headers["Vary"]
    email = unique_email("foreign")
    refused = requests.post(f"{base_url}/api/auth/register", json=_register_body(email),
                            headers={"Origin": FOREIGN}, timeout=10)
    assert_error(refused, 403, "FORBIDDEN")
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert not _registered(email)
    # The same request from an allowed origin, and from a client that is no browser, goes through.
    assert requests.post(f"{base_url}/api/auth/register", json=_register_body(email), headers={"Origin": PARTNER},
                         timeout=10).status_code == 201
    assert requests.post(f"{base_url}/api/auth/register", json=_register_body(unique_email("agent")),
                         timeout=10).status_code == 201


def test_preflight_works_on_every_route_for_allowed_origins_only(base_url, partner_allowed, make_user):
    user = make_user()
    probes = [("/api/auth/login", "POST"), ("/api/auth/me", "PATCH"), (f"/api/images/{uuid.uuid4().hex}/comments", "POST"),
              (f"/api/models/{uuid.uuid4().hex}/flags", "POST"), ("/api/uploads", "POST"), ("/api/health", "GET")]
    for path, method in probes:
        asked = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization,content-type"}
        ok = requests.options(base_url + path, headers={"Origin": PARTNER, **asked}, timeout=10)
        assert ok.status_code == 204, (path, ok.text)
        assert ok.headers["Access-Control-Allow-Origin"] == PARTNER
        assert method in ok.headers["Access-Control-Allow-Methods"].split(", ")
        assert ok.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
        assert int(ok.headers["Access-Control-Max-Age"]) > 0
        refused = requests.options(base_url + path, headers={"Origin": FOREIGN, **asked}, timeout=10)
        assert not [h for h in refused.headers if h.lower().startswith("access-control-allow")], path
    # The actual cross-origin call after the preflight works and is readable.
    me = requests.get(f"{base_url}/api/auth/me", headers={"Origin": PARTNER, "Authorization": f"Bearer {user['token']}"},
                      timeout=10)
    assert me.status_code == 200 and me.headers["Access-Control-Allow-Origin"] == PARTNER


def test_every_api_path_declares_options_so_api_gateway_routes_preflights():
    import app

    missing = [path for path, methods in app.app.routes.items() if "OPTIONS" not in methods]
    assert missing == []


def test_presigned_uploads_are_allowed_from_the_spa_origin_only(runtime):
    bucket = runtime.env[R.bucket_env("media")]
    rules = boto3.client("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert [r["AllowedOrigins"] for r in rules] == [[runtime.url]]


# -- request size ----------------------------------------------------------------------------------
def test_oversize_bodies_are_refused_before_anything_is_written(api, make_user):
    user = make_user()
    filler = "x" * TOO_BIG
    email = unique_email("big")
    body = assert_error(api.post("/api/auth/register", json={**_register_body(email), "displayName": filler}), 413,
                        "PAYLOAD_TOO_LARGE")
    assert "262144" in body["errors"][0]["message"] and not _registered(email)
    assert_error(user["api"].patch("/api/auth/me", json={"displayName": "Renamed", "bio": filler}), 413,
                 "PAYLOAD_TOO_LARGE")
    assert user["api"].get("/api/auth/me").json()["data"]["displayName"] == "USER tester"
    image = seed_image(user["id"])
    assert_error(user["api"].post(f"/api/images/{image.id}/comments", json={"content": filler}), 413,
                 "PAYLOAD_TOO_LARGE")
    assert user["api"].get(f"/api/images/{image.id}/comments").json()["data"] == []
    assert_error(user["api"].post("/api/uploads", json={"kind": "images", "files": [], "title": filler}), 413,
                 "PAYLOAD_TOO_LARGE")


def test_chunked_bodies_are_read_and_limited_without_a_content_length(api, base_url):
    email = unique_email("chunked")
    payload = f'{{"email": "{email}", "displayName": "Chunked", "password": "{PASSWORD}"}}'.encode()
    ok = requests.post(f"{base_url}/api/auth/register", data=iter([payload[:10], payload[10:]]),
                       headers={"Content-Type": "application/json"}, timeout=10)
    assert ok.status_code == 201 and _registered(email)
    big = unique_email("chunked-big")
    chunks = [f'{{"email": "{big}", "displayName": "'.encode()] + [b"x" * 65536] * 5 + [b'"}']
    refused = requests.post(f"{base_url}/api/auth/register", data=iter(chunks),
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert_error(refused, 413, "PAYLOAD_TOO_LARGE")
    assert not _registered(big)


def test_long_urls_and_header_floods_are_refused(base_url):
    assert_error(requests.get(f"{base_url}/api/models", params={"q": "x" * 9000}, timeout=10), 414, "URI_TOO_LONG")
    headers = {f"X-Filler-{n}": "y" * 1000 for n in range(20)}
    assert_error(requests.get(f"{base_url}/api/health", headers=headers, timeout=10), 431, "HEADERS_TOO_LARGE")


def test_the_middleware_enforces_the_limit_where_api_gateway_invokes_the_lambda(base_url):
    """On AWS nothing sits between API Gateway and the Lambda: the middleware refuses by itself."""
    import app

    gateway = LocalGateway(app.app, ChaliceConfig.create(chalice_app=app.app, lambda_timeout=30))
    email = unique_email("lambda")
    body = f'{{"email": "{email}", "displayName": "{"x" * TOO_BIG}", "password": "{PASSWORD}"}}'.encode()
    response = gateway.handle_request("POST", "/api/auth/register", {"content-type": "application/json",
                                                                      "origin": base_url}, body)
    assert response["statusCode"] == 413, response
    assert '"PAYLOAD_TOO_LARGE"' in response["body"] and not _registered(email)
    assert response["headers"]["Access-Control-Allow-Origin"] == base_url
    assert response["headers"]["Cache-Control"] == "no-store"
    preflight = gateway.handle_request("OPTIONS", "/api/auth/login", {"origin": base_url,
                                                                      "access-control-request-method": "POST"}, b"")
    assert preflight["statusCode"] == 204 and preflight["headers"]["Access-Control-Allow-Origin"] == base_url


# -- rate limits -----------------------------------------------------------------------------------
def _service(**limits) -> AuthService:
    cfg = container.config()
    return AuthService(container.users_repo(), container.nonces_repo(), container.settings_service(),
                       RateLimiter(container.ratelimit_repo()), jwt_secret=lambda: cfg.jwt_secret, token_ttl=600,
                       login_limit=5, login_window=900, **limits)


def test_registration_is_limited_per_address_and_concurrent_attempts_never_pass_together():
    service = _service(registrations_per_ip=3, registration_window=3600)
    address = _client_ip()
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda n: _try_register(service, unique_email(f"burst{n}"), address), range(8)))
    assert sorted(o for o in outcomes if o != "refused") == ["created"] * 3 and outcomes.count("refused") == 5
    service.register(unique_email("elsewhere"), "Other address", PASSWORD, _client_ip())  # its own window


def _try_register(service: AuthService, email: str, address: str) -> str:
    try:
        service.register(email, "Burst", PASSWORD, address)
        return "created"
    except RateLimited:
        assert not _registered(email)
        return "refused"


def test_registration_refusal_over_http_carries_retry_after_and_writes_nothing(base_url, monkeypatch, partner_allowed):
    monkeypatch.setattr(container.auth_service(), "_registrations_per_ip", 0)
    email = unique_email("limited")
    r = requests.post(f"{base_url}/api/auth/register", json=_register_body(email), headers={"Origin": PARTNER},
                      timeout=10)
    assert_error(r, 429, "RATE_LIMITED")
    assert 0 < int(r.headers["Retry-After"]) <= 3600
    assert r.headers["Access-Control-Allow-Origin"] == PARTNER  # the SPA on another origin can read why
    assert not _registered(email)


def test_login_is_limited_per_address_across_accounts(base_url):
    address = _client_ip()
    headers = {"X-Forwarded-For": address}
    for n in range(15):  # VS_LOGIN_ATTEMPTS=5 in this session: 3x that per address
        r = requests.post(f"{base_url}/api/auth/login", json={"email": unique_email(f"spray{n}"), "password": "guess"},
                          headers=headers, timeout=10)
        assert r.status_code == 401, r.text
    r = requests.post(f"{base_url}/api/auth/login", json={"email": unique_email("spray"), "password": "guess"},
                      headers=headers, timeout=10)
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) > 0
    other = requests.post(f"{base_url}/api/auth/login", json={"email": unique_email("fresh"), "password": "guess"},
                          headers={"X-Forwarded-For": _client_ip()}, timeout=10)
    assert other.status_code == 401  # another address is not affected


def test_password_changes_are_limited_per_account_and_a_refusal_changes_nothing(make_user):
    user = make_user()
    for _ in range(5):
        r = user["api"].patch("/api/auth/me", json={"currentPassword": "wrong-guess", "newPassword": "another secret 1"})
        assert_error(r, 400, "VALIDATION_ERROR", field="currentPassword")
    r = user["api"].patch("/api/auth/me", json={"displayName": "Should not stick", "currentPassword": user["password"],
                                                "newPassword": "another secret 1"})
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) > 0
    me = user["api"].get("/api/auth/me")
    assert me.status_code == 200 and me.json()["data"]["displayName"] == "USER tester"  # same token still valid
    assert user["api"].patch("/api/auth/me", json={"bio": "profile edits are not limited"}).status_code == 200


def test_flag_and_comment_refusals_carry_retry_after(make_user, admin, partner_allowed):
    curator, member = make_user("CURATOR"), make_user()
    before = admin["api"].get("/api/moderation/settings").json()["data"]["flagsPerHour"]
    assert admin["api"].put("/api/moderation/settings", json={"flagsPerHour": 1}).status_code == 200
    try:
        models = [seed_model(curator["id"], title=f"Edge limit {n}") for n in range(2)]
        assert member["api"].post(f"/api/models/{models[0].id}/flags", json={"reason": "spam"}).status_code == 201
        r = member["api"].post(f"/api/models/{models[1].id}/flags", json={"reason": "spam"}, headers={"Origin": PARTNER})
        assert_error(r, 429, "RATE_LIMITED")
        assert int(r.headers["Retry-After"]) > 0 and r.headers["Access-Control-Allow-Origin"] == PARTNER
    finally:
        admin["api"].put("/api/moderation/settings", json={"flagsPerHour": before})
    image = seed_image(curator["id"])
    base = f"/api/images/{image.id}/comments"
    statuses = [member["api"].post(base, json={"content": f"edge {n}"}).status_code for n in range(10)]
    r = member["api"].post(base, json={"content": "one too many"})
    if r.status_code == 201:  # the fixed minute window rolled over mid-burst: the next burst is refused
        statuses = [member["api"].post(base, json={"content": f"again {n}"}).status_code for n in range(10)]
        r = member["api"].post(base, json={"content": "one too many"})
    assert set(statuses) <= {201, 429}
    assert_error(r, 429, "RATE_LIMITED")
    assert 0 < int(r.headers["Retry-After"]) <= 60
    contents = [c["content"] for c in curator["api"].get(base, params={"pageSize": 50}).json()["data"]]
    assert "one too many" not in contents


# -- headers ---------------------------------------------------------------------------------------
def test_spa_index_carries_the_csp_and_isolation_headers(base_url):
    for path in ("/", "/models/some-id"):
        page = requests.get(base_url + path, timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        csp = page.headers.get("Content-Security-Policy")
        if csp is None:  # the placeholder page (no frontend build): inline code, so no policy
            assert "Strict-Transport-Security" not in page.headers
            continue
        directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
        assert directives["script-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in page.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in page.headers  # plain http


def test_api_answers_carry_a_restrictive_policy(api, admin):
    for r in (api.get("/api/health"), admin["api"].get("/api/auth/me"), api.get("/api/models/nope"),
              api.post("/api/auth/login", json={})):
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
