"""Edge rules without a stack: origin parsing and CORS decisions, client addresses behind proxies,
atomic rate-limit takes, the SPA's security headers, and a built SPA the CSP can actually run."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from chalicelib.config import Config
from chalicelib.edge_policy import (
    ORIGIN_VERIFY_HEADER,
    CorsPolicy,
    add_vary_origin,
    client_ip,
    origin_of,
    origin_verified,
    parse_origins,
)
from chalicelib.errors import ConfigurationError, RateLimited
from chalicelib.services.rate_limiter import RateLimiter
from infra.edge import HSTS, content_security_policy, spa_security_headers

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://gallery.example.com"


# -- origins ----------------------------------------------------------------------------------
def test_default_is_the_public_origin_only():
    assert parse_origins(None, PUBLIC + "/") == (PUBLIC,)
    assert parse_origins("", "https://gallery.example.com/app/") == (PUBLIC,)  # the public URL may carry a path


def test_configured_origins_are_added_and_normalised():
    origins = parse_origins("https://Admin.Example.com:443, http://localhost:5173  http://localhost:5173/", PUBLIC)
    assert origins == (PUBLIC, "https://admin.example.com", "http://localhost:5173")


@pytest.mark.parametrize("raw", ["*", "https://*.example.com", "https://a.example.com/path", "ftp://a.example.com",
                                 "https://user:pw@a.example.com", "not-an-origin", "https://a.example.com:99999"])
def test_wildcards_paths_and_garbage_are_refused(raw):
    with pytest.raises(ValueError):
        parse_origins(raw, PUBLIC)


def test_config_refuses_a_wildcard(monkeypatch):
    monkeypatch.setenv("VS_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("VS_ALLOWED_ORIGINS", "*")
    with pytest.raises(ConfigurationError, match="not accepted"):
        _ = Config().allowed_origins
    monkeypatch.setenv("VS_ALLOWED_ORIGINS", "https://admin.example.com")
    assert Config().allowed_origins == (PUBLIC, "https://admin.example.com")


def test_request_size_limit_has_a_floor(monkeypatch):
    monkeypatch.setenv("VS_MAX_REQUEST_BYTES", "10")
    assert Config().max_request_bytes == 1024
    monkeypatch.delenv("VS_MAX_REQUEST_BYTES")
    assert Config().max_request_bytes == 256 * 1024


# -- CORS decisions ----------------------------------------------------------------------------
POLICY = CorsPolicy((PUBLIC, "http://localhost:5173"))


def test_allowed_origin_gets_its_own_origin_back_and_exposed_headers():
    headers = POLICY.response_headers("http://localhost:5173", preflight=False)
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert {"X-Request-Id", "Retry-After"} <= set(headers["Access-Control-Expose-Headers"].split(", "))
    assert "Access-Control-Allow-Methods" not in headers
    assert "Access-Control-Allow-Credentials" not in headers  # bearer tokens, never cookies


def test_preflight_grants_the_paths_methods_and_the_spas_headers():
    headers = POLICY.response_headers(PUBLIC, preflight=True, allow="GET, PATCH, OPTIONS",
                                      requested_headers="authorization, content-type, x-evil")
    assert headers["Access-Control-Allow-Methods"] == "GET, PATCH, OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert int(headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("origin", [None, "", "null", "https://evil.example.com", "https://gallery.example.com.evil.io",
                                    "http://gallery.example.com", "https://gallery.example.com:8443"])
def test_other_origins_get_no_cors_headers(origin):
    assert POLICY.response_headers(origin, preflight=True, allow="GET") == {}
    assert not POLICY.allows(origin)


def test_foreign_browser_writes_are_refused_but_reads_agents_and_same_host_are_not():
    assert POLICY.refuses("POST", "https://evil.example.com", "api.example.com")
    assert POLICY.refuses("delete", "null", "api.example.com")
    assert not POLICY.refuses("GET", "https://evil.example.com", "api.example.com")  # the answer is just unreadable
    assert not POLICY.refuses("POST", None, "api.example.com")  # GPU agents, CLIs, MinIO send no Origin
    assert not POLICY.refuses("POST", PUBLIC, "abc.execute-api.eu-west-1.amazonaws.com")
    # Same origin under another name (vite's dev proxy, localhost vs 127.0.0.1): Origin host == Host.
    assert not POLICY.refuses("PATCH", "http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not POLICY.refuses("POST", "https://other.example.com", "other.example.com:443")
    assert POLICY.refuses("POST", "http://127.0.0.1:8001", "127.0.0.1:8000")


def test_vary_origin_is_added_once():
    headers = {"vary": "Accept-Encoding"}
    add_vary_origin(headers)
    add_vary_origin(headers)
    assert headers == {"vary": "Accept-Encoding, Origin"}
    empty: dict[str, str] = {}
    add_vary_origin(empty)
    assert empty == {"Vary": "Origin"}


def test_origin_normalisation():
    assert origin_of("HTTPS://Example.COM:443/x?y") == "https://example.com"
    assert origin_of("http://[::1]:8000") == "http://[::1]:8000"


# -- client address ----------------------------------------------------------------------------
def test_forwarded_for_is_ignored_without_a_trusted_proxy():
    assert client_ip("198.51.100.7", "203.0.113.1", 0) == "198.51.100.7"
    assert client_ip(None, None, 0) == "unknown"


def test_one_trusted_proxy_names_the_client_and_spoofed_entries_are_skipped():
    # CloudFront appended the viewer address; API Gateway saw CloudFront (the peer).
    assert client_ip("130.176.1.1", "203.0.113.9", 1) == "203.0.113.9"
    # A client that writes its own X-Forwarded-For only adds entries to the left of what the proxy saw.
    assert client_ip("130.176.1.1", "10.0.0.1, 1.2.3.4, 203.0.113.9", 1) == "203.0.113.9"
    # API Gateway may have appended the peer itself.
    assert client_ip("130.176.1.1", "203.0.113.9, 130.176.1.1", 1) == "203.0.113.9"
    # Fewer entries than hops: the leftmost known address, never an error.
    assert client_ip("130.176.1.1", "203.0.113.9", 5) == "203.0.113.9"
    assert client_ip("130.176.1.1", None, 1) == "130.176.1.1"


VERIFY = "v" * 20 + "-origin-verify-secret-of-cloudfront"


def test_with_a_verify_secret_forwarded_for_is_believed_only_with_the_matching_header():
    secret = VERIFY.encode()
    # Through CloudFront: the header carries the secret, the forwarded entry names the client.
    assert client_ip("130.176.1.1", "203.0.113.9", 1, origin_verify=VERIFY, origin_verify_secret=secret) \
        == "203.0.113.9"
    # Straight to the execute-api URL with a forged X-Forwarded-For: counted against the real peer.
    for presented in (None, "", "wrong", VERIFY[:-1], VERIFY + "x", VERIFY.upper()):
        assert client_ip("198.51.100.7", "203.0.113.9", 1, origin_verify=presented,
                         origin_verify_secret=secret) == "198.51.100.7", presented
    # Hops=0 never believes the header, verified or not.
    assert client_ip("198.51.100.7", "203.0.113.9", 0, origin_verify=VERIFY, origin_verify_secret=secret) \
        == "198.51.100.7"


def test_without_a_verify_secret_the_hop_count_alone_decides():
    assert origin_verified(None, None) and origin_verified("anything", None)
    assert not origin_verified(None, b"x" * 32) and origin_verified(" " + "x" * 32 + " ", b"x" * 32)
    assert client_ip("130.176.1.1", "203.0.113.9", 1, origin_verify=None, origin_verify_secret=None) == "203.0.113.9"


def test_verify_secret_is_optional_but_validated_when_set(monkeypatch):
    for name in ("VS_ORIGIN_VERIFY_SECRET", "VS_ORIGIN_VERIFY_SECRET_PARAM"):
        monkeypatch.delenv(name, raising=False)
    assert Config().origin_verify_secret is None
    monkeypatch.setenv("VS_ORIGIN_VERIFY_SECRET", "short")
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        _ = Config().origin_verify_secret
    monkeypatch.setenv("VS_ORIGIN_VERIFY_SECRET", VERIFY)
    assert Config().origin_verify_secret == VERIFY.encode()
    assert ORIGIN_VERIFY_HEADER == "X-Origin-Verify"


# -- atomic takes ------------------------------------------------------------------------------
class CountingRepo:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> int:
        return self.counts.get(key, 0)

    def increment(self, key: str, expires_at: int) -> int:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


def test_take_refuses_past_the_limit_with_the_windows_remaining_seconds():
    limiter = RateLimiter(CountingRepo(), clock=lambda: 7_200 + 1_000.5)
    for _ in range(3):
        limiter.take("register-ip", "203.0.113.9", 3, 3600)
    with pytest.raises(RateLimited) as refused:
        limiter.take("register-ip", "203.0.113.9", 3, 3600)
    assert refused.value.headers["Retry-After"] == str(3600 - 1000)
    limiter.take("register-ip", "203.0.113.10", 3, 3600)  # another subject has its own window


def test_concurrent_takes_never_pass_the_limit_together():
    limiter = RateLimiter(CountingRepo())
    passed: list[int] = []

    def attempt(n: int) -> None:
        try:
            limiter.take("register-ip", "198.51.100.1", 5, 3600)
            passed.append(n)
        except RateLimited:
            pass

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 5


# -- the SPA's headers and CSP -----------------------------------------------------------------
def test_documents_get_the_full_set_and_assets_the_basics():
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}
    page = spa_security_headers(env, html=True, https=False)
    assert page["Content-Security-Policy"] == content_security_policy(env)
    assert page["X-Frame-Options"] == "DENY" and page["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["X-Content-Type-Options"] == "nosniff" and page["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in page["Permissions-Policy"] and "clipboard" not in page["Permissions-Policy"]
    assert "Strict-Transport-Security" not in page  # plain http: HSTS would be ignored, or pin localhost
    asset = spa_security_headers(env, html=False, https=True)
    assert asset == {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                     "Strict-Transport-Security": HSTS}
    assert "Content-Security-Policy" not in spa_security_headers(env, html=True, https=False, csp=False)


def test_spa_policy_has_no_inline_or_eval_escape_hatch():
    policy = content_security_policy({})
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in policy and "*" not in " ".join(directives["script-src"] + directives["default-src"])


def _inline_code(html: str) -> list[str]:
    """Inline scripts, <style> blocks, style="" and on*="" attributes: what script-src/style-src
    'self' would block."""
    problems = [m.group(0)[:80] for m in re.finditer(r"<script\b(?![^>]*\bsrc=)[^>]*>", html, re.I)]
    problems += [m.group(0)[:80] for m in re.finditer(r"<style\b", html, re.I)]
    problems += [m.group(0)[:80] for m in re.finditer(r"\s(?:style|on[a-z]+)\s*=", html, re.I)]
    return problems


@pytest.mark.parametrize("page", ["frontend/index.html", "frontend/dist/index.html"])
def test_the_spa_document_has_nothing_inline_the_policy_would_block(page):
    path = ROOT / page
    if not path.is_file():
        pytest.skip(f"{page} not built")
    assert _inline_code(path.read_text()) == []


def test_inline_detection_catches_what_it_must():
    assert len(_inline_code('<script>alert(1)</script><style>a{}</style><div style="x" onclick="y">')) == 4
    assert _inline_code('<script type="module" crossorigin src="/assets/a.js"></script>') == []
