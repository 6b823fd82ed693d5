"""Curator applications over HTTP: who may apply, one pending at a time (also under concurrency), the
admin queue (paged by status), approve/reject exactly once, notifications both ways, the audit log."""
from __future__ import annotations

import threading

import pytest

from chalicelib import container
from tests.integration.conftest import STACK, assert_error

MESSAGE = "I have trained LoRAs for two years and would like to publish them here, with previews."

# moto's server does not serialise concurrent TransactWriteItems; races are tested on DynamoDB Local.
SERIALISED = pytest.mark.skipif(STACK == "embedded", reason="needs serialised DynamoDB transactions (LocalStack tier)")


def apply(user, message: str = MESSAGE, status: int = 201) -> dict:
    r = user["api"].post("/api/users/me/curator-application", json={"message": message})
    assert r.status_code == status, r.text
    return r.json()["data"]


def notifications_of(user, type_: str) -> list[dict]:
    r = user["api"].get("/api/notifications", params={"category": "moderation", "pageSize": 100})
    assert r.status_code == 200, r.text
    return [n for n in r.json()["data"]["items"] if n["type"] == type_]


def listed(admin, **params) -> dict:
    r = admin["api"].get("/api/curator-applications", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_apply_latest_and_admin_notification(make_user, admin):
    member = make_user("USER")
    assert_error(member["api"].get("/api/users/me/curator-application"), 404, "NOT_FOUND")
    created = apply(member, "  " + MESSAGE + "  ")
    assert created["status"] == "pending" and created["message"] == MESSAGE
    assert created["applicant"]["id"] == member["id"] and "email" not in created["applicant"]
    assert "decidedBy" not in created
    latest = member["api"].get("/api/users/me/curator-application").json()["data"]
    assert latest["id"] == created["id"]
    told = [n for n in notifications_of(admin, "curator-application") if n["link"]["id"] == created["id"]]
    assert len(told) == 1 and told[0]["actorId"] == member["id"]
    queue = listed(admin, status="pending", pageSize=100)["data"]
    mine = [a for a in queue if a["id"] == created["id"]]
    assert mine and mine[0]["applicant"]["email"] == member["email"] and mine[0]["applicant"]["displayName"]


def test_one_pending_application_at_a_time(make_user):
    member = make_user("USER")
    apply(member)
    assert_error(member["api"].post("/api/users/me/curator-application", json={"message": MESSAGE}), 409, "CONFLICT")


@SERIALISED
def test_concurrent_applications_create_exactly_one(make_user):
    member = make_user("USER")
    statuses = []

    def go():
        statuses.append(member["api"].post("/api/users/me/curator-application",
                                           json={"message": MESSAGE}).status_code)

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Colliding transactions may all be cancelled; two can never both succeed.
    assert statuses.count(201) <= 1 and set(statuses) <= {201, 409}, statuses
    assert len(container.applications_repo().of_user(member["id"])) == statuses.count(201)


def test_only_members_apply(make_user, api):
    assert_error(api.post("/api/users/me/curator-application", json={"message": MESSAGE}), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/users/me/curator-application"), 401, "UNAUTHORIZED")
    for role in ("CURATOR", "ADMIN"):
        user = make_user(role)
        assert_error(user["api"].post("/api/users/me/curator-application", json={"message": MESSAGE}),
                     409, "CONFLICT")
        assert container.applications_repo().latest_of(user["id"]) is None


@pytest.mark.parametrize("body,field", [
    ({}, "message"), ({"message": "too short"}, "message"), ({"message": "x" * 1201}, "message"),
    ({"message": " " * 60}, "message"), ({"message": 12345}, "message"), ({"message": None}, "message"),
    ({"message": ["a" * 50]}, "message"), ({"message": MESSAGE, "status": "approved"}, "status"),
])
def test_apply_rejects_bad_bodies_and_writes_nothing(make_user, body, field):
    member = make_user("USER")
    assert_error(member["api"].post("/api/users/me/curator-application", json=body), 400, "VALIDATION_ERROR", field)
    assert container.applications_repo().latest_of(member["id"]) is None


def test_approve_promotes_notifies_audits_and_happens_once(make_user, admin):
    member = make_user("USER")
    application = apply(member)
    r = admin["api"].post(f"/api/curator-applications/{application['id']}/approve", json={"reason": "Welcome!"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "approved" and data["reason"] == "Welcome!" and data["decidedBy"] == admin["id"]
    assert data["applicant"]["role"] == "CURATOR"
    assert member["api"].get("/api/auth/me").json()["data"]["role"] == "CURATOR"  # same token, new rights
    told = notifications_of(member, "curator-application-approved")
    assert len(told) == 1 and told[0]["body"] == "Welcome!"
    audit = admin["api"].get("/api/admin/audit", params={"targetId": application["id"]}).json()["data"]
    assert [e["action"] for e in audit] == ["curator-application.approve"]
    for verdict, body in (("approve", {}), ("reject", {"reason": "changed my mind"})):
        assert_error(admin["api"].post(f"/api/curator-applications/{application['id']}/{verdict}", json=body),
                     409, "CONFLICT")
    mine = member["api"].get("/api/users/me/curator-application").json()["data"]
    assert mine["status"] == "approved" and "decidedBy" not in mine
    assert_error(member["api"].post("/api/users/me/curator-application", json={"message": MESSAGE}), 409, "CONFLICT")


def test_approval_never_demotes_an_administrator(make_user, admin):
    member = make_user("USER")
    application = apply(member)
    user = container.users_repo().get(member["id"])
    user.role = user.role.__class__.ADMIN
    container.users_repo().save(user)
    r = admin["api"].post(f"/api/curator-applications/{application['id']}/approve", json={})
    assert r.status_code == 200, r.text
    assert container.users_repo().get(member["id"]).role.name == "ADMIN"


def test_reject_needs_a_reason_and_allows_a_new_application(make_user, admin):
    member = make_user("USER")
    application = apply(member)
    path = f"/api/curator-applications/{application['id']}/reject"
    assert_error(admin["api"].post(path, json={}), 400, "VALIDATION_ERROR", "reason")
    assert_error(admin["api"].post(path, json={"reason": "no"}), 400, "VALIDATION_ERROR", "reason")
    assert_error(admin["api"].post(path, json={"reason": "   x   "}), 400, "VALIDATION_ERROR", "reason")
    assert_error(admin["api"].post(path, json={"reason": "x" * 601}), 400, "VALIDATION_ERROR", "reason")
    assert container.applications_repo().get(application["id"]).status == "pending"
    r = admin["api"].post(path, json={"reason": "Please upload a portfolio first."})
    assert r.status_code == 200 and r.json()["data"]["status"] == "rejected"
    assert container.users_repo().get(member["id"]).role.name == "USER"
    told = notifications_of(member, "curator-application-rejected")
    assert len(told) == 1 and told[0]["body"] == "Please upload a portfolio first."
    again = apply(member)  # a rejection ends the pending state
    assert again["id"] != application["id"]
    assert member["api"].get("/api/users/me/curator-application").json()["data"]["id"] == again["id"]


@SERIALISED
def test_concurrent_decisions_settle_once(make_user, admin):
    member = make_user("USER")
    other_admin = make_user("ADMIN")
    application = apply(member)
    statuses = []

    def decide(actor, verdict, body):
        statuses.append(actor["api"].post(f"/api/curator-applications/{application['id']}/{verdict}",
                                          json=body).status_code)

    threads = [threading.Thread(target=decide, args=(admin, "approve", {})),
               threading.Thread(target=decide, args=(other_admin, "reject", {"reason": "not yet, sorry"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 409}, statuses
    stored = container.applications_repo().get(application["id"])
    role = container.users_repo().get(member["id"]).role.name
    expected = {("approved", "CURATOR"), ("rejected", "USER")} if 200 in statuses else {("pending", "USER")}
    assert (stored.status, role) in expected


def test_admin_queue_pages_by_status(make_user, admin):
    members = [make_user("USER") for _ in range(3)]
    ids = [apply(m)["id"] for m in members]
    queue, cursor = [], None
    while True:
        body = listed(admin, status="pending", pageSize=2, **({"cursor": cursor} if cursor else {}))
        queue += [a["id"] for a in body["data"]]
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert len(queue) == len(set(queue))
    assert [i for i in queue if i in ids] == ids  # the pending queue is worked oldest first
    admin["api"].post(f"/api/curator-applications/{ids[0]}/reject", json={"reason": "Not this time"})
    assert ids[0] in [a["id"] for a in listed(admin, status="rejected", pageSize=100)["data"]]
    assert ids[0] not in [a["id"] for a in listed(admin, status="pending", pageSize=100)["data"]]
    first = listed(admin, status="pending", pageSize=1)
    assert_error(admin["api"].get("/api/curator-applications", params={"status": "approved",
                                                                       "cursor": first["meta"]["cursor"]}),
                 400, "VALIDATION_ERROR", "cursor")


@pytest.mark.parametrize("params,field", [
    ({"status": "maybe"}, "status"), ({"pageSize": 0}, "pageSize"), ({"pageSize": 101}, "pageSize"),
    ({"cursor": "%%%"}, "cursor"), ({"cursor": "e30"}, "cursor"), ({"sort": "x"}, "sort"),
])
def test_admin_queue_rejects_bad_queries(admin, params, field):
    assert_error(admin["api"].get("/api/curator-applications", params=params), 400, "VALIDATION_ERROR", field)


def test_admin_routes_refuse_everyone_else(make_user, api):
    member = make_user("USER")
    application = apply(member)
    curator = make_user("CURATOR")
    routes = [("get", "/api/curator-applications", {}), ("get", f"/api/curator-applications/{application['id']}", {}),
              ("post", f"/api/curator-applications/{application['id']}/approve", {"json": {}}),
              ("post", f"/api/curator-applications/{application['id']}/reject", {"json": {"reason": "no way"}})]
    for method, path, kw in routes:
        assert_error(getattr(api, method)(path, **kw), 401, "UNAUTHORIZED")
        for user in (member, curator):
            assert_error(getattr(user["api"], method)(path, **kw), 403, "FORBIDDEN")
    assert container.applications_repo().get(application["id"]).status == "pending"
    assert container.users_repo().get(member["id"]).role.name == "USER"


def test_unknown_and_malformed_application_ids(admin):
    assert_error(admin["api"].post("/api/curator-applications/nope/approve", json={}), 404, "NOT_FOUND")
    assert_error(admin["api"].get("/api/curator-applications/nope"), 404, "NOT_FOUND")
    assert_error(admin["api"].post("/api/curator-applications/a%20b/approve", json={}), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].post("/api/curator-applications/nope/approve", json={"reason": 5}),
                 400, "VALIDATION_ERROR", "reason")
    assert_error(admin["api"].post("/api/curator-applications/nope/approve", json={"extra": 1}),
                 400, "VALIDATION_ERROR", "extra")
