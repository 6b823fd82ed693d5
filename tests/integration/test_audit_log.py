"""The admin audit log: newest first, stable cursors while entries keep arriving, filters, access."""
from __future__ import annotations

import uuid

import pytest

from chalicelib import container
from tests.integration.conftest import assert_error


def _record(admin, action: str, target: str) -> str:
    actor = container.users_repo().get(admin["id"])
    return container.audit_service().record(actor, action, "test", target, {"n": target}).id


def test_pages_are_newest_first_without_duplicates_or_gaps(admin):
    target = uuid.uuid4().hex
    ids = [_record(admin, "test.page", target) for _ in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"targetId": target, "pageSize": 3, **({"cursor": cursor} if cursor else {})}
        r = admin["api"].get("/api/admin/audit", params=params)
        assert r.status_code == 200, r.text
        seen += [e["id"] for e in r.json()["data"]]
        pages += 1
        if pages == 1:
            _record(admin, "test.page", target)  # newer than every cursor: never shifts a later page
        cursor = r.json()["meta"]["cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    entry = admin["api"].get("/api/admin/audit", params={"targetId": target, "pageSize": 1}).json()["data"][0]
    assert entry["actor"] == {"id": admin["id"], "displayName": "ADMIN tester"} and entry["target"] == {
        "kind": "test", "id": target} and entry["action"] == "test.page"


def test_filters_combine(admin, make_user):
    target = uuid.uuid4().hex
    _record(admin, "test.alpha", target)
    _record(admin, "test.beta", target)
    r = admin["api"].get("/api/admin/audit", params={"targetId": target, "action": "test.beta", "actorId": admin["id"]})
    assert [e["action"] for e in r.json()["data"]] == ["test.beta"]
    other = make_user("ADMIN")
    r = admin["api"].get("/api/admin/audit", params={"targetId": target, "actorId": other["id"]})
    assert r.json()["data"] == []


def test_only_administrators_read_it(make_user, api):
    assert_error(api.get("/api/admin/audit"), 401, "UNAUTHORIZED")
    for role in ("USER", "CURATOR"):
        assert_error(make_user(role)["api"].get("/api/admin/audit"), 403, "FORBIDDEN")


@pytest.mark.parametrize("params, field", [
    ({"action": "DROP TABLE"}, "action"), ({"actorId": "../x"}, "actorId"), ({"targetId": "x" * 65}, "targetId"),
    ({"cursor": "not-a-cursor"}, "cursor"), ({"pageSize": "101"}, "pageSize"), ({"pageSize": "0"}, "pageSize"),
    ({"unknown": "1"}, "unknown"),
])
def test_hostile_parameters_are_rejected(admin, params, field):
    assert_error(admin["api"].get("/api/admin/audit", params=params), 400, "VALIDATION_ERROR", field)
