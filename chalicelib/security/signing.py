"""HMAC-signed, expiring callback URLs for GPU agents.

The URL path names the job and the action; the query carries ``exp``, a single-use ``nonce`` and
``sig`` = HMAC-SHA256(secret, "METHOD path exp nonce"). The signature is a capability for exactly
one action on one job until ``exp``; single use is enforced by the caller recording the nonce.
No task token or credential ever appears in the URL.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib.errors import Forbidden


@dataclass(frozen=True)
class SignedRequest:
    path: str
    expires_at: int
    nonce: str


def _mac(secret: bytes, method: str, path: str, exp: int, nonce: str) -> str:
    message = f"{method.upper()} {path} {exp} {nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_url(secret: bytes, base_url: str, method: str, path: str, ttl_seconds: int, now: float | None = None) -> str:
    exp = int((now if now is not None else time.time()) + ttl_seconds)
    nonce = secrets.token_urlsafe(12)
    query = urlencode({"exp": exp, "nonce": nonce, "sig": _mac(secret, method, path, exp, nonce)})
    return f"{base_url}{path}?{query}"


def verify_request(secret: bytes, method: str, path: str, query: dict[str, str], now: float | None = None) -> SignedRequest:
    try:
        exp = int(query["exp"])
        nonce, sig = query["nonce"], query["sig"]
    except (KeyError, ValueError, TypeError):
        raise Forbidden("Missing or malformed callback signature") from None
    if not hmac.compare_digest(_mac(secret, method, path, exp, nonce), str(sig)):
        raise Forbidden("Invalid callback signature")
    if exp < (now if now is not None else time.time()):
        raise Forbidden("Callback URL expired")
    return SignedRequest(path, exp, nonce)
