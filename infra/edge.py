"""Edge policy shared by every place that serves the web UI: the local server (``make dev``) and the
CloudFront response-headers policy of the deployed template. One definition, so the SPA runs under
the same Content-Security-Policy locally and in production."""
from __future__ import annotations

import os
from urllib.parse import urlsplit


def storage_origin(env=os.environ) -> str | None:
    """The origin presigned media URLs point at (scheme://host:port), from the same variables the
    storage client reads; None when they are unset (real S3: virtual-hosted bucket names)."""
    url = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(env=os.environ) -> str:
    """The SPA's policy: its own scripts and styles only, no framing. Thumbnails, previews and
    downloads are presigned URLs on the storage origin, and uploads PUT straight to it, so that one
    origin is allowed for images, media and fetch/XHR. Without an endpoint override the storage is
    AWS S3 itself, reached at *.amazonaws.com. VS_CSP_EXTRA_ORIGINS (space-separated) adds origins,
    e.g. a CDN in front of the media bucket."""
    origin = storage_origin(env) or "https://*.amazonaws.com"
    extra = " ".join(env.get("VS_CSP_EXTRA_ORIGINS", "").split())
    media = f"{origin} {extra}".strip()
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {media}",
        f"media-src 'self' blob: {media}",
        f"connect-src 'self' {media}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# Browser features the SPA never uses; denied so neither it nor anything injected into it can ask.
# (The clipboard stays available: "Copy trigger words" writes to it.)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "bluetooth", "midi"))
HSTS = "max-age=31536000; includeSubDomains"


def spa_security_headers(env=os.environ, *, html: bool, https: bool, csp: bool = True) -> dict[str, str]:
    """Security headers for a response of the web UI (the local server's static files; the deployed
    CloudFront response-headers policy carries the same values). ``html``: a document, which gets
    the Content-Security-Policy and the framing/opener isolation; scripts, styles and images only
    need nosniff and the referrer policy. HSTS only over https: sent over http it is ignored by
    browsers, and on a dev machine it would pin ``localhost`` to https for a year."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if html:
        headers.update({"X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin",
                        "Permissions-Policy": PERMISSIONS_POLICY})
        if csp:
            headers["Content-Security-Policy"] = content_security_policy(env)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers
