import time

import jwt
import pytest

from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.security import passwords, signing, tokens

SECRET = b"s" * 48


def test_token_round_trip():
    token, claims = tokens.issue(SECRET, "u1", 3, 60)
    assert tokens.verify(SECRET, token) == claims and claims.token_version == 3


@pytest.mark.parametrize("make", [
    lambda: jwt.encode({"sub": "u1", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"}, None, algorithm="none"),
    lambda: jwt.encode({"sub": "u1", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"}, b"x" * 48, algorithm="HS256"),
    lambda: jwt.encode({"sub": "u1", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"}, SECRET, algorithm="HS512"),
    lambda: jwt.encode({"sub": "u1", "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"}, SECRET, algorithm="HS256"),
    lambda: jwt.encode({"sub": "u1", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "other", "typ": "access"}, SECRET, algorithm="HS256"),
    lambda: jwt.encode({"sub": "u1", "tv": "0", "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"}, SECRET, algorithm="HS256"),
    lambda: tokens.issue(SECRET, "u1", 0, 10, now=time.time() - 100)[0],
    lambda: "garbage",
])
def test_bad_tokens_rejected(make):
    with pytest.raises(Unauthorized):
        tokens.verify(SECRET, make())


def test_passwords():
    h = passwords.hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "correct horse")
    assert not passwords.verify_password(h, "wrong horse")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not-a-hash", "anything")


def _query(url):
    from urllib.parse import parse_qs, urlparse

    parts = urlparse(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_signed_urls():
    url = signing.sign_url(SECRET, "https://api.example", "POST", "/api/generator/callbacks/j/1/complete", 60)
    path, q = _query(url)
    assert signing.verify_request(SECRET, "POST", path, q).path == path
    for p, qq, method in [
        (path.replace("/j/", "/k/"), q, "POST"),
        (path, {**q, "exp": str(int(q["exp"]) + 1)}, "POST"),
        (path, {**q, "nonce": "other"}, "POST"),
        (path, {**q, "sig": "0" * 64}, "POST"),
        (path, {k: v for k, v in q.items() if k != "sig"}, "POST"),
        (path, q, "GET"),
    ]:
        with pytest.raises(Forbidden):
            signing.verify_request(SECRET, method, p, qq)
    with pytest.raises(Forbidden):
        signing.verify_request(b"t" * 48, "POST", path, q)
    with pytest.raises(Forbidden, match="expired"):
        signing.verify_request(SECRET, "POST", path, q, now=time.time() + 120)
