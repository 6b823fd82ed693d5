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
