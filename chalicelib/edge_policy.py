"""Edge rules of the API that need no AWS and no Chalice: which browser origins may call it (CORS),
how large a request may be, and which address a request came from (the subject of per-IP rate
limits). The middleware and the route table apply them; config validates the settings through them."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

# Response headers a cross-origin SPA may read (CORS hides every non-simple header otherwise).
EXPOSED_HEADERS = ("X-Request-Id", "Retry-After", "Location")
# Request headers the SPA sends; anything else in a preflight is not granted.
ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type")
PREFLIGHT_MAX_AGE_SECONDS = 600
# Methods with an effect: a browser request from a foreign origin with one of these is refused
# outright instead of only having its answer hidden.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The header our CloudFront distribution adds to every request it forwards to API Gateway, carrying a
# secret only it and the API know (infra/app_template.py): proof a request came through CloudFront.
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased, default ports dropped. ValueError if it has none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) origin")
    port = parts.port  # raises ValueError on a malformed port
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(raw: str | None, public_url: str) -> tuple[str, ...]:
    """The public URL's origin (where the SPA is served; it must always work) plus the origins in
    VS_ALLOWED_ORIGINS (comma and/or space separated). A wildcard is refused: the API answers with
    account data, and letting any site read it with a user's token is never wanted."""
    items = [item for chunk in (raw or "").split(",") for item in chunk.split()]
    if any("*" in item for item in items):
        raise ValueError("VS_ALLOWED_ORIGINS must list origins; '*' is not accepted")
    origins = [origin_of(public_url)] if public_url else []  # the public URL may carry a path
    for item in items:
        parts = urlsplit(item.strip())
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{item!r} is not an origin (scheme://host[:port] only)")
        origins.append(origin_of(item))
    return tuple(dict.fromkeys(origins))


@dataclass(frozen=True)
class CorsPolicy:
    allowed_origins: tuple[str, ...]

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        try:
            return origin_of(origin) in self.allowed_origins
        except ValueError:  # "null" (sandboxed frames, file://) and garbage are never allowed
            return False

    @staticmethod
    def same_origin(origin: str, host: str | None) -> bool:
        """A browser names the page's origin; when its host:port is the Host it sent the request to,
        the page and the API share an origin (a dev proxy, another name of the same server)."""
        if not host:
            return False
        try:
            normal = origin_of(origin)
            return normal == origin_of(f"{normal.split('://', 1)[0]}://{host.strip()}")
        except ValueError:
            return False

    def refuses(self, method: str, origin: str | None, host: str | None) -> bool:
        """A state-changing request a browser sent from a page of a foreign origin. Requests without
        an Origin (agents, CLIs, MinIO) are not browser requests and are not judged here."""
        if method.upper() not in STATE_CHANGING or not origin:
            return False
        return not (self.allows(origin) or self.same_origin(origin, host))

    def response_headers(self, origin: str | None, *, preflight: bool, allow: str | None = None,
                         requested_headers: str | None = None) -> dict[str, str]:
        """Headers for an answer to a request carrying ``origin``: none when it is not allowed.
        A preflight grants the methods of the path (``allow``) and the SPA's request headers."""
        if not self.allows(origin):
            return {}
        headers = {"Access-Control-Allow-Origin": origin.strip(),
                   "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS)}
        if preflight:
            headers["Access-Control-Allow-Methods"] = allow or "OPTIONS"
            requested = {h.strip().lower() for h in (requested_headers or "").split(",") if h.strip()}
            granted = [h for h in ALLOWED_REQUEST_HEADERS if h.lower() in requested] or list(ALLOWED_REQUEST_HEADERS)
            headers["Access-Control-Allow-Headers"] = ", ".join(granted)
            headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        return headers


def add_vary_origin(headers: dict[str, str]) -> None:
    """Answers differ by Origin, so shared caches must key on it (for allowed and refused origins alike)."""
    current = next((k for k in headers if k.lower() == "vary"), None)
    if current is None:
        headers["Vary"] = "Origin"
    elif "origin" not in {v.strip().lower() for v in headers[current].split(",")}:
        headers[current] = f"{headers[current]}, Origin"


def body_too_large(length: int | None, limit: int) -> bool:
    return length is not None and length > limit


def origin_verified(presented: str | None, secret: bytes | None) -> bool:
    """Whether a request passed through our proxy: it carries ``ORIGIN_VERIFY_HEADER`` equal to the
    configured secret (compared in constant time). Without a configured secret (local runs, a
    deployment without a proxy) every request counts as verified and only the hop count decides."""
    if secret is None:
        return True
    if not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), secret)


def client_ip(source_ip: str | None, forwarded_for: str | None, trusted_proxy_hops: int, *,
              origin_verify: str | None = None, origin_verify_secret: bytes | None = None) -> str:
    """The address rate limits count against. API Gateway's ``sourceIp`` is the peer it saw; with
    no proxy of ours in front (hops=0) that is the client, and X-Forwarded-For (which any client can
    write) is ignored. With ``trusted_proxy_hops`` proxies of ours in front (CloudFront: 1), each
    appended the address it saw, so the client is that many entries left of the peer.

    The API Gateway URL stays reachable directly, where X-Forwarded-For is whatever the caller wrote:
    with ``origin_verify_secret`` set, the entries are believed only for a request that carries the
    proxy's ``origin_verify`` header; any other request is counted against the peer it came from."""
    peer = (source_ip or "").strip() or "unknown"
    if trusted_proxy_hops <= 0 or not forwarded_for or not origin_verified(origin_verify, origin_verify_secret):
        return peer
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if not chain or chain[-1] != peer:
        chain.append(peer)
    return chain[max(0, len(chain) - 1 - trusted_proxy_hops)]

