"""Accounts, tokens, revocation, roles and maintenance mode over HTTP."""
import time

import jwt
import pytest

from tests.integration.conftest import Api, assert_error, unique_email


def test_register_login_me(api):
    email = unique_email()
    r = api.post("/api/auth/register", json={"email": email.upper(), "displayName": "Alice", "password": "s3cret-pass"})
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["user"]["email"] == email and data["user"]["role"] == "USER" and data["tokenType"] == "Bearer"
    r = api.post("/api/auth/login", json={"email": email, "password": "s3cret-pass"})
    assert r.status_code == 200
    token = r.json()["data"]["token"]
    me = Api(api.base, token).get("/api/auth/me").json()["data"]
    assert me["email"] == email and me["showAdultContent"] is False and "passwordHash" not in me


def test_duplicate_email_conflicts(api, make_user):
    user = make_user()
    r = api.post("/api/auth/register", json={"email": user["email"], "displayName": "Twin", "password": "another-pass"})
    assert_error(r, 409, "CONFLICT", "email")


def test_login_failures_are_indistinguishable(api, make_user):
    user = make_user()
    unknown = api.post("/api/auth/login", json={"email": unique_email(), "password": "whatever-pass"})
    wrong = api.post("/api/auth/login", json={"email": user["email"], "password": "wrong-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_login_is_rate_limited_per_account(api, make_user):
    user = make_user()
    for _ in range(5):
        assert api.post("/api/auth/login", json={"email": user["email"], "password": "bad-password"}).status_code == 401
    r = api.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) > 0


def test_guest_rejected_and_bad_tokens(api, runtime):
    assert_error(api.get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/auth/me", headers={"Authorization": "Bearer not.a.jwt"}), 401, "UNAUTHORIZED")
    # Unsigned and foreign-key tokens are forgeries.
    none_token = jwt.encode({"sub": "x", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"},
                            key=None, algorithm="none")
    assert_error(api.get("/api/auth/me", headers={"Authorization": f"Bearer {none_token}"}), 401, "UNAUTHORIZED")
    forged = jwt.encode({"sub": "x", "tv": 0, "jti": "j", "iat": 1, "exp": 4102444800, "iss": "visionsuit", "typ": "access"},
                        "attacker-secret-attacker-secret-attacker", algorithm="HS256")
    assert_error(api.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}), 401, "UNAUTHORIZED")


def test_expired_token_rejected(api, make_user, runtime):
    user = make_user()
    import os

    expired = jwt.encode({"sub": user["id"], "tv": 0, "jti": "old", "iat": int(time.time()) - 100,
                          "exp": int(time.time()) - 10, "iss": "visionsuit", "typ": "access"},
                         os.environ["VS_JWT_SECRET"], algorithm="HS256")
    assert_error(api.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"}), 401, "UNAUTHORIZED")


def test_token_in_query_string_is_not_accepted(api, make_user):
    user = make_user()
    assert_error(api.get(f"/api/auth/me?accessToken={user['token']}"), 401, "UNAUTHORIZED")


def test_patch_me_and_password_change_revokes_old_tokens(api, make_user):
    user = make_user()
    other_device = Api(api.base, api.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}).json()["data"]["token"])
    r = user["api"].patch("/api/auth/me", json={"displayName": "Renamed", "bio": "hi", "showAdultContent": True})
    assert r.status_code == 200 and r.json()["data"]["user"]["displayName"] == "Renamed"
    assert r.json()["data"]["user"]["showAdultContent"] is True
    assert_error(user["api"].patch("/api/auth/me", json={"currentPassword": "wrong-one", "newPassword": "brand-new-pass"}),
                 400, "VALIDATION_ERROR", "currentPassword")
    r = user["api"].patch("/api/auth/me", json={"currentPassword": user["password"], "newPassword": "brand-new-pass"})
    assert r.status_code == 200
    fresh = Api(api.base, r.json()["data"]["session"]["token"])
    assert_error(user["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert_error(other_device.get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert fresh.get("/api/auth/me").status_code == 200
    assert api.post("/api/auth/login", json={"email": user["email"], "password": "brand-new-pass"}).status_code == 200


def test_patch_me_rejects_hostile_input(make_user):
    user = make_user()
    assert_error(user["api"].patch("/api/auth/me", json={"role": "ADMIN"}), 400, "VALIDATION_ERROR", "role")
    assert_error(user["api"].patch("/api/auth/me", json={"displayName": "x" * 500}), 400, "VALIDATION_ERROR", "displayName")
    assert_error(user["api"].patch("/api/auth/me", json={"showAdultContent": "yes please"}), 400, "VALIDATION_ERROR")
    assert user["api"].get("/api/auth/me").json()["data"]["role"] == "USER"


def test_logout_this_device_and_everywhere(api, make_user):
    user = make_user()
    second = Api(api.base, api.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}).json()["data"]["token"])
    assert user["api"].post("/api/auth/logout", json={}).status_code == 204
    assert_error(user["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert second.get("/api/auth/me").status_code == 200
    third = Api(api.base, api.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}).json()["data"]["token"])
    assert second.post("/api/auth/logout", json={"allDevices": True}).status_code == 204
    assert_error(third.get("/api/auth/me"), 401, "UNAUTHORIZED")


def test_deactivated_user_loses_access(api, make_user):
    from chalicelib import container

    user = make_user()
    stored = container.users_repo().get(user["id"])
    stored.is_active = False
    container.users_repo().save(stored)
    assert_error(user["api"].get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}), 401, "UNAUTHORIZED")


def test_role_checks_use_the_stored_role(make_user):
    member, curator, admin = make_user(), make_user("CURATOR"), make_user("ADMIN")
    assert_error(member["api"].get("/api/settings"), 403, "FORBIDDEN")
    assert_error(curator["api"].get("/api/settings"), 403, "FORBIDDEN")
    assert admin["api"].get("/api/settings").status_code == 200
    assert_error(member["api"].post("/api/uploads", json={"kind": "images", "files": [
        {"name": "a.png", "contentType": "image/png", "size": 10}]}), 403, "FORBIDDEN")
    # Demotion takes effect on the very next request, with the same token.
    from chalicelib import container
    from chalicelib.models import Role

    stored = container.users_repo().get(admin["id"])
    stored.role = Role.USER
    container.users_repo().save(stored)
    assert_error(admin["api"].get("/api/settings"), 403, "FORBIDDEN")


@pytest.fixture
def maintenance(admin):
    def toggle(on: bool):
        r = admin["api"].patch("/api/settings", json={"maintenanceMode": on})
        assert r.status_code == 200 and r.json()["data"]["maintenanceMode"] is on

    yield toggle
    toggle(False)


def test_maintenance_blocks_everyone_but_admins(api, make_user, admin, maintenance):
    member = make_user()
    maintenance(True)
    assert_error(member["api"].get("/api/auth/me"), 503, "MAINTENANCE")
    assert_error(api.get("/api/settings"), 503, "MAINTENANCE")  # guests too, not only signed-in users
    assert_error(api.post("/api/auth/register", json={"email": unique_email(), "displayName": "Late", "password": "long-enough"}),
                 503, "MAINTENANCE")
    assert_error(api.post("/api/auth/login", json={"email": member["email"], "password": member["password"]}), 503, "MAINTENANCE")
    assert api.get("/api/health").status_code == 200
    assert api.get("/api/meta/config").json()["data"]["maintenanceMode"] is True
    assert api.post("/api/auth/login", json={"email": admin["email"], "password": admin["password"]}).status_code == 200
    assert admin["api"].get("/api/auth/me").status_code == 200


def test_registration_can_be_closed(api, admin):
    assert admin["api"].patch("/api/settings", json={"allowRegistration": False}).status_code == 200
    try:
        assert_error(api.post("/api/auth/register", json={"email": unique_email(), "displayName": "Nope", "password": "long-enough"}),
                     403, "FORBIDDEN")
        assert api.get("/api/meta/config").json()["data"]["allowRegistration"] is False
    finally:
        admin["api"].patch("/api/settings", json={"allowRegistration": True})


def test_settings_validation(admin):
    assert_error(admin["api"].patch("/api/settings", json={"siteTitle": ""}), 400, "VALIDATION_ERROR", "siteTitle")
    assert_error(admin["api"].patch("/api/settings", json={"maintenanceMode": "maybe"}), 400, "VALIDATION_ERROR")
    r = admin["api"].patch("/api/settings", json={"siteTitle": "My Gallery"})
    assert r.json()["data"]["siteTitle"] == "My Gallery"
