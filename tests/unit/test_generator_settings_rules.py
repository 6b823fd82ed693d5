"""Generator settings rules (document validation, partial merges, stored-document reads) and the
settings service's decisions (optimistic writes, access, limits, blocks, base-model resolution) on
in-memory fakes. The HTTP behaviour and the DynamoDB transaction are in
tests/integration/test_generator_settings.py."""
from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chalicelib.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationError
from chalicelib.models import ModelAsset, ModelVersion, Role, User
from chalicelib.services import generator_settings_service as g
from chalicelib.services.generator_settings_service import (
    GeneratorSettings,
    GeneratorSettingsService,
    load_document,
    merge_changes,
    to_document,
    validate_document,
)
from tests.unit.fakes import Records

NOW = datetime(2025, 3, 14, 22, 0, tzinfo=UTC).timestamp()


def defaults() -> dict:
    return to_document(GeneratorSettings())


def with_change(path: str, value):
    """The default document with one value replaced (``a.b.0.c`` paths; lists by index)."""
    doc = defaults()
    parts = path.split(".")
    target = doc
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


def catalog_entry(**fields) -> dict:
    return {"id": "sdxl", "label": "SDXL base", "type": "SDXL", "source": "catalog", "model_id": "m1", **fields}


def bucket_entry(**fields) -> dict:
    return {"id": "flux", "label": "Flux dev", "type": "Flux", "source": "bucket", "key": "flux/flux1-dev.safetensors",
            **fields}


def fields_of(error: ValidationError) -> list[str]:
    return [d["field"] for d in error.details]


# -- the document -------------------------------------------------------------------------------------
def test_the_defaults_are_valid_and_survive_a_round_trip():
    s = GeneratorSettings()
    assert validate_document(to_document(s)) == s
    assert s.access_mode == "members" and s.enabled and s.base_models == ()
    assert [(z.width, z.height) for z in s.sizes.presets][0] == (1024, 1024) and s.sizes.default == g.Size(1024, 1024)
    assert s.default_sampler == "dpmpp_2m_sde_gpu" and s.default_scheduler == "karras"
    assert (s.steps.default, s.steps.max, s.cfg.default, s.cfg.min, s.cfg.max, s.max_batch) == (28, 100, 7.0, 1, 30, 1)
    assert (s.limits.max_concurrent_per_user, s.limits.daily_per_user, s.limits.admins_exempt) == (2, 50, True)


def test_base_model_entries_are_cleaned():
    doc = with_change("base_models", [catalog_entry(default=True),
                                      bucket_entry(sha256="AB" * 32, label="  Flux   dev ")])
    s = validate_document(doc)
    assert s.base_model("flux").sha256 == "ab" * 32 and s.base_model("flux").label == "Flux dev"
    assert s.default_base_model().id == "sdxl" and s.base_model("sdxl").key is None
    assert s.base_model("nope") is None


@pytest.mark.parametrize("path,value,field", [
    ("access_mode", "everyone", "accessMode"),
    ("access_mode", None, "accessMode"),
    ("enabled", "true", "enabled"),
    ("enabled", 1, "enabled"),
    ("base_models", {"id": "x"}, "baseModels"),
    ("base_models", [catalog_entry()] * 2, "baseModels.1.id"),  # duplicate id
    ("base_models", [catalog_entry(default=True), bucket_entry(default=True)], "baseModels.1.default"),
    ("base_models", [catalog_entry(id="Upper")], "baseModels.0.id"),
    ("base_models", [catalog_entry(id="-lead")], "baseModels.0.id"),
    ("base_models", [catalog_entry(id="a" * 41)], "baseModels.0.id"),
    ("base_models", [catalog_entry(id=7)], "baseModels.0.id"),
    ("base_models", [catalog_entry(id="sdxl\n")], "baseModels.0.id"),
    ("base_models", [catalog_entry(model_id="m1\n")], "baseModels.0.modelId"),
    ("base_models", [bucket_entry(sha256="a" * 64 + "\n")], "baseModels.0.sha256"),
    ("base_models", [catalog_entry(label="")], "baseModels.0.label"),
    ("base_models", [catalog_entry(label="x" * 121)], "baseModels.0.label"),
    ("base_models", [catalog_entry(label="bell\x07")], "baseModels.0.label"),
    ("base_models", [catalog_entry(type="SD2")], "baseModels.0.type"),
    ("base_models", [catalog_entry(source="http")], "baseModels.0.source"),
    ("base_models", [catalog_entry(model_id=None)], "baseModels.0.modelId"),
    ("base_models", [catalog_entry(model_id="../x")], "baseModels.0.modelId"),
    ("base_models", [catalog_entry(key="a.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(model_id="m1")], "baseModels.0.modelId"),
    ("base_models", [bucket_entry(key=None)], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="/abs/model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="../other/model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="a/../../model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="a\\model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="a//model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="./model.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="model.ckpt")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key=".safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="a" * 501 + ".safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(key="new\nline.safetensors")], "baseModels.0.key"),
    ("base_models", [bucket_entry(sha256="xyz")], "baseModels.0.sha256"),
    ("base_models", [bucket_entry(sha256="a" * 63)], "baseModels.0.sha256"),
    ("base_models", [bucket_entry(extra=1)], "baseModels.0.extra"),
    ("base_models", [bucket_entry(default="yes")], "baseModels.0.default"),
    ("base_models", ["sdxl"], "baseModels.0"),
    ("sizes.min_side", 250, "sizes.minSide"),  # not a multiple of 8
    ("sizes.min_side", 32, "sizes.minSide"),
    ("sizes.max_side", 8192, "sizes.maxSide"),
    ("sizes.max_side", 128, "sizes.minSide"),  # below minSide
    ("sizes.max_side", 2048.0, "sizes.maxSide"),
    ("sizes.max_pixels", 100, "sizes.maxPixels"),
    ("sizes.max_pixels", True, "sizes.maxPixels"),
    ("sizes.presets", [{"width": 1024, "height": 1024}] * 2, "sizes.presets.1"),
    ("sizes.presets", [{"width": 64, "height": 64}] * 17, "sizes.presets"),
    ("sizes.presets", [{"width": 4096, "height": 4096}], "sizes.presets.0"),  # beyond maxSide
    ("sizes.presets", [{"width": 1004, "height": 1024}], "sizes.presets.0.width"),
    ("sizes.presets", [{"width": 1024}], "sizes.presets.0.height"),
    ("sizes.presets", [{"width": 1024, "height": 1024, "depth": 1}], "sizes.presets.0.depth"),
    ("sizes.default", {"width": 128, "height": 128}, "sizes.default"),  # below minSide
    ("sizes.default", "1024x1024", "sizes.default"),
    ("sizes.max_pixels", 1000 * 1000, "sizes.presets.0"),  # 1024x1024 no longer fits
    ("samplers", [], "samplers"),
    ("samplers", ["euler", "euler"], "samplers.1"),
    ("samplers", ["Euler a"], "samplers.0"),
    ("samplers", ["euler\n"], "samplers.0"),
    ("samplers", ["euler"], "defaultSampler"),  # the default is no longer offered
    ("samplers", ["x"] * 65, "samplers"),
    ("default_sampler", "unknown", "defaultSampler"),
    ("schedulers", "karras", "schedulers"),
    ("default_scheduler", 3, "defaultScheduler"),
    ("steps.max", 201, "steps.max"),
    ("steps.max", 0, "steps.max"),
    ("steps.max", 20, "steps.default"),  # the default 28 is above it
    ("steps.default", 0, "steps.default"),
    ("steps.default", "28", "steps.default"),
    ("cfg.min", 31.0, "cfg.min"),
    ("cfg.max", 41, "cfg.max"),
    ("cfg.max", math.inf, "cfg.max"),
    ("cfg.default", math.nan, "cfg.default"),
    ("cfg.default", 0.5, "cfg.default"),
    ("cfg.default", 10 ** 400, "cfg.default"),
    ("cfg.min", -1, "cfg.min"),
    ("max_batch", 0, "maxBatch"),
    ("max_batch", 5, "maxBatch"),
    ("max_batch", 1.0, "maxBatch"),
    ("limits.max_concurrent_per_user", 21, "limits.maxConcurrentPerUser"),
    ("limits.max_concurrent_per_user", 0, "limits.maxConcurrentPerUser"),
    ("limits.daily_per_user", 10_001, "limits.dailyPerUser"),
    ("limits.admins_exempt", None, "limits.adminsExempt"),
    ("limits", [], "limits"),
])
def test_invalid_values_are_named(path, value, field):
    with pytest.raises(ValidationError) as e:
        validate_document(with_change(path, value))
    assert field in fields_of(e.value), e.value.details


def test_every_problem_is_reported_at_once():
    doc = with_change("max_batch", 9)
    doc["access_mode"] = "x"
    doc["steps"]["max"] = 999
    with pytest.raises(ValidationError) as e:
        validate_document(doc)
    assert {"accessMode", "steps.max", "maxBatch"} <= set(fields_of(e.value))


def test_bounds_at_the_edges_are_accepted():
    doc = defaults()
    doc["sizes"] = {"presets": [{"width": 64, "height": 4096}], "default": {"width": 4096, "height": 64},
                    "min_side": 64, "max_side": 4096, "max_pixels": 4096 * 64}
    doc["steps"] = {"default": 200, "max": 200}
    doc["cfg"] = {"default": 0, "min": 0, "max": 40}
    doc["limits"] = {"max_concurrent_per_user": 20, "daily_per_user": 10_000, "admins_exempt": False}
    doc["max_batch"] = 4
    doc["base_models"] = [bucket_entry(id=f"m{n}", key=f"m{n}.safetensors") for n in range(32)]
    s = validate_document(doc)
    assert s.sizes.allows(64, 4096) and not s.sizes.allows(72, 4096) and not s.sizes.allows(4096, 4096)
    doc["base_models"].append(bucket_entry(id="m32", key="m32.safetensors"))
    with pytest.raises(ValidationError) as e:
        validate_document(doc)
    assert fields_of(e.value) == ["baseModels"]


def test_unknown_and_missing_keys():
    doc = defaults()
    doc["gpu"] = True
    with pytest.raises(ValidationError) as e:
        validate_document(doc)
    assert fields_of(e.value) == ["gpu"]
    doc = defaults()
    del doc["limits"]
    with pytest.raises(ValidationError) as e:
        validate_document(doc)
    assert fields_of(e.value) == ["limits"]
    with pytest.raises(ValidationError):
        validate_document(["not", "an", "object"])


# -- partial updates ------------------------------------------------------------------------------------
def test_a_partial_update_changes_only_the_given_keys():
    merged = merge_changes(defaults(), {"limits": {"daily_per_user": 5}, "enabled": False,
                                        "sizes": {"min_side": 512}})
    s = validate_document(merged)
    assert s.limits == g.UsageLimits(2, 5, True) and not s.enabled and s.sizes.min_side == 512
    assert s.sizes.presets == GeneratorSettings().sizes.presets and s.samplers == GeneratorSettings().samplers


def test_a_partial_update_is_validated_as_a_whole():
    # Dropping the default sampler from the list without choosing another default is refused.
    with pytest.raises(ValidationError) as e:
        validate_document(merge_changes(defaults(), {"samplers": ["euler", "heun"]}))
    assert fields_of(e.value) == ["defaultSampler"]
    s = validate_document(merge_changes(defaults(), {"samplers": ["euler", "heun"], "default_sampler": "heun"}))
    assert s.samplers == ("euler", "heun")


def test_unknown_keys_in_a_change_are_refused():
    with pytest.raises(ValidationError) as e:
        merge_changes(defaults(), {"isGpuEnabled": True, "enabled": True})
    assert fields_of(e.value) == ["isGpuEnabled"]
    with pytest.raises(ValidationError):
        validate_document(merge_changes(defaults(), {"limits": {"per_hour": 3}}))


# -- reading stored documents ------------------------------------------------------------------------------
def test_a_damaged_section_falls_back_to_its_defaults_and_the_rest_is_kept():
    stored = defaults()
    stored["limits"] = {"max_concurrent_per_user": "many"}
    stored["samplers"], stored["default_sampler"] = ["euler"], "euler"
    stored["cfg"] = {"default": 7, "min": 1, "max": 30}  # DynamoDB gives 7.0 back as 7
    stored["leftover"] = 1
    s = load_document(stored)
    assert s.limits == GeneratorSettings().limits and s.samplers == ("euler",) and s.cfg.default == 7.0
    assert load_document(None) == GeneratorSettings() and load_document("junk") == GeneratorSettings()


# -- the service, on fakes --------------------------------------------------------------------------------------
class FakeConfig:
    """SettingsRepository's versioned contract; ``interfere`` runs once before the next write."""

    def __init__(self):
        self.docs: dict[str, tuple[dict, float]] = {}
        self.interfere = None
        self.writes = 0

    def get_versioned(self, key):
        if key not in self.docs:
            return None, None
        data, version = self.docs[key]
        return copy.deepcopy(data), version

    def put_versioned(self, key, data, expected):
        if self.interfere:
            interfere, self.interfere = self.interfere, None
            interfere()
        current = self.docs.get(key, (None, None))[1]
        if current != expected:
            return False
        self.writes += 1
        self.docs[key] = (copy.deepcopy(data), (current or 0) + 1.5)
        return True


class FakeState:
    def __init__(self):
        self.blocks: dict[str, SimpleNamespace] = {}
        self.active: dict[str, int] = {}
        self.days: dict[tuple[str, str], int] = {}
        self.reservations = []

    def block_of(self, user_id):
        return self.blocks.get(user_id)

    def create_block(self, user_id, reason, at, by):
        if user_id in self.blocks:
            return False
        self.blocks[user_id] = SimpleNamespace(user_id=user_id, reason=reason, created_at=at, updated_at=at,
                                               created_by=by, updated_by=by)
        return True

    def change_block_reason(self, user_id, expected, reason, at, by):
        b = self.blocks.get(user_id)
        if b is None or b.reason != expected:
            return False
        self.blocks[user_id] = SimpleNamespace(**{**vars(b), "reason": reason, "updated_at": at, "updated_by": by})
        return True

    def delete_block(self, user_id):
        return self.blocks.pop(user_id, None) is not None

    def blocks_page(self, after, limit):
        ids = sorted(u for u in self.blocks if after is None or u > after)
        page = [self.blocks[u] for u in ids[:limit]]
        return page, (page[-1].user_id if len(ids) > limit else None)

    def reserve(self, user_id, day, expires_at, max_active, max_daily):
        self.reservations.append((user_id, day, expires_at, max_active, max_daily))
        if max_daily is not None and self.days.get((user_id, day), 0) >= max_daily:
            return "daily"
        if max_active is not None and self.active.get(user_id, 0) >= max_active:
            return "active"
        self.active[user_id] = self.active.get(user_id, 0) + 1
        self.days[(user_id, day)] = self.days.get((user_id, day), 0) + 1
        return None

    def release(self, user_id):
        if self.active.get(user_id, 0) <= 0:
            return False
        self.active[user_id] -= 1
        return True

    def refund_day(self, user_id, day):
        if self.days.get((user_id, day), 0) <= 0:
            return False
        self.days[(user_id, day)] -= 1
        return True

    def usage(self, user_id, day):
        return self.active.get(user_id, 0), self.days.get((user_id, day), 0)


class Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *a, **k: self.calls.append((name, a, k))


def user(uid: str, role: Role = Role.USER) -> User:
    return User(uid, f"{uid}@example.test", uid.title(), role, "x", 0.0, 0.0)


ADMIN, MEMBER, CURATOR = user("admin", Role.ADMIN), user("member"), user("curator", Role.CURATOR)


def checkpoint(model_id="m1", **fields) -> tuple[ModelAsset, ModelVersion]:
    model = ModelAsset(model_id, "admin", "SDXL base", "ready", 0.0, 0.0, kind="checkpoint", visibility="public",
                       primary_version_id=f"{model_id}-v", **fields)
    version = ModelVersion(f"{model_id}-v", model_id, "v1", "ready", "sd_xl_base.safetensors",
                           f"assets/models/{model_id}/sd_xl_base.safetensors", 0.0, 0.0, size=6_938_078_334,
                           hashes={"sha256": "AB" * 32, "autov2": "ABABABABAB", "autov3": "CD" * 32})
    return model, version


@pytest.fixture
def svc():
    model, version = checkpoint()
    lora = ModelAsset("lora1", "admin", "A LoRA", "ready", 0.0, 0.0, kind="lora")
    config, state, audit, notes = FakeConfig(), FakeState(), Recorder(), Recorder()
    storage = SimpleNamespace(objects={("phys-base-models", "flux/flux1-dev.safetensors"): 23_000_000_000})
    storage.head = lambda bucket, key: (SimpleNamespace(size=storage.objects[(bucket, key)], etag="e", content_type=None)
                                        if (bucket, key) in storage.objects else None)
    service = GeneratorSettingsService(
        config, state, Records([ADMIN, MEMBER, CURATOR]), Records([model, lora]), Records([version]), storage,
        bucket=lambda logical: f"phys-{logical}", notifications=lambda: notes, audit=lambda: audit,
        clock=lambda: NOW)
    return SimpleNamespace(service=service, config=config, state=state, audit=audit, notes=notes, model=model,
                           version=version, storage=storage)


def test_update_merges_with_a_concurrent_edit_instead_of_losing_it(svc):
    svc.service.update_settings(ADMIN, {"max_batch": 2})

    def other_admin():  # writes between this update's read and its write
        svc.service.update_settings(ADMIN, {"limits": {"daily_per_user": 9}})

    svc.config.interfere = other_admin
    svc.service.update_settings(ADMIN, {"enabled": False})
    s = svc.service.settings()
    assert s.max_batch == 2 and s.limits.daily_per_user == 9 and s.enabled is False
    assert [c[1][1] for c in svc.audit.calls] == ["generator.settings"] * 3


def test_update_with_a_stale_version_is_refused(svc):
    first = svc.service.update_settings(ADMIN, {"max_batch": 2}).settings.version
    svc.service.update_settings(ADMIN, {"max_batch": 3}, expected_version=first)
    with pytest.raises(Conflict) as e:
        svc.service.update_settings(ADMIN, {"max_batch": 4}, expected_version=first)
    assert e.value.field == "version" and svc.service.settings().max_batch == 3


def test_a_change_that_changes_nothing_writes_and_audits_nothing(svc):
    svc.service.update_settings(ADMIN, {"max_batch": 1, "enabled": True})
    assert svc.config.writes == 0 and svc.audit.calls == []


def test_invalid_updates_write_nothing(svc):
    with pytest.raises(ValidationError):
        svc.service.update_settings(ADMIN, {"enabled": False, "max_batch": 99})
    assert svc.config.writes == 0 and svc.service.settings().enabled is True


def test_new_catalog_entries_must_be_existing_checkpoints(svc):
    for model_id, field in (("missing", "baseModels.0.modelId"), ("lora1", "baseModels.0.modelId")):
        with pytest.raises(ValidationError) as e:
            svc.service.update_settings(ADMIN, {"base_models": [catalog_entry(model_id=model_id)]})
        assert fields_of(e.value) == [field]
    svc.service.update_settings(ADMIN, {"base_models": [catalog_entry()]})
    # Once stored, a model that disappears does not block unrelated edits; resolving it refuses it.
    del svc.service._models.items["m1"]
    svc.service.update_settings(ADMIN, {"max_batch": 2})
    with pytest.raises(NotFound) as e:
        svc.service.resolve_base_model("sdxl")
    assert e.value.field == "baseModel"


def test_access_decisions(svc):
    s = svc.service
    assert s.view(MEMBER).can_generate and s.ensure_can_request(MEMBER) == s.settings()
    with pytest.raises(Unauthorized):
        s.ensure_can_request(None)
    s.update_settings(ADMIN, {"access_mode": "admins"})
    assert not s.view(CURATOR).can_generate and s.view(ADMIN).can_generate
    with pytest.raises(Forbidden):
        s.ensure_can_request(CURATOR)
    s.update_settings(ADMIN, {"access_mode": "members", "enabled": False})
    with pytest.raises(Conflict):
        s.ensure_can_request(ADMIN)
    s.update_settings(ADMIN, {"enabled": True})
    s.block(ADMIN, "member", "spam")
    assert not s.view(MEMBER).can_generate and s.view(MEMBER).block.reason == "spam"
    with pytest.raises(Forbidden) as e:
        s.ensure_can_request(MEMBER)
    assert "spam" in e.value.message
    s.pause(ADMIN, decline_new=False)
    assert s.ensure_can_request(CURATOR)  # paused but accepting: requests wait
    s.pause(ADMIN, decline_new=True, reason="driver update")
    with pytest.raises(Conflict) as e:
        s.ensure_can_request(CURATOR)
    assert "driver update" in e.value.message


def test_pause_and_resume_are_audited_once_per_change(svc):
    s = svc.service
    q = s.pause(ADMIN, reason="  maintenance  window ")
    assert (q.paused, q.decline_new, q.reason, q.changed_by, q.changed_at) == (True, True, "maintenance window",
                                                                             "admin", NOW)
    s.pause(ADMIN, reason="maintenance window")
    assert s.resume(ADMIN).paused is False and s.resume(ADMIN).decline_new is False
    assert [c[1][1] for c in svc.audit.calls] == ["generator.pause", "generator.resume"]
    with pytest.raises(ValidationError):
        s.pause(ADMIN, reason="x" * 301)
    with pytest.raises(ValidationError):
        s.pause(ADMIN, decline_new="yes")
    assert s.pause(ADMIN, reason="   ").reason is None


def test_reserve_passes_the_limits_and_maps_refusals(svc):
    s, settings = svc.service, svc.service.settings()
    s.reserve(MEMBER, settings, NOW)
    s.reserve(MEMBER, settings, NOW)
    with pytest.raises(RateLimited) as e:
        s.reserve(MEMBER, settings, NOW)
    assert e.value.retry_after == g.CONCURRENCY_RETRY_SECONDS and e.value.headers["Retry-After"] == "30"
    assert svc.state.reservations[0] == ("member", "2025-03-14", datetime(2025, 3, 16, tzinfo=UTC).timestamp(), 2, 50)
    assert s.usage("member", NOW) == {"active": 2, "today": 2}
    assert s.release("member") and s.release("member") and not s.release("member")  # never below zero
    assert s.usage("member", NOW) == {"active": 0, "today": 2}
    svc.state.days[("member", "2025-03-14")] = 50
    with pytest.raises(RateLimited) as e:
        s.reserve(MEMBER, settings, NOW)
    assert e.value.retry_after == 2 * 3600  # until 00:00 UTC
    # The next UTC day starts afresh.
    s.reserve(MEMBER, settings, NOW + 3 * 3600)
    assert s.usage("member", NOW + 3 * 3600) == {"active": 1, "today": 1}


def test_exempt_admins_are_counted_but_never_refused(svc):
    s, settings = svc.service, svc.service.settings()
    for _ in range(5):
        s.reserve(ADMIN, settings, NOW)
    assert svc.state.reservations[-1][3:] == (None, None) and s.usage("admin", NOW)["active"] == 5
    assert s.view(ADMIN).limits_apply is False and s.view(MEMBER).limits_apply is True
    s.update_settings(ADMIN, {"limits": {"admins_exempt": False}})
    with pytest.raises(RateLimited):
        s.reserve(ADMIN, s.settings(), NOW)


def test_release_can_refund_a_request_refused_after_its_reservation(svc):
    s = svc.service
    s.reserve(MEMBER, s.settings(), NOW)
    s.release("member", refund_at=NOW)
    assert s.usage("member", NOW) == {"active": 0, "today": 0}


def test_blocks_are_validated_idempotent_audited_and_notified(svc):
    s = svc.service
    with pytest.raises(ValidationError) as e:
        s.block(ADMIN, "admin", "self")
    assert e.value.field == "userId"
    with pytest.raises(NotFound) as e:
        s.block(ADMIN, "ghost", "who")
    assert e.value.field == "userId"
    for bad in ("", "   ", "x" * 501, None, 5):
        with pytest.raises(ValidationError):
            s.block(ADMIN, "member", bad)
    block, users = s.block(ADMIN, "member", "  spamming   prompts ")
    assert block.reason == "spamming prompts" and users["member"].display_name == "Member"
    s.block(ADMIN, "member", "spamming prompts")  # a retry changes nothing
    s.block(ADMIN, "member", "new reason")
    assert [c[1][1:4] for c in svc.audit.calls] == [("generator.block", "user", "member")] * 2
    assert svc.audit.calls[1][1][4] == {"reason": "new reason", "previousReason": "spamming prompts"}
    assert [(c[1][1], c[1][2]) for c in svc.notes.calls] == [("moderation", "generator.blocked")] * 2
    s.unblock(ADMIN, "member")
    with pytest.raises(NotFound):
        s.unblock(ADMIN, "member")
    assert svc.audit.calls[-1][1][1] == "generator.unblock"
    assert svc.notes.calls[-1][1][2] == "generator.unblocked" and svc.notes.calls[-1][2]["actor_id"] == "admin"


def test_a_failing_notification_does_not_undo_the_block(svc):
    def broken():
        raise RuntimeError("queue down")

    svc.service._notifications = broken
    svc.service.block(ADMIN, "member", "spam")
    assert svc.service.block_of("member").reason == "spam"


def test_blocks_page_by_user_id_with_bound_cursors(svc):
    s = svc.service
    for uid in ("u3", "u1", "u2"):
        svc.state.blocks[uid] = SimpleNamespace(user_id=uid, reason="r", created_at=NOW, updated_at=NOW,
                                                created_by="admin", updated_by="admin")
    first, cursor, _ = s.blocks(None, 2)
    assert [b.user_id for b in first] == ["u1", "u2"] and cursor
    second, end, _ = s.blocks(cursor, 2)
    assert [b.user_id for b in second] == ["u3"] and end is None
    for forged in ("%%%", "bm90IGpzb24", g.encode_cursor({"u": "../x"}, {"list": "generator-blocks"}),
                   g.encode_cursor({"u": "u1"}, {"list": "other"})):
        with pytest.raises(ValidationError) as e:
            s.blocks(forged, 2)
        assert e.value.field == "cursor"


def test_resolving_a_catalog_entry(svc):
    s = svc.service
    s.update_settings(ADMIN, {"base_models": [catalog_entry()]})
    choice = s.resolve_base_model("sdxl")
    assert choice == g.BaseModelChoice("sdxl", "SDXL base", "SDXL", "catalog", "sd_xl_base.safetensors", "media",
                                       "assets/models/m1/sd_xl_base.safetensors", 6_938_078_334, "ab" * 32,
                                       "ababababab", "m1", "m1-v", False)


@pytest.mark.parametrize("spoil", [
    lambda m, v: setattr(m, "status", "processing"),
    lambda m, v: setattr(m, "moderation", "flagged"),
    lambda m, v: setattr(m, "moderation", "removed"),
    lambda m, v: setattr(m, "kind", "lora"),
    lambda m, v: setattr(m, "primary_version_id", None),
    lambda m, v: setattr(v, "status", "error"),
    lambda m, v: setattr(v, "model_id", "someone-else"),
])
def test_unusable_catalog_models_are_not_found(svc, spoil):
    svc.service.update_settings(ADMIN, {"base_models": [catalog_entry()]})
    spoil(svc.model, svc.version)
    with pytest.raises(NotFound) as e:
        svc.service.resolve_base_model("sdxl")
    assert e.value.field == "baseModel"


def test_resolving_a_bucket_entry(svc):
    s = svc.service
    s.update_settings(ADMIN, {"base_models": [bucket_entry(sha256="EF" * 32), bucket_entry(id="gone", key="x.safetensors")]})
    choice = s.resolve_base_model("flux")
    assert (choice.filename, choice.bucket, choice.key, choice.size, choice.sha256, choice.model_hash, choice.model_id) \
        == ("flux1-dev.safetensors", "base-models", "flux/flux1-dev.safetensors", 23_000_000_000, "ef" * 32,
            "efefefefef", None)
    s.update_settings(ADMIN, {"base_models": [bucket_entry()]})
    assert s.resolve_base_model("flux").sha256 is None and s.resolve_base_model("flux").model_hash is None
    for missing in ("gone", "nope", None):
        with pytest.raises(NotFound):
            s.resolve_base_model(missing)


def test_settings_are_cached_for_the_configured_time():
    config = FakeConfig()
    ticks = iter([0.0, 1.0, 10.0, 10.0])
    service = GeneratorSettingsService(config, FakeState(), Records(), Records(), Records(), None, bucket=str,
                                       notifications=None, audit=None, cache_seconds=5, monotonic=lambda: next(ticks))
    assert service.settings().max_batch == 1
    config.docs[g.SETTINGS_KEY] = ({**defaults(), "max_batch": 3}, 1.0)
    assert service.settings().max_batch == 1  # within the cache window
    assert service.settings().max_batch == 3
