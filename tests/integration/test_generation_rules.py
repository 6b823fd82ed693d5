"""What the server refuses on POST /api/generator/requests: access mode, switch, pause, blocks,
limits, models the caller may not use, and malformed parameters. Nothing is written on refusal."""
import pytest

from tests.integration.catalog_seed import seed_model
from tests.integration.conftest import assert_error
from tests.integration.generation_helpers import clear_queue, configure, put_base_model, request_body, upload_lora

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def world(admin, make_user):
    curator = make_user("CURATOR")
    public_lora, _ = upload_lora(curator, title="Public LoRA")
    return {"base": put_base_model(admin), "curator": curator, "lora": public_lora}


@pytest.fixture(autouse=True)
def _defaults(admin):
    yield
    configure(admin, accessMode="members", enabled=True, limits={"maxConcurrentPerUser": 2, "dailyPerUser": 50})
    admin["api"].post("/api/generator/queue/resume", json={})
    clear_queue(admin)


def _post(user, body):
    return user["api"].post("/api/generator/requests", json=body)


def _count_mine(user) -> int:
    return len(user["api"].get("/api/generator/requests", params={"pageSize": 100}).json()["data"])


def test_guests_and_access_mode(world, admin, make_user, api):
    assert_error(api.post("/api/generator/requests", json=request_body(world["base"])), 401, "UNAUTHORIZED")
    member = make_user()
    configure(admin, accessMode="admins")
    assert_error(_post(member, request_body(world["base"])), 403, "FORBIDDEN")
    assert _post(admin, request_body(world["base"])).status_code == 202
    configure(admin, accessMode="members", enabled=False)
    assert_error(_post(member, request_body(world["base"])), 409, "CONFLICT")
    assert _count_mine(member) == 0


def test_blocked_member_is_told_why(world, admin, make_user):
    member = make_user()
    r = admin["api"].put(f"/api/generator/blocks/{member['id']}", json={"reason": "prompt abuse"})
    assert r.status_code == 200, r.text
    body = assert_error(_post(member, request_body(world["base"])), 403, "FORBIDDEN")
    assert "prompt abuse" in body["errors"][0]["message"]
    assert admin["api"].delete(f"/api/generator/blocks/{member['id']}").status_code in (200, 204)
    assert _post(member, request_body(world["base"])).status_code == 202


def test_pause_declines_or_holds(world, admin, make_user, base_url):
    member = make_user()
    assert admin["api"].post("/api/generator/queue/pause", json={"declineNew": True}).status_code == 200
    assert_error(_post(member, request_body(world["base"])), 409, "CONFLICT")
    admin["api"].post("/api/generator/queue/pause", json={"declineNew": False})
    held = _post(member, request_body(world["base"]))
    assert held.status_code == 202
    queue = member["api"].get("/api/generator/queue").json()["data"]
    assert queue["paused"] is True and queue["declineNew"] is False


def test_limits_cannot_be_exceeded(world, admin, make_user):
    member = make_user()
    configure(admin, limits={"maxConcurrentPerUser": 2, "dailyPerUser": 3})
    assert _post(member, request_body(world["base"])).status_code == 202
    assert _post(member, request_body(world["base"])).status_code == 202
    third = _post(member, request_body(world["base"]))
    assert third.status_code == 429, third.text
    clear_queue(admin)  # frees the two active slots
    assert _post(member, request_body(world["base"])).status_code == 202
    daily = _post(member, request_body(world["base"]))
    assert_error(daily, 429, "RATE_LIMITED")
    assert _count_mine(member) == 3


def test_models_the_caller_may_not_use(world, admin, make_user):
    member = make_user()
    curator = world["curator"]
    private = seed_model(curator["id"], title="Private", visibility="private")
    flagged = seed_model(curator["id"], title="Flagged", moderation="flagged")
    removed = seed_model(curator["id"], title="Removed", moderation="removed")
    adult = seed_model(curator["id"], title="Adult", is_adult=True)
    checkpoint = seed_model(curator["id"], title="A checkpoint", kind="checkpoint")
    # Hidden adult content does not exist for a member who has not turned it on, as everywhere else.
    for model in (private, flagged, removed, adult):
        assert_error(_post(member, request_body(world["base"], [model.id])), 404, "NOT_FOUND", "loras[0].modelId")
    assert_error(_post(member, request_body(world["base"], [checkpoint.id])), 400, "VALIDATION_ERROR",
                 "loras[0].modelId")
    assert_error(_post(member, request_body(world["base"], ["f" * 32])), 404, "NOT_FOUND", "loras[0].modelId")
    assert_error(_post(member, request_body("no-such-model")), 404, "NOT_FOUND")
    # The owner may use their own private LoRA; a member who turned adult content on may use the adult one.
    assert _post(curator, request_body(world["base"], [private.id])).status_code in (202, 409)
    member_adult = make_user()
    assert member_adult["api"].patch("/api/auth/me", json={"showAdultContent": True}).status_code == 200
    assert _post(member_adult, request_body(world["base"], [adult.id])).status_code in (202, 409)
    assert _count_mine(member) == 0


@pytest.mark.parametrize("override,field", [
    ({"width": 513}, "width"),
    ({"width": 4096, "height": 4096}, "width"),
    ({"height": 128}, "height"),
    ({"sampler": "made_up"}, "sampler"),
    ({"scheduler": "Karras!"}, "scheduler"),
    ({"steps": 0}, "steps"),
    ({"steps": 500}, "steps"),
    ({"cfgScale": 99}, "cfgScale"),
    ({"cfgScale": "NaN"}, "cfgScale"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": "x" * 4001}, "prompt"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**40}, "seed"),
    ({"batchSize": 3}, "batchSize"),
    ({"baseModel": "../etc"}, "baseModel"),
    ({"loras": [{"modelId": "a" * 32, "strength": 2.5}]}, "loras[0].strength"),
    ({"loras": [{"modelId": "not-an-id"}]}, "loras[0].modelId"),
    ({"loras": [{"modelId": f"{n:032x}"} for n in range(13)]}, "loras"),
    ({"unknown": 1}, "unknown"),
])
def test_malformed_parameters_are_refused(world, make_user, override, field):
    member = make_user()
    r = _post(member, {**request_body(world["base"]), **override})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"].startswith(field.split("[")[0])
    assert _count_mine(member) == 0


def test_duplicate_lora_is_refused(world, make_user):
    member = make_user()
    body = request_body(world["base"], [world["lora"], world["lora"]])
    assert_error(_post(member, body), 400, "VALIDATION_ERROR", "loras[1].modelId")
    assert _count_mine(member) == 0


def test_defaults_fill_what_the_request_leaves_out(world, make_user):
    member = make_user()
    r = _post(member, {"baseModel": world["base"], "prompt": "just a prompt"})
    assert r.status_code == 202, r.text
    req = r.json()["data"]["request"]
    assert (req["width"], req["height"], req["steps"], req["sampler"], req["scheduler"]) == (
        1024, 1024, 28, "dpmpp_2m_sde_gpu", "karras")
    assert 0 <= req["seed"] < 2**32 and req["loras"] == []


def test_a_retried_submit_with_the_same_client_id_is_one_request(world, make_user):
    from concurrent.futures import ThreadPoolExecutor

    member = make_user()
    body = {**request_body(world["base"]), "clientRequestId": "submit-7f3a9c"}
    # A retry after a lost response: the first request comes back, nothing new is counted.
    answers = [_post(member, body) for _ in range(3)]
    assert [r.status_code for r in answers] == [202] * 3
    assert len({r.json()["data"]["id"] for r in answers}) == 1
    assert member["api"].get("/api/generator/queue").json()["data"]["mine"] == {"active": 1, "today": 1}
    # Concurrent duplicates: still one job; a loser may meet the concurrency limit first (429), never a second job.
    racer = make_user()
    raced = {**body, "clientRequestId": "race-0a1b2c3d"}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: _post(racer, raced), range(4)))
    assert {r.status_code for r in results} <= {202, 429}
    assert len({r.json()["data"]["id"] for r in results if r.status_code == 202}) == 1
    assert _count_mine(racer) == 1
    # The id is the member's own: someone else using the same string gets their own request.
    assert _post(racer, body).json()["data"]["id"] != answers[0].json()["data"]["id"]
    assert_error(_post(member, {**body, "clientRequestId": "short"}), 400, "VALIDATION_ERROR", "clientRequestId")
