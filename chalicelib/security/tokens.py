"""Access tokens: HS256 JWTs (algorithm pinned on decode) carrying the user's token version.

Revocation: a token is valid only while its ``tv`` equals the stored user's ``token_version``
(bumped by password change, logout-everywhere and deactivation) and its ``jti`` is not on the
revocation list (single-device logout).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from chalicelib.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "visionsuit"


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_version: int
    jti: str
    expires_at: int


def issue(secret: bytes, user_id: str, token_version: int, ttl_seconds: int, now: float | None = None) -> tuple[str, TokenClaims]:
    now = int(now if now is not None else time.time())
    claims = TokenClaims(user_id, token_version, secrets.token_urlsafe(16), now + ttl_seconds)
    token = jwt.encode(
        {"sub": user_id, "tv": token_version, "jti": claims.jti, "iat": now, "exp": claims.expires_at, "iss": ISSUER, "typ": "access"},
        secret,
        algorithm=ALGORITHM,
    )
    return token, claims


def verify(secret: bytes, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "tv", "jti", "exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid token") from None
    if payload.get("typ") != "access" or not isinstance(payload["tv"], int) or not isinstance(payload["sub"], str):
        raise Unauthorized("Invalid token")
    return TokenClaims(payload["sub"], payload["tv"], str(payload["jti"]), int(payload["exp"]))
