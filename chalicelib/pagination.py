"""Opaque cursors bound to the query that produced them.

A cursor is base64url(JSON{k: last evaluated key, q: hash of the normalised query}). Replaying
it with other filters fails with a 400 instead of silently returning an unrelated page. The
cursor is not a secret (it only ever holds keys of items the caller could already page to).
"""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from chalicelib.errors import ValidationError

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 200


def query_fingerprint(query: dict[str, Any]) -> str:
    normal = {k: v for k, v in sorted(query.items()) if k not in ("cursor", "pageSize") and v not in (None, "", [])}
    return hashlib.sha256(json.dumps(normal, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_cursor(last_key: dict | None, query: dict[str, Any]) -> str | None:
    if not last_key:
        return None
    raw = json.dumps({"k": last_key, "q": query_fingerprint(query)}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, query: dict[str, Any]) -> dict | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key, fingerprint = payload["k"], payload["q"]
        if not isinstance(key, dict):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValidationError("Malformed cursor", field="cursor") from None
    if fingerprint != query_fingerprint(query):
        raise ValidationError("Cursor belongs to a different query", field="cursor")
    return key


def page_meta(cursor: str | None, page_size: int, total: int | None = None) -> dict:
    return {"cursor": cursor, "pageSize": page_size, "total": total}
