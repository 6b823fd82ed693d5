"""Safety keywords, thresholds and the background recalculation, over HTTP against the local stack.

The moderation service is replaced by a recorder here: these tests are about what the screening asks
for (auto_flag / auto_clear and their reasons), not about the moderation queue itself."""
from __future__ import annotations

import threading
import uuid
from urllib.parse import quote

import pytest

from chalicelib import container
from chalicelib.services import safety_service
from functions.ingest.tasks import TASKS
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error, wait_for

RUN_TIMEOUT = 180
# A recalculation walks every model and image; late in the suite the tables hold thousands of them.
pytestmark = pytest.mark.timeout(900)
REAL_MODERATION = getattr(container, "moderation_service", None)


class ModerationRecorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[tuple] = []
        self.flagged: set[tuple[str, str]] = set()

    def auto_flag(self, kind, asset_id, reasons):
        with self.lock:
            self.calls.append(("flag", kind, asset_id, tuple(reasons)))
            new = (kind, asset_id) not in self.flagged
            self.flagged.add((kind, asset_id))
            return new

    def auto_clear(self, kind, asset_id):
        with self.lock:
            self.calls.append(("clear", kind, asset_id))
            if (kind, asset_id) in self.flagged:
                self.flagged.discard((kind, asset_id))
                return True
            return False

    def flags_for(self, kind, asset_id):
        with self.lock:
            return [c[3] for c in self.calls if c[0] == "flag" and c[1:3] == (kind, asset_id)]

    def clears_for(self, kind, asset_id):
        with self.lock:
            return [c for c in self.calls if c[0] == "clear" and c[1:3] == (kind, asset_id)]


class HoldingQueue:
    """The ingest queue, except that recalculation batches wait here until the test releases them."""

    def __init__(self, real):
        self.real = real
        self.lock = threading.Lock()
        self.held: list[dict] = []
        self.passthrough = False

    def send(self, body, delay_seconds=0):
        if body.get("task") == "safety-recalculate" and not self.passthrough:
            with self.lock:
                self.held.append(body)
            return
        self.real.send(body, delay_seconds)

    def send_each(self, bodies):
        self.real.send_each(bodies)

    def take(self, run_id):
        with self.lock:
            for body in self.held:
                if body["runId"] == run_id:
                    self.held.remove(body)
                    return body
        return None

    def release(self):
        """Send what was held, and everything from now on, to the real queue."""
        with self.lock:
            bodies, self.held, self.passthrough = self.held, [], True
        for body in bodies:
            self.real.send(body)


@pytest.fixture(scope="module", autouse=True)
def moderation():
    recorder = ModerationRecorder()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(container, "moderation_service", lambda: recorder, raising=False)
        yield recorder


@pytest.fixture
def holding():
    real = container.ingest_queue()
    queue = HoldingQueue(real)
    container.override("ingest_queue", queue)
    try:
        yield queue
    finally:
        container.override("ingest_queue", real)
        queue.release()


@pytest.fixture(scope="module")
def owner(make_user):
    return make_user("CURATOR")


@pytest.fixture(scope="module", autouse=True)
def settled(admin, moderation):
    """One full recalculation first, so that later runs' counters only count what the tests change."""
    run = admin["api"].post("/api/safety/recalculate").json()["data"]["recalculation"]
    wait_run(admin, run["id"])


def word(prefix="kw") -> str:
    return prefix + uuid.uuid4().hex[:10]


def latest(admin) -> dict | None:
    r = admin["api"].get("/api/safety/recalculations/latest")
    assert r.status_code == 200, r.text
    return r.json()["data"]["recalculation"]


def wait_run(admin, run_id, timeout=RUN_TIMEOUT) -> dict:
    """Wait until run ``run_id``, or a newer run that superseded it, has finished; returns that run."""
    def finished():
        run = latest(admin)
        return run if run["id"] >= run_id and run["status"] in ("done", "failed") else None

    run = wait_for(finished, timeout=timeout, interval=0.3)
    assert run["status"] == "done", run
    return run


def add_keyword(admin, label, category="adult") -> dict:
    r = admin["api"].post("/api/safety/keywords", json={"label": label, "category": category})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def remove_keyword(admin, category, reference, wait=True) -> dict:
    """Remove a keyword; by default also wait for the recalculation, so the next test starts settled."""
    r = admin["api"].delete(f"/api/safety/keywords/{category}/{quote(reference, safe='')}")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    if wait:
        data["finished"] = wait_run(admin, data["recalculation"]["id"])
    return data


def labels(admin, category) -> list[str]:
    return [k["label"] for k in admin["api"].get("/api/safety/keywords", params={"category": category}).json()["data"]["items"]]


def guest_ids(api, kind, owner_id) -> set[str]:
    r = api.get(f"/api/{kind}", params={"curator": owner_id, "pageSize": 100})
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["data"]}


# -- permissions and validation -------------------------------------------------------------------
ROUTES = [
    ("get", "/api/safety/keywords", None),
    ("post", "/api/safety/keywords", {"label": "anything", "category": "adult"}),
    ("delete", "/api/safety/keywords/adult/anything", None),
    ("get", "/api/safety/thresholds", None),
    ("put", "/api/safety/thresholds", {"adult": 15, "illegal": 1}),
    ("post", "/api/safety/recalculate", None),
    ("get", "/api/safety/recalculations/latest", None),
    ("get", "/api/safety/adult-keywords", None),
    ("put", "/api/safety/adult-keywords", {"keywords": ["anything"]}),
]


@pytest.fixture(scope="module")
def members(make_user):
    return [make_user("USER"), make_user("CURATOR")]


@pytest.mark.parametrize("method,path,body", ROUTES)
def test_only_admins_reach_safety_routes(api, members, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(api, method)(path, **kwargs), 401, "UNAUTHORIZED")
    for member in members:
        assert_error(getattr(member["api"], method)(path, **kwargs), 403, "FORBIDDEN")


@pytest.mark.parametrize("body,field", [
    ({"label": "", "category": "adult"}, "label"),
    ({"label": "   ", "category": "adult"}, "label"),
    ({"label": "x" * 61, "category": "adult"}, "label"),
    ({"label": "___", "category": "adult"}, "label"),
    ({"label": "a/b", "category": "adult"}, "label"),
    ({"label": "🔞", "category": "adult"}, "label"),
    ({"label": "bad\u200bword", "category": "adult"}, "label"),
    ({"label": "<script>alert(1)</script>", "category": "illegal"}, "label"),
    ({"label": 5, "category": "adult"}, "label"),
    ({"label": ["nude"], "category": "adult"}, "label"),
    ({"label": "fine", "category": "gore"}, "category"),
    ({"label": "fine", "category": None}, "category"),
    ({"label": "fine"}, "category"),
    ({"category": "adult"}, "label"),
    ({"label": "fine", "category": "adult", "extra": 1}, "extra"),
])
def test_hostile_keyword_bodies_are_refused(admin, body, field):
    assert_error(admin["api"].post("/api/safety/keywords", json=body), 400, "VALIDATION_ERROR", field)


def test_malformed_requests_are_refused(admin):
    assert_error(admin["api"].post("/api/safety/keywords", data="{nope", headers={"Content-Type": "application/json"}),
                 400, "VALIDATION_ERROR")
    assert_error(admin["api"].post("/api/safety/keywords", json=["nude"]), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].get("/api/safety/keywords", params={"category": "gore"}), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].get("/api/safety/keywords", params={"page": "2"}), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].delete("/api/safety/keywords/gore/nude"), 400, "VALIDATION_ERROR", "category")
    assert_error(admin["api"].delete(f"/api/safety/keywords/adult/{word()}"), 404, "NOT_FOUND")
    assert_error(admin["api"].delete("/api/safety/keywords/adult/" + "x" * 300), 404, "NOT_FOUND")
    assert_error(admin["api"].delete("/api/safety/keywords/adult/%F0%9F%94%9E"), 404, "NOT_FOUND")
    for bad in ({"adult": -1, "illegal": 1}, {"adult": 10001, "illegal": 1}, {"adult": "5", "illegal": 1},
                {"adult": 1.5, "illegal": 1}, {"adult": True, "illegal": 1}, {"adult": 5}, {"illegal": 5},
                {"adult": 5, "illegal": 1, "minor": 1}, {"adult": None, "illegal": 1}):
        assert_error(admin["api"].put("/api/safety/thresholds", json=bad), 400, "VALIDATION_ERROR")
    assert_error(admin["api"].put("/api/safety/adult-keywords", json={"keywords": ["ok", "a/b"]}), 400,
                 "VALIDATION_ERROR", "keywords.1")


# -- keyword lists ---------------------------------------------------------------------------------
def test_add_list_and_remove_keywords(admin):
    label = word()
    data = add_keyword(admin, f"  {label.upper()}_Pose ")
    keyword = data["keyword"]
    assert keyword["label"] == f"{label} pose" and keyword["category"] == "adult" and keyword["createdAt"]
    assert data["recalculation"]["status"] == "queued" and data["recalculation"]["trigger"] == "keyword.add"
    assert f"{label} pose" in labels(admin, "adult") and f"{label} pose" not in labels(admin, "illegal")
    listing = admin["api"].get("/api/safety/keywords").json()["data"]
    assert listing["limit"] == 500 and listing["counts"]["adult"] == len(labels(admin, "adult"))
    assert {k["category"] for k in listing["items"]} == {"adult", "illegal"}
    # The same keyword in another spelling is a duplicate; in the other category it is not.
    assert_error(admin["api"].post("/api/safety/keywords", json={"label": f"{label}-pose", "category": "adult"}),
                 409, "CONFLICT", "label")
    add_keyword(admin, f"{label} pose", "illegal")
    audit = admin["api"].get("/api/admin/audit", params={"action": "safety.keyword.add",
                                                         "targetId": keyword["id"]}).json()["data"]
    assert audit and audit[0]["details"] == {"category": "adult", "label": f"{label} pose"}
    # Removal by label (any spelling) or by id; a second removal finds nothing.
    removed = remove_keyword(admin, "adult", f"{label.upper()}_POSE")
    assert removed["keyword"]["id"] == keyword["id"] and removed["recalculation"]["trigger"] == "keyword.remove"
    assert_error(admin["api"].delete(f"/api/safety/keywords/adult/{keyword['id']}"), 404, "NOT_FOUND")
    illegal_id = next(k["id"] for k in admin["api"].get("/api/safety/keywords", params={"category": "illegal"})
                      .json()["data"]["items"] if k["label"] == f"{label} pose")
    remove_keyword(admin, "illegal", illegal_id)
    assert f"{label} pose" not in labels(admin, "illegal")
    assert admin["api"].get("/api/admin/audit", params={"action": "safety.keyword.remove"}).json()["data"]


def test_unicode_keywords(admin):
    label = "ヌード" + uuid.uuid4().hex[:4]
    added = add_keyword(admin, label)["keyword"]
    assert added["label"] == label
    full_width = "ＮＡＣＫＴ" + uuid.uuid4().hex[:4].upper()
    assert add_keyword(admin, full_width)["keyword"]["label"] == "nackt" + full_width[5:].lower()
    # By id: the local WSGI server hands non-ASCII path segments on as Latin-1 (PEP 3333), unlike API Gateway.
    remove_keyword(admin, "adult", added["id"], wait=False)
    remove_keyword(admin, "adult", "NACKT" + full_width[5:])


def test_the_501st_keyword_is_refused(admin):
    before = admin["api"].get("/api/safety/adult-keywords").json()["data"]["keywords"]
    fillers = [f"filler{n:03d}{uuid.uuid4().hex[:4]}" for n in range(500 - len(before))]
    try:
        r = admin["api"].put("/api/safety/adult-keywords", json={"keywords": before + fillers})
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]["keywords"]) == 500
        assert_error(admin["api"].post("/api/safety/keywords", json={"label": word(), "category": "adult"}),
                     409, "CONFLICT")
        assert_error(admin["api"].put("/api/safety/adult-keywords", json={"keywords": before + fillers + ["one"]}),
                     400, "VALIDATION_ERROR")
    finally:
        restored = admin["api"].put("/api/safety/adult-keywords", json={"keywords": before})
    assert restored.json()["data"]["keywords"] == before
    wait_run(admin, restored.json()["data"]["recalculation"]["id"])


def test_concurrent_adds_lose_nothing(admin):
    new = [word("par") for _ in range(6)]
    barrier = threading.Barrier(len(new) + 1)
    statuses: dict[str, int] = {}

    def add(label):
        barrier.wait()
        statuses[label] = admin["api"].post("/api/safety/keywords", json={"label": label, "category": "illegal"}).status_code

    threads = [threading.Thread(target=add, args=(label,)) for label in new]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    assert set(statuses.values()) == {201}, statuses
    assert set(new) <= set(labels(admin, "illegal"))

    same = word("dup")
    barrier = threading.Barrier(3)
    results: list[int] = []

    def add_same():
        barrier.wait()
        results.append(admin["api"].post("/api/safety/keywords", json={"label": same, "category": "illegal"}).status_code)

    threads = [threading.Thread(target=add_same) for _ in range(2)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert labels(admin, "illegal").count(same) == 1
    for label in [*new, same]:
        remove_keyword(admin, "illegal", label)


# -- recalculation ---------------------------------------------------------------------------------------
def test_the_request_only_queues_the_work(admin, owner, holding):
    term = word()
    image = seed_image(owner["id"], meta={"prompt": f"a {term} at dusk"})
    data = add_keyword(admin, term)
    run = data["recalculation"]
    assert run["status"] == "queued" and run["scanned"] == 0 and run["startedAt"] is None
    assert container.catalog().images.get(image.id).is_adult is False  # the response came first
    assert latest(admin)["id"] == run["id"] and latest(admin)["status"] == "queued"
    holding.release()
    done = wait_run(admin, run["id"])
    assert done["adultMarked"] == 1 and done["percent"] == 100 and done["startedAt"] and done["finishedAt"]
    assert container.catalog().images.get(image.id).is_adult is True
    remove_keyword(admin, "adult", term)


def test_adult_keyword_hides_assets_from_guests_and_back(api, admin, owner, make_user):
    term = word()
    images = [seed_image(owner["id"], meta={"prompt": f"{term}, portrait", "negative_prompt": "nsfw"}),
              seed_image(owner["id"], tags=[f"{term.upper()}_style"])]
    negative_only = seed_image(owner["id"], meta={"prompt": "portrait", "negative_prompt": term})
    models = [seed_model(owner["id"], title=f"{term} LoRA"), seed_model(owner["id"], trigger_words=[f"{term}-pose"])]
    lookalike = seed_model(owner["id"], title=f"{term}s and more")  # another word: no match
    member = make_user("USER")
    every_image = {i.id for i in images} | {negative_only.id}
    assert guest_ids(api, "images", owner["id"]) >= every_image
    assert guest_ids(api, "models", owner["id"]) >= {m.id for m in models} | {lookalike.id}

    run = wait_run(admin, add_keyword(admin, term)["recalculation"]["id"])
    assert (run["adultMarked"], run["adultCleared"], run["flagged"], run["cleared"]) == (4, 0, 0, 0)
    assert run["scanned"] >= 7 and run["total"] >= 7
    for viewer in (api, member["api"]):
        assert guest_ids(viewer, "images", owner["id"]) & every_image == {negative_only.id}
        assert guest_ids(viewer, "models", owner["id"]) & ({m.id for m in models} | {lookalike.id}) == {lookalike.id}
    assert all(container.catalog().models.get(m.id).is_adult for m in models)
    assert owner["api"].get(f"/api/images/{images[0].id}/status").json()["data"]["isAdult"] is True

    run = remove_keyword(admin, "adult", term)["finished"]
    assert (run["adultMarked"], run["adultCleared"]) == (0, 4)
    assert guest_ids(api, "images", owner["id"]) >= every_image
    assert guest_ids(api, "models", owner["id"]) >= {m.id for m in models}


def test_tag_frequency_thresholds(admin, owner):
    term = word()
    before = admin["api"].get("/api/safety/thresholds").json()["data"]["thresholds"]
    model = seed_model(owner["id"], title="Neutral style")
    versions = container.catalog().versions
    versions.update(model.primary_version_id, metadata={"tagFrequency": {term: 10, f"{term}_pose": 6, "1girl": 40}})
    try:
        put = admin["api"].put("/api/safety/thresholds", json={"adult": 17, "illegal": before["illegal"]})
        assert put.status_code == 200 and put.json()["data"]["thresholds"]["adult"] == 17
        wait_run(admin, add_keyword(admin, term)["recalculation"]["id"])
        assert container.catalog().models.get(model.id).is_adult is False  # 16 < 17
        put = admin["api"].put("/api/safety/thresholds", json={"adult": 16, "illegal": before["illegal"]}).json()["data"]
        run = wait_run(admin, put["recalculation"]["id"])
        assert run["trigger"] == "thresholds" and run["adultMarked"] == 1
        assert container.catalog().models.get(model.id).is_adult is True
        same = admin["api"].put("/api/safety/thresholds", json={"adult": 16, "illegal": before["illegal"]})
        assert same.json()["data"]["recalculation"] is None  # nothing changed: nothing to recalculate
        run = wait_run(admin, admin["api"].put("/api/safety/thresholds", json={"adult": 0, "illegal": before["illegal"]})
                       .json()["data"]["recalculation"]["id"])
        assert run["adultCleared"] == 1 and container.catalog().models.get(model.id).is_adult is False
        assert admin["api"].get("/api/safety/thresholds").json()["data"]["thresholds"]["adult"] == 0
        assert admin["api"].get("/api/admin/audit", params={"action": "safety.thresholds.update"}).json()["data"]
    finally:
        remove_keyword(admin, "adult", term)
        restored = admin["api"].put("/api/safety/thresholds", json=before).json()["data"]
        if restored["recalculation"]:
            wait_run(admin, restored["recalculation"]["id"])


def test_illegal_keywords_and_tags_flag_for_review(admin, owner, moderation):
    term, tag = word("ill"), word("tag")
    before = admin["api"].get("/api/safety/thresholds").json()["data"]["thresholds"]
    image = seed_image(owner["id"], meta={"prompt": f"{term} in a field"})
    titled = seed_image(owner["id"], title=f"The {term}")
    negative = seed_image(owner["id"], meta={"prompt": "field", "negative_prompt": term})
    model = seed_model(owner["id"], tags=[term])
    trained = seed_model(owner["id"], title="Trained")
    container.catalog().versions.update(trained.primary_version_id,
                                        metadata={"tagFrequency": {tag: 8, f"{tag}_face": 4, "smile": 30}})
    try:
        admin["api"].put("/api/safety/thresholds", json={"adult": before["adult"], "illegal": 10})
        add_keyword(admin, term, "illegal")
        wait_run(admin, add_keyword(admin, tag, "illegal")["recalculation"]["id"])
        assert moderation.flags_for("image", image.id)[-1] == (f"illegal keyword: {term}",)
        assert moderation.flags_for("image", titled.id)[-1] == (f"illegal keyword: {term}",)
        assert moderation.flags_for("model", model.id)[-1] == (f"illegal keyword: {term}",)
        assert moderation.flags_for("model", trained.id)[-1] == (
            f"metadata: illegal tags 12 ≥ 10 ({tag} ×8, {tag}_face ×4)",)
        assert moderation.flags_for("image", negative.id) == []
        assert container.catalog().images.get(image.id).is_adult is False  # review, not an adult verdict

        # The moderation service took them off the site; once the keywords go, the flags are lifted.
        for kind, asset in (("images", image), ("images", titled), ("models", model), ("models", trained)):
            getattr(container.catalog(), kind).update(asset.id, moderation="flagged")
        remove_keyword(admin, "illegal", term, wait=False)
        remove_keyword(admin, "illegal", tag)
        for kind, asset in (("image", image), ("image", titled), ("model", model), ("model", trained)):
            assert moderation.clears_for(kind, asset.id), (kind, asset.id)
        assert moderation.clears_for("image", negative.id) == []  # never flagged, so nothing to lift
    finally:
        restored = admin["api"].put("/api/safety/thresholds", json=before).json()["data"]
        if restored["recalculation"]:
            wait_run(admin, restored["recalculation"]["id"])


def test_illegal_counters_of_one_run(admin, owner, moderation):
    term = word("ill")
    image = seed_image(owner["id"], meta={"prompt": term})
    model = seed_model(owner["id"], title=term)
    run = wait_run(admin, add_keyword(admin, term, "illegal")["recalculation"]["id"])
    assert (run["flagged"], run["cleared"]) == (2, 0)
    for kind, repo in (("images", image), ("models", model)):
        getattr(container.catalog(), kind).update(repo.id, moderation="flagged")
    run = remove_keyword(admin, "illegal", term)["finished"]
    assert (run["flagged"], run["cleared"]) == (0, 2)


def test_illegal_keyword_hides_until_removed_with_the_real_moderation_service(api, admin, owner, monkeypatch):
    if REAL_MODERATION is None:
        pytest.fail("container.moderation_service() is missing (helper D's moderation service)")
    monkeypatch.setattr(container, "moderation_service", REAL_MODERATION)
    term = word("ill")
    image = seed_image(owner["id"], meta={"prompt": f"{term} by the sea"})
    model = seed_model(owner["id"], title=f"{term} style")
    assert image.id in guest_ids(api, "images", owner["id"]) and model.id in guest_ids(api, "models", owner["id"])
    run = wait_run(admin, add_keyword(admin, term, "illegal")["recalculation"]["id"])
    assert run["flagged"] == 2
    assert container.catalog().images.get(image.id).moderation == "flagged"
    assert image.id not in guest_ids(api, "images", owner["id"])
    assert model.id not in guest_ids(api, "models", owner["id"])
    run = remove_keyword(admin, "illegal", term)["finished"]
    assert run["cleared"] == 2
    assert container.catalog().models.get(model.id).moderation == "active"
    assert image.id in guest_ids(api, "images", owner["id"]) and model.id in guest_ids(api, "models", owner["id"])


def test_an_edit_that_adds_an_illegal_term_sends_the_asset_to_review(api, admin, owner, monkeypatch):
    if REAL_MODERATION is None:
        pytest.fail("container.moderation_service() is missing")
    monkeypatch.setattr(container, "moderation_service", REAL_MODERATION)
    term = word("ill")
    wait_run(admin, add_keyword(admin, term, "illegal")["recalculation"]["id"])
    try:
        model = seed_model(owner["id"], title="Harmless title")
        image = seed_image(owner["id"], title="Harmless picture")
        assert model.id in guest_ids(api, "models", owner["id"]) and image.id in guest_ids(api, "images", owner["id"])
        r = owner["api"].patch(f"/api/models/{model.id}", json={"description": f"now with {term} inside"})
        assert r.status_code == 200, r.text
        r = owner["api"].patch(f"/api/images/{image.id}", json={"prompt": f"{term} at dusk"})
        assert r.status_code == 200, r.text
        assert container.catalog().models.get(model.id).moderation == "flagged"
        assert container.catalog().images.get(image.id).moderation == "flagged"
        assert model.id not in guest_ids(api, "models", owner["id"])
        assert image.id not in guest_ids(api, "images", owner["id"])
    finally:
        remove_keyword(admin, "illegal", term)


def test_progress_superseding_and_redelivery(admin, owner, holding, monkeypatch):
    monkeypatch.setattr(safety_service, "BATCH_SIZE", 4)
    for n in range(9):
        seed_image(owner["id"], meta={"prompt": f"filler {n}"})
    older = admin["api"].post("/api/safety/recalculate").json()["data"]["recalculation"]
    newer = admin["api"].post("/api/safety/recalculate").json()["data"]["recalculation"]
    assert newer["supersedes"] == older["id"] and latest(admin)["id"] == newer["id"]

    # The older run's batch does nothing: the newer one replaced it.
    TASKS["safety-recalculate"](holding.take(older["id"]))
    now = latest(admin)
    assert (now["id"], now["status"], now["scanned"]) == (newer["id"], "queued", 0)
    assert holding.take(older["id"]) is None

    first = holding.take(newer["id"])
    TASKS["safety-recalculate"](first)
    progress = [latest(admin)]
    assert progress[0]["status"] == "running" and progress[0]["scanned"] == 4 and progress[0]["total"] >= 9
    assert 0 < progress[0]["percent"] < 100
    # A redelivered batch changes nothing and queues nothing more.
    TASKS["safety-recalculate"](first)
    assert latest(admin) == progress[0]
    following = holding.take(newer["id"])
    assert following == {"task": "safety-recalculate", "runId": newer["id"], "step": 1}
    assert holding.take(newer["id"]) is None
    TASKS["safety-recalculate"]({"task": "safety-recalculate", "runId": newer["id"], "step": "1"})  # malformed
    assert latest(admin) == progress[0]
    body = following
    while body is not None:
        TASKS["safety-recalculate"](body)
        progress.append(latest(admin))
        body = holding.take(newer["id"])
    assert progress[-1]["status"] == "done" and progress[-1]["percent"] == 100
    scanned = [p["scanned"] for p in progress]
    assert scanned == sorted(scanned) and all(b - a <= 4 for a, b in zip(scanned, scanned[1:], strict=False))
    assert [p["status"] for p in progress[:-1]] == ["running"] * (len(progress) - 1)
    assert [p["phase"] for p in progress].index("model") > 0  # images first, then models
    TASKS["safety-recalculate"](first)
    assert latest(admin) == progress[-1]


def test_a_legacy_recompute_message_starts_a_run(admin, holding):
    TASKS["recompute-adult"]({"task": "recompute-adult"})
    run = latest(admin)
    assert run["trigger"] == "recompute-adult" and run["status"] == "queued"
    holding.release()
    wait_run(admin, run["id"])


def test_compatibility_adult_keywords_route(admin):
    before = admin["api"].get("/api/safety/adult-keywords").json()["data"]["keywords"]
    term = word()
    r = admin["api"].put("/api/safety/adult-keywords", json={"keywords": [*before, term.upper()]})
    assert r.status_code == 200 and r.json()["data"]["keywords"] == [*before, term]
    assert term in labels(admin, "adult")
    restored = admin["api"].put("/api/safety/adult-keywords", json={"keywords": before}).json()["data"]
    assert restored["keywords"] == before and restored["recomputing"] is True
    wait_run(admin, restored["recalculation"]["id"])
