"""Generator settings, the queue switch, per-user blocks and usage limits, through the local stack.

Reservations are driven through the composition root in this process (the embedded stack runs the
API in-process, so ``container`` is the API's own): the lead's request path calls the same methods.
"""
from __future__ import annotations

import json
import threading
import uuid

import pytest

from chalicelib import container
from chalicelib.errors import NotFound, RateLimited
from chalicelib.services.generator_settings_service import (
    QUEUE_KEY,
    SETTINGS_KEY,
    GeneratorSettings,
    to_document,
)
from tests.integration.catalog_seed import seed_model
from tests.integration.conftest import assert_error

SETTINGS = "/api/generator/settings"
SHA = "0123456789abcdef" * 4


@pytest.fixture(autouse=True)
def fresh_generator_state():
    """The settings documents are global: every test starts from and leaves the defaults."""
    repo = container.settings_repo()

    def reset():
        repo.put(SETTINGS_KEY, to_document(GeneratorSettings()))
        repo.put(QUEUE_KEY, {"paused": False, "decline_new": False, "reason": None, "changed_at": None,
                             "changed_by": None})

    reset()
    yield
    reset()


def data(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def settings_of(user) -> dict:
    return data(user["api"].get(SETTINGS))


def put(user, body, status: int = 200):
    return data(user["api"].put(SETTINGS, json=body), status)


def checkpoint(owner_id: str, **fields):
    model = seed_model(owner_id, kind="checkpoint", title="SDXL base", **fields)
    version = container.catalog().versions.get(model.primary_version_id)
    version.hashes = {"sha256": SHA.upper(), "autov2": SHA[:10].upper()}
    version.size = 6_938_078_334
    container.catalog().versions.save(version)
    return model


def audit(admin, **params) -> list[dict]:
    return data(admin["api"].get("/api/admin/audit", params=params))


def notifications_of(user, type_: str) -> list[dict]:
    items = data(user["api"].get("/api/notifications", params={"category": "moderation", "pageSize": 100}))["items"]
    return [n for n in items if n["type"] == type_]


# -- reading -----------------------------------------------------------------------------------------------
def test_guests_need_an_account(api):
    assert_error(api.get(SETTINGS), 401, "UNAUTHORIZED")


def test_defaults_for_a_member(make_user):
    member = make_user()
    s = settings_of(member)
    assert s["accessMode"] == "members" and s["enabled"] is True and s["canGenerate"] is True and s["block"] is None
    assert s["baseModels"] == [] and s["sizes"]["default"] == {"width": 1024, "height": 1024}
    assert len(s["sizes"]["presets"]) == 6 and (s["sizes"]["minSide"], s["sizes"]["maxSide"]) == (256, 2048)
    assert s["defaultSampler"] == "dpmpp_2m_sde_gpu" and "euler" in s["samplers"] and s["defaultScheduler"] == "karras"
    assert s["steps"] == {"default": 28, "max": 100} and s["cfg"] == {"default": 7.0, "min": 1.0, "max": 30.0}
    assert s["maxBatch"] == 1 and s["usage"] == {"active": 0, "today": 0}
    assert s["limits"] == {"maxConcurrentPerUser": 2, "dailyPerUser": 50, "apply": True}
    assert s["queue"] == {"paused": False, "declineNew": False, "reason": None}
    assert "version" not in s


def test_members_never_see_where_base_models_live(make_user, admin):
    model = checkpoint(admin["id"])
    put(admin, {"baseModels": [
        {"id": "sdxl", "label": "SDXL base", "type": "SDXL", "source": "catalog", "modelId": model.id, "default": True},
        {"id": "flux", "label": "Flux dev", "type": "Flux", "source": "bucket", "key": "flux/flux1-dev.safetensors",
         "sha256": SHA.upper()},
    ]})
    for role in ("USER", "CURATOR"):
        s = settings_of(make_user(role))
        assert s["baseModels"] == [
            {"id": "sdxl", "label": "SDXL base", "type": "SDXL", "default": True, "modelId": model.id},
            {"id": "flux", "label": "Flux dev", "type": "Flux", "default": False, "modelId": None}]
        raw = json.dumps(s)
        assert "flux1-dev.safetensors" not in raw and SHA not in raw and "bucket" not in raw
        assert "adminsExempt" not in s["limits"] and "changedBy" not in s["queue"]
    full = settings_of(admin)
    assert full["baseModels"][1] == {"id": "flux", "label": "Flux dev", "type": "Flux", "default": False,
                                     "source": "bucket", "modelId": None, "key": "flux/flux1-dev.safetensors",
                                     "sha256": SHA}
    assert full["baseModels"][0]["source"] == "catalog" and full["limits"]["adminsExempt"] is True
    assert full["limits"]["apply"] is False and isinstance(full["version"], str)


# -- permissions -------------------------------------------------------------------------------------------
ADMIN_ROUTES = [
    ("put", SETTINGS, {"maxBatch": 2}),
    ("post", "/api/generator/queue/pause", {}),
    ("post", "/api/generator/queue/resume", None),
    ("get", "/api/generator/blocks", None),
    ("put", "/api/generator/blocks/{member}", {"reason": "spam"}),
    ("delete", "/api/generator/blocks/{member}", None),
]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_admin_routes_refuse_everyone_else(make_user, api, method, path, body):
    member = make_user()
    path = path.format(member=member["id"])
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(api, method)(path, **kwargs), 401, "UNAUTHORIZED")
    for role in ("USER", "CURATOR"):
        assert_error(getattr(make_user(role)["api"], method)(path, **kwargs), 403, "FORBIDDEN")
    assert container.generator_settings_service().block_of(member["id"]) is None
    assert container.generator_settings_service().settings() == GeneratorSettings()
    assert container.generator_settings_service().queue().paused is False


# -- editing -------------------------------------------------------------------------------------------------
def test_partial_updates_change_only_the_given_keys_and_are_audited(admin):
    put(admin, {"limits": {"dailyPerUser": 7}, "sizes": {"minSide": 512}})
    s = put(admin, {"maxBatch": 2, "accessMode": "admins"})
    assert s["limits"]["dailyPerUser"] == 7 and s["limits"]["maxConcurrentPerUser"] == 2
    assert s["sizes"]["minSide"] == 512 and s["sizes"]["maxSide"] == 2048 and len(s["sizes"]["presets"]) == 6
    assert s["maxBatch"] == 2 and s["accessMode"] == "admins"
    entries = audit(admin, action="generator.settings", targetId="settings")
    assert entries[0]["details"] == {"changed": ["accessMode", "maxBatch"], "accessMode": "admins"}
    assert entries[1]["details"]["changed"] == ["sizes", "limits"]
    assert entries[1]["details"]["limits"] == {"maxConcurrentPerUser": 2, "dailyPerUser": 7, "adminsExempt": True}


def test_access_mode_and_switch_decide_who_can_generate(make_user, admin):
    member, curator = make_user(), make_user("CURATOR")
    put(admin, {"accessMode": "admins"})
    assert settings_of(member)["canGenerate"] is False and settings_of(curator)["canGenerate"] is False
    assert settings_of(admin)["canGenerate"] is True
    put(admin, {"accessMode": "members", "enabled": False})
    assert settings_of(member)["canGenerate"] is False and settings_of(admin)["canGenerate"] is False
    put(admin, {"enabled": True})
    assert settings_of(member)["canGenerate"] is True


BAD_BODIES = [
    ({"accessMode": "everyone"}, "accessMode"),
    ({"accessMode": ["members"]}, "accessMode"),
    ({"enabled": "true"}, "enabled"),
    ({"enabled": 1}, "enabled"),
    ({"enabled": None}, "enabled"),
    ({"isGpuEnabled": True}, "isGpuEnabled"),
    ({"baseModels": {"id": "x"}}, "baseModels"),
    ({"baseModels": ["sdxl"]}, "baseModels.0"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.safetensors"}] * 2},
     "baseModels.1.id"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.safetensors", "default": True},
                     {"id": "b", "label": "B", "type": "SDXL", "source": "bucket", "key": "b.safetensors", "default": True}]},
     "baseModels.1.default"),
    ({"baseModels": [{"id": "A B", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.safetensors"}]},
     "baseModels.0.id"),
    ({"baseModels": [{"id": "a", "label": "", "type": "SDXL", "source": "bucket", "key": "a.safetensors"}]},
     "baseModels.0.label"),
    ({"baseModels": [{"id": "a", "label": "x" * 121, "type": "SDXL", "source": "bucket", "key": "a.safetensors"}]},
     "baseModels.0.label"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SD2", "source": "bucket", "key": "a.safetensors"}]},
     "baseModels.0.type"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "s3", "key": "a.safetensors"}]},
     "baseModels.0.source"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "../media/a.safetensors"}]},
     "baseModels.0.key"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "/etc/a.safetensors"}]},
     "baseModels.0.key"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "x\\a.safetensors"}]},
     "baseModels.0.key"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.ckpt"}]},
     "baseModels.0.key"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket"}]}, "baseModels.0.key"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.safetensors",
                      "sha256": "nothex"}]}, "baseModels.0.sha256"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "bucket", "key": "a.safetensors",
                      "modelId": "abc"}]}, "baseModels.0.modelId"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "catalog"}]}, "baseModels.0.modelId"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "catalog", "modelId": "nosuchmodel"}]},
     "baseModels.0.modelId"),
    ({"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "catalog", "modelId": "x",
                      "filename": "a.safetensors"}]}, "baseModels.0.filename"),
    ({"baseModels": [{"id": f"m{n}", "label": "M", "type": "SDXL", "source": "bucket", "key": f"{n}.safetensors"}
                     for n in range(33)]}, "baseModels"),
    ({"sizes": {"minSide": 250}}, "sizes.minSide"),
    ({"sizes": {"maxSide": 8192}}, "sizes.maxSide"),
    ({"sizes": {"minSide": 1024, "maxSide": 512}}, "sizes.minSide"),
    ({"sizes": {"minSide": "256"}}, "sizes.minSide"),
    ({"sizes": {"maxPixels": 2.5}}, "sizes.maxPixels"),
    ({"sizes": {"presets": [{"width": 1024, "height": 1024}] * 2}}, "sizes.presets.1"),
    ({"sizes": {"presets": [{"width": 3000, "height": 3000}]}}, "sizes.presets.0"),
    ({"sizes": {"presets": [{"width": 1024}]}}, "sizes.presets.0.height"),
    ({"sizes": {"default": {"width": 1024, "height": 1024, "depth": 3}}}, "sizes.default.depth"),
    ({"sizes": {"default": {"width": 128, "height": 128}}}, "sizes.default"),
    ({"sizes": {"aspect": 1}}, "sizes.aspect"),
    ({"samplers": []}, "samplers"),
    ({"samplers": ["euler", "euler"]}, "samplers.1"),
    ({"samplers": ["Euler a"]}, "samplers.0"),
    ({"samplers": ["euler"]}, "defaultSampler"),
    ({"defaultScheduler": "nope"}, "defaultScheduler"),
    ({"schedulers": "karras"}, "schedulers"),
    ({"steps": {"max": 201}}, "steps.max"),
    ({"steps": {"default": 0}}, "steps.default"),
    ({"steps": {"max": 10}}, "steps.default"),
    ({"steps": {"default": True}}, "steps.default"),
    ({"cfg": {"min": 20, "max": 10}}, "cfg.min"),
    ({"cfg": {"default": 31}}, "cfg.default"),
    ({"cfg": {"max": "30"}}, "cfg.max"),
    ({"maxBatch": 5}, "maxBatch"),
    ({"maxBatch": 0}, "maxBatch"),
    ({"maxBatch": 2.0}, "maxBatch"),
    ({"maxBatch": 10 ** 30}, "maxBatch"),
    ({"limits": {"maxConcurrentPerUser": 0}}, "limits.maxConcurrentPerUser"),
    ({"limits": {"maxConcurrentPerUser": 21}}, "limits.maxConcurrentPerUser"),
    ({"limits": {"dailyPerUser": 10_001}}, "limits.dailyPerUser"),
    ({"limits": {"adminsExempt": "no"}}, "limits.adminsExempt"),
    ({"limits": {"perHour": 3}}, "limits.perHour"),
    ({"version": ""}, "version"),
]


@pytest.mark.parametrize("body,field", BAD_BODIES)
def test_malformed_settings_are_refused_and_nothing_changes(admin, body, field):
    before = settings_of(admin)
    assert_error(admin["api"].put(SETTINGS, json={"maxBatch": 2, **body}), 400, "VALIDATION_ERROR", field)
    assert settings_of(admin) == before


@pytest.mark.parametrize("raw", ["[]", "nonsense", '{"cfg": {"max": NaN}}', '{"cfg": {"max": 1e400}}',
                                 '{"maxBatch": Infinity}', '"text"', '{"maxBatch": 1' + '0' * 5000 + '}'])
def test_bodies_that_are_not_settings_objects(admin, raw):
    r = admin["api"].put(SETTINGS, data=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_ERROR")
    assert container.generator_settings_service().settings() == GeneratorSettings()


def test_catalog_entries_must_be_checkpoints(admin):
    lora = seed_model(admin["id"], kind="lora")
    body = {"baseModels": [{"id": "a", "label": "A", "type": "SDXL", "source": "catalog", "modelId": lora.id}]}
    assert_error(admin["api"].put(SETTINGS, json=body), 400, "VALIDATION_ERROR", "baseModels.0.modelId")


def test_a_stale_version_is_refused(admin):
    version = put(admin, {"maxBatch": 2})["version"]
    fresh = put(admin, {"maxBatch": 3, "version": version})["version"]
    assert fresh != version
    assert_error(admin["api"].put(SETTINGS, json={"maxBatch": 4, "version": version}), 409, "CONFLICT", "version")
    assert settings_of(admin)["maxBatch"] == 3


def _edit_together(edits: dict[str, tuple[dict, dict]]) -> dict[str, int]:
    barrier, statuses = threading.Barrier(len(edits)), {}

    def edit(name, who, body):
        barrier.wait()
        statuses[name] = who["api"].put(SETTINGS, json=body).status_code

    threads = [threading.Thread(target=edit, args=(name, who, body)) for name, (who, body) in edits.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_edits_are_merged_or_refused_cleanly(admin, make_user):
    other = make_user("ADMIN")
    for _ in range(3):
        container.settings_repo().put(SETTINGS_KEY, to_document(GeneratorSettings()))
        statuses = _edit_together({"batch": (admin, {"maxBatch": 3}),
                                   "daily": (other, {"limits": {"dailyPerUser": 9}})})
        assert set(statuses.values()) <= {200, 409} and 200 in statuses.values(), statuses
        s = settings_of(admin)
        assert (s["maxBatch"] == 3) == (statuses["batch"] == 200)
        assert (s["limits"]["dailyPerUser"] == 9) == (statuses["daily"] == 200)


# -- the queue switch ------------------------------------------------------------------------------------------
def test_pause_and_resume(make_user, admin):
    member = make_user()
    q = data(admin["api"].post("/api/generator/queue/pause", json={"reason": "Driver update"}))["queue"]
    assert q["paused"] is True and q["declineNew"] is True and q["reason"] == "Driver update"
    assert q["changedBy"] == admin["id"] and q["changedAt"]
    assert settings_of(member)["queue"] == {"paused": True, "declineNew": True, "reason": "Driver update"}
    again = data(admin["api"].post("/api/generator/queue/pause", json={"reason": "Driver update"}))["queue"]
    assert again == q  # a repeat changes nothing
    held = data(admin["api"].post("/api/generator/queue/pause", json={"declineNew": False}))["queue"]
    assert held["paused"] is True and held["declineNew"] is False and held["reason"] is None
    resumed = data(admin["api"].post("/api/generator/queue/resume"))["queue"]
    assert resumed["paused"] is False and resumed["declineNew"] is False
    assert data(admin["api"].post("/api/generator/queue/resume"))["queue"] == resumed
    actions = [e["action"] for e in audit(admin, targetId="queue", actorId=admin["id"])[:3]]
    assert actions == ["generator.resume", "generator.pause", "generator.pause"]


@pytest.mark.parametrize("body,field", [
    ({"declineNew": "yes"}, "declineNew"),
    ({"declineNew": 1}, "declineNew"),
    ({"reason": "x" * 301}, "reason"),
    ({"reason": 5}, "reason"),
    ({"until": "tomorrow"}, "until"),
])
def test_pause_rejects_bad_bodies(admin, body, field):
    assert_error(admin["api"].post("/api/generator/queue/pause", json=body), 400, "VALIDATION_ERROR", field)
    assert container.generator_settings_service().queue().paused is False


# -- blocks -----------------------------------------------------------------------------------------------------------
def block_path(user_id: str) -> str:
    return f"/api/generator/blocks/{user_id}"


def test_block_lifecycle_notifies_and_audits(make_user, admin):
    member = make_user()
    block = data(admin["api"].put(block_path(member["id"]), json={"reason": "Prompt spam"}))
    assert block["userId"] == member["id"] and block["reason"] == "Prompt spam"
    assert block["user"] == {"id": member["id"], "displayName": "USER tester"} and "email" not in json.dumps(block)
    assert block["createdBy"] == admin["id"] and block["createdAt"]
    s = settings_of(member)
    assert s["canGenerate"] is False and s["block"]["reason"] == "Prompt spam"
    assert [n["title"] for n in notifications_of(member, "generator.blocked")] == [
        "Your access to the generator was suspended"]
    # The same request again (a retry) changes nothing and tells nobody twice.
    assert data(admin["api"].put(block_path(member["id"]), json={"reason": "Prompt spam"}))["createdAt"] == \
        block["createdAt"]
    changed = data(admin["api"].put(block_path(member["id"]), json={"reason": "Repeated prompt spam"}))
    assert changed["reason"] == "Repeated prompt spam" and changed["createdAt"] == block["createdAt"]
    assert len(notifications_of(member, "generator.blocked")) == 2
    entries = audit(admin, targetId=member["id"])
    assert [e["action"] for e in entries] == ["generator.block", "generator.block"]
    assert entries[0]["details"] == {"reason": "Repeated prompt spam", "previousReason": "Prompt spam"}

    assert admin["api"].delete(block_path(member["id"])).status_code == 204
    assert settings_of(member)["canGenerate"] is True and settings_of(member)["block"] is None
    assert len(notifications_of(member, "generator.unblocked")) == 1
    assert audit(admin, targetId=member["id"])[0]["action"] == "generator.unblock"
    assert_error(admin["api"].delete(block_path(member["id"])), 404, "NOT_FOUND", "userId")


def test_block_refusals(make_user, admin):
    member = make_user()
    assert_error(admin["api"].put(block_path(admin["id"]), json={"reason": "me"}), 400, "VALIDATION_ERROR", "userId")
    assert_error(admin["api"].put(block_path(uuid.uuid4().hex), json={"reason": "who"}), 404, "NOT_FOUND", "userId")
    assert_error(admin["api"].put(block_path("bad.id"), json={"reason": "x"}), 400, "VALIDATION_ERROR", "user_id")
    assert_error(admin["api"].delete(block_path("x" * 65)), 400, "VALIDATION_ERROR", "user_id")
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "   "}, "reason"),
                        ({"reason": "x" * 501}, "reason"), ({"reason": 3}, "reason"), ({"reason": None}, "reason"),
                        ({"reason": "ok", "days": 3}, "days")):
        assert_error(admin["api"].put(block_path(member["id"]), json=body), 400, "VALIDATION_ERROR", field)
    assert container.generator_settings_service().block_of(member["id"]) is None
    assert notifications_of(member, "generator.blocked") == []


def test_blocks_page_without_duplicates_or_gaps(make_user, admin):
    users = [make_user() for _ in range(5)]
    for u in users:
        data(admin["api"].put(block_path(u["id"]), json={"reason": "paging"}))
    mine = {u["id"] for u in users}
    seen, cursor, pages = [], None, 0
    extra = make_user()
    while True:
        params = {"pageSize": 2, **({"cursor": cursor} if cursor else {})}
        body = admin["api"].get("/api/generator/blocks", params=params).json()
        seen += [b["userId"] for b in body["data"]["items"]]
        pages += 1
        if pages == 1:
            # Changes between pages: a removed block is simply absent later, an added one appears
            # in its place in the user-id order, nothing is listed twice.
            removed = max(mine)
            assert admin["api"].delete(block_path(removed)).status_code == 204
            mine.discard(removed)
            data(admin["api"].put(block_path(extra["id"]), json={"reason": "late"}))
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert mine <= set(seen)
    assert_error(admin["api"].get("/api/generator/blocks", params={"cursor": "garbage!"}), 400, "VALIDATION_ERROR",
                 "cursor")
    for params, field in (({"pageSize": 0}, "pageSize"), ({"pageSize": 201}, "pageSize"),
                          ({"pageSize": "x"}, "pageSize"), ({"order": "desc"}, "order")):
        assert_error(admin["api"].get("/api/generator/blocks", params=params), 400, "VALIDATION_ERROR", field)
    for u in [*users, extra]:
        admin["api"].delete(block_path(u["id"]))


# -- usage limits ------------------------------------------------------------------------------------------------------------
def race(n: int, action) -> list:
    barrier, outcomes = threading.Barrier(n), []

    def go():
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except RateLimited as e:
            outcomes.append(e)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_reservations_never_pass_the_limits(make_user, admin):
    import time

    member = make_user()
    svc, users = container.generator_settings_service(), container.users_repo()
    put(admin, {"limits": {"maxConcurrentPerUser": 2, "dailyPerUser": 5}})
    viewer, settings = users.get(member["id"]), svc.settings()
    outcomes = race(8, lambda: svc.reserve(viewer, settings, time.time()))
    assert outcomes.count("ok") == 2, outcomes
    refusals = [o for o in outcomes if o != "ok"]
    assert all(e.status == 429 and e.code == "RATE_LIMITED" and e.retry_after == 30 for e in refusals)
    assert svc.usage(member["id"], time.time()) == {"active": 2, "today": 2}
    assert settings_of(member)["usage"] == {"active": 2, "today": 2}

    # Releases free slots, never below zero.
    assert [svc.release(member["id"]) for _ in range(3)] == [True, True, False]
    assert svc.usage(member["id"], time.time())["active"] == 0

    # Now the daily limit binds: 3 of today's 5 remain, whatever the concurrency allows.
    put(admin, {"limits": {"maxConcurrentPerUser": 20}})
    settings = svc.settings()
    outcomes = race(8, lambda: svc.reserve(viewer, settings, time.time()))
    assert outcomes.count("ok") == 3, outcomes
    assert all("daily limit" in o.message and o.retry_after >= 1 for o in outcomes if o != "ok")
    assert svc.usage(member["id"], time.time()) == {"active": 3, "today": 5}


def test_exempt_admins_are_counted_but_not_refused(admin):
    import time

    svc = container.generator_settings_service()
    viewer = container.users_repo().get(admin["id"])
    put(admin, {"limits": {"maxConcurrentPerUser": 1, "dailyPerUser": 1}})
    before = svc.usage(admin["id"], time.time())
    assert race(3, lambda: svc.reserve(viewer, svc.settings(), time.time())) == ["ok"] * 3
    after = svc.usage(admin["id"], time.time())
    assert after["active"] == before["active"] + 3
    for _ in range(3):
        svc.release(admin["id"])
    put(admin, {"limits": {"adminsExempt": False}})
    with pytest.raises(RateLimited):
        svc.reserve(viewer, svc.settings(), time.time())


# -- base models for the request path ---------------------------------------------------------------------------------------------
def test_resolve_catalog_and_bucket_base_models(admin):
    svc, storage, cfg = container.generator_settings_service(), container.storage(), container.config()
    model = checkpoint(admin["id"])
    key = f"sdxl/{uuid.uuid4().hex}/base.safetensors"
    storage.put(cfg.bucket("base-models"), key, b"\0" * 4096, "application/octet-stream")
    put(admin, {"baseModels": [
        {"id": "sdxl", "label": "SDXL base", "type": "SDXL", "source": "catalog", "modelId": model.id},
        {"id": "plain", "label": "Plain file", "type": "SDXL", "source": "bucket", "key": key},
        {"id": "missing", "label": "Missing file", "type": "SDXL", "source": "bucket", "key": "nope.safetensors"},
    ]})
    choice = svc.resolve_base_model("sdxl")
    assert (choice.bucket, choice.key, choice.sha256, choice.model_hash, choice.model_id, choice.size) == (
        "media", f"assets/models/{model.id}/seed.safetensors", SHA, SHA[:10], model.id, 6_938_078_334)
    plain = svc.resolve_base_model("plain")
    assert (plain.bucket, plain.key, plain.filename, plain.size, plain.sha256) == (
        "base-models", key, "base.safetensors", 4096, None)
    for entry_id in ("missing", "unknown"):
        with pytest.raises(NotFound) as e:
            svc.resolve_base_model(entry_id)
        assert e.value.field == "baseModel"
    # A model taken down after it was configured is refused at request time, not at the next edit.
    container.catalog().models.update(model.id, moderation="flagged")
    with pytest.raises(NotFound):
        svc.resolve_base_model("sdxl")
    put(admin, {"maxBatch": 2})
