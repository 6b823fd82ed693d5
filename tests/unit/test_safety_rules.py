"""Safety rules (keyword matching, thresholds, verdicts) and the recalculation run, on in-memory fakes."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import ImageAsset, ModelAsset, ModelVersion, Role, User
from chalicelib.services import safety_service as s
from chalicelib.services.safety_service import (
    AdultKeywords,
    SafetyRules,
    SafetyService,
    image_is_adult,
    matches,
    model_is_adult,
    normalize_label,
    tag_score,
)


# -- matching -------------------------------------------------------------------------------
@pytest.mark.parametrize("text,found", [
    ("sex, 1girl", ["sex"]),
    ("SEX scene", ["sex"]),
    ("sex_toy on a table", ["sex"]),
    ("sussex countryside", []),
    ("a sexy dress", []),
    ("unsexed", []),
    ("nsfw-art", ["nsfw"]),
    ("ＮＳＦＷ", ["nsfw"]),  # full-width letters fold to ASCII
    ("Pubic_Hair, 1girl", ["pubic hair"]),
    ("pubic-hair", ["pubic hair"]),
    ("pubic   hair", ["pubic hair"]),
    ("pubic, hair", []),  # the words of a keyword must follow each other
    ("pubichair", []),
    ("nackt im wald", ["nackt"]),
    ("straße nackt", ["nackt", "strasse"]),  # casefold: ß == ss
])
def test_keywords_match_whole_words_with_separators(text, found):
    assert matches(["sex", "nsfw", "pubic hair", "nackt", "Strasse"], [text]) == found


def test_matching_tolerates_empty_and_odd_inputs():
    assert matches([], ["nude"]) == []
    assert matches(["nude"], ["", None, 3]) == []
    assert matches(["c++"], ["learning c++ today"]) == ["c++"]
    assert matches(["a.b"], ["axb"]) == []  # keywords are literals, never patterns


def test_negative_prompt_never_makes_an_image_adult():
    meta = {"prompt": "a glowing orb", "negative_prompt": "nsfw, nude"}
    assert image_is_adult(["nsfw", "nude"], meta, []) is False
    assert image_is_adult(["orb"], meta, []) is True
    assert image_is_adult(["portrait"], {}, ["Portrait"]) is True


@pytest.mark.parametrize("raw,label", [
    ("  Nude  ", "nude"),
    ("Pubic_Hair", "pubic hair"),
    ("R-18", "r 18"),
    ("ＮＳＦＷ", "nsfw"),
    ("nackt", "nackt"),
    ("ヌード", "ヌード"),
    ("c++", "c++"),
])
def test_labels_are_normalised(raw, label):
    assert normalize_label(raw) == label


@pytest.mark.parametrize("raw", ["", "   ", "___", "x" * 61, "a/b", "a\u0000b", "a\u200bb", "🔞", "<script>", "%2F",
                                 "...", "a\nb\tc" + "\u202e"])
def test_hostile_labels_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_label(raw)


# -- thresholds and verdicts -------------------------------------------------------------------
def _version(tags, model_id="m1", vid="v1"):
    return ModelVersion(id=vid, model_id=model_id, name="v", status="ready", filename="f", key="k", created_at=1,
                        updated_at=1, metadata={"tagFrequency": tags})


def _model(**fields):
    values = dict(id="m1", owner_id="u1", title="A LoRA", status="ready", created_at=1, updated_at=1)
    values.update(fields)
    return ModelAsset(**values)


def _image(**fields):
    values = dict(id="i1", owner_id="u1", title="An image", status="ready", key="k", filename="f.png", created_at=1,
                  updated_at=1)
    values.update(fields)
    return ImageAsset(**values)


def test_tag_score_sums_matching_training_tags_over_versions():
    versions = [_version({"nude": 10, "completely_nude": 4, "1girl": 50}),
                _version({"Nude": 2, "bad": "many", "neg": -5, "flag": True}, vid="v2")]
    score, tags = tag_score(["nude"], versions)
    assert score == 16 and tags == {"nude": 10, "completely_nude": 4, "Nude": 2}
    assert tag_score(["nude"], [_version("not a map")]) == (0, {})


@pytest.mark.parametrize("threshold,adult", [(15, True), (16, True), (17, False), (0, False)])
def test_model_adult_by_tag_frequency_threshold(threshold, adult):
    versions = [_version({"nude": 10, "completely nude": 6, "1girl": 50})]
    assert model_is_adult(AdultKeywords(["nude"], threshold), _model(), versions, None) is adult


def test_model_adult_by_texts_and_cover_regardless_of_threshold():
    keywords = AdultKeywords(["nude"], 0)
    assert model_is_adult(keywords, _model(trigger_words=["Nude style"]), [], None)
    assert model_is_adult(keywords, _model(description="nude studies"), [], None)
    assert model_is_adult(keywords, _model(), [], _image(is_adult=True))
    assert not model_is_adult(keywords, _model(), [_version({"nude": 999})], _image())
    assert not model_is_adult(["nude"], _model(), [_version({"nude": 999})], None)  # a plain list: no threshold


def test_illegal_verdicts_carry_reasons():
    rules = SafetyRules(adult=("nude",), illegal=("loli", "bad thing"), adult_threshold=15, illegal_threshold=10)
    image = _image(title="Bad_Thing", meta={"prompt": "loli, smile", "negative_prompt": "cat"}, tags=["x"])
    assert rules.judge_image(image).reasons == ["illegal keyword: bad thing", "illegal keyword: loli"]
    clean = _image(meta={"prompt": "portrait", "negative_prompt": "loli"})
    assert rules.judge_image(clean).reasons == []  # negative prompts never count
    model = _model(title="Style")
    verdict = rules.judge_model(model, [_version({"loli": 8, "loli_face": 4, "1girl": 30})], None)
    assert verdict.reasons == ["metadata: illegal tags 12 ≥ 10 (loli ×8, loli_face ×4)"]
    assert rules.judge_model(model, [_version({"loli": 9})], None).reasons == []
    off = SafetyRules(("nude",), ("loli",), 15, 0)
    assert off.judge_model(model, [_version({"loli": 900})], None).reasons == []


# -- the service, on fakes ------------------------------------------------------------------------
class FakeSettings:
    def __init__(self):
        self.items: dict[str, dict] = {}
        self.fail_next_conditional = 0
        self.before_conditional = None

    def get(self, key):
        return copy.deepcopy(self.items.get(key))

    def put(self, key, data):
        self.items[key] = copy.deepcopy(data)

    def put_if(self, key, data, expected):
        if self.before_conditional:
            hook, self.before_conditional = self.before_conditional, None
            hook()
        stored = self.items.get(key)
        if expected is None:
            ok = stored is None
        else:
            ok = stored is not None and all(stored.get(k) == v for k, v in expected.items())
        if ok:
            self.items[key] = copy.deepcopy(data)
        return ok


class FakeRecords:
    def __init__(self, records=()):
        self.records = {r.id: r for r in records}
        self.updates = []

    def get(self, record_id):
        return self.records.get(record_id)

    def get_many(self, ids):
        return {i: self.records[i] for i in ids if i in self.records}

    def update(self, record_id, **fields):
        if record_id not in self.records:
            return False
        self.updates.append((record_id, fields))
        for name, value in fields.items():
            setattr(self.records[record_id], name, value)
        return True


class FakeVersions:
    def __init__(self, versions=()):
        self.versions = list(versions)

    def for_model(self, model_id):
        return [v for v in self.versions if v.model_id == model_id]


class FakePages:
    def __init__(self, repos):
        self.repos = repos
        self.fail = 0

    def page(self, kind, after, limit):
        if self.fail:
            self.fail -= 1
            raise RuntimeError("throttled")
        ids = sorted(i for i in self.repos[kind].records if after is None or i > after)
        chosen = ids[:limit]
        return [copy.deepcopy(self.repos[kind].records[i]) for i in chosen], (chosen[-1] if len(ids) > limit else None)

    def approximate_total(self):
        return sum(len(r.records) for r in self.repos.values())


class FakeModeration:
    def __init__(self):
        self.flagged: dict[tuple, list] = {}
        self.calls = []

    def auto_flag(self, kind, asset_id, reasons):
        self.calls.append(("flag", kind, asset_id, tuple(reasons)))
        new = (kind, asset_id) not in self.flagged
        self.flagged[(kind, asset_id)] = reasons
        return new

    def auto_clear(self, kind, asset_id):
        self.calls.append(("clear", kind, asset_id))
        return self.flagged.pop((kind, asset_id), None) is not None


ADMIN = User(id="admin1", email="a@x", display_name="Admin", role=Role.ADMIN, password_hash="", created_at=0,
             updated_at=0)


@pytest.fixture
def world():
    images = FakeRecords([_image(id=f"i{n:02d}", meta={"prompt": "orb" if n % 2 else "cube"}) for n in range(7)]
                         + [_image(id="cover", meta={"prompt": "orb"}, purpose="model-cover")])
    models = FakeRecords([_model(id="m1", title="Plain", cover_image_id="cover"),
                          _model(id="m2", title="Plain two"),
                          _model(id="m3", title="Loader", status="processing"),
                          _model(id="m4", title="Trained", moderation="flagged")])
    versions = FakeVersions([_version({"glow": 20}, model_id="m2", vid="v2"), _version({"x": 1}, model_id="m4")])
    settings, queue, audit, moderation, indexed = FakeSettings(), [], [], FakeModeration(), []
    moderation.flagged[("model", "m4")] = ["illegal keyword: old"]
    pages = FakePages({"image": images, "model": models})
    service = SafetyService(
        settings, pages, SimpleNamespace(models=models, versions=versions, images=images),
        SimpleNamespace(refresh_or_queue=lambda kind, i: indexed.append((kind, i))),
        queue=lambda message, delay_seconds=0: queue.append((message, delay_seconds)),
        moderation=lambda: moderation, audit=lambda: SimpleNamespace(record=lambda *a: audit.append(a)),
        clock=iter(range(1000, 100000)).__next__)
    return SimpleNamespace(service=service, settings=settings, queue=queue, audit=audit, moderation=moderation,
                           indexed=indexed, images=images, models=models, pages=pages)


def _drain(w, limit=100):
    """Deliver queued batch messages in order until none is left; returns the outcomes."""
    outcomes = []
    while w.queue and limit:
        message, _ = w.queue.pop(0)
        outcomes.append(w.service.process_batch(message["runId"], message["step"]))
        limit -= 1
    return outcomes


def test_defaults_then_add_and_remove_keywords(world):
    items, counts = world.service.keywords(None)
    assert counts == {"adult": len(s.DEFAULT_KEYWORDS["adult"]), "illegal": len(s.DEFAULT_KEYWORDS["illegal"])}
    keyword, run = world.service.add_keyword(ADMIN, "adult", "  Glowing_Orb ")
    assert keyword.label == "glowing orb" and run.status == "queued"
    assert world.queue == [({"task": "safety-recalculate", "runId": run.id, "step": 0}, 0)]
    assert world.audit[-1][1] == "safety.keyword.add"
    with pytest.raises(Conflict):
        world.service.add_keyword(ADMIN, "adult", "glowing-orb")
    removed, _ = world.service.remove_keyword(ADMIN, "adult", keyword.id)
    assert removed.label == "glowing orb"
    with pytest.raises(NotFound):
        world.service.remove_keyword(ADMIN, "adult", keyword.id)
    world.service.remove_keyword(ADMIN, "adult", "NSFW")  # by label, any spelling
    with pytest.raises(NotFound):
        world.service.remove_keyword(ADMIN, "illegal", "x" * 500)
    assert "nsfw" not in [k.label for k in world.service.keywords("adult")[0]]


def test_list_limit(world, monkeypatch):
    monkeypatch.setattr(s, "MAX_KEYWORDS", 12)
    for n in range(12 - len(s.DEFAULT_KEYWORDS["illegal"])):
        world.service.add_keyword(ADMIN, "illegal", f"word{n}")
    with pytest.raises(Conflict):
        world.service.add_keyword(ADMIN, "illegal", "onemore")


def test_concurrent_add_is_retried_not_lost(world):
    world.service.add_keyword(ADMIN, "adult", "first")
    # Another admin's add lands between our read and our conditional write.
    world.settings.before_conditional = lambda: world.service._change_list(
        "adult", lambda current: [*current, s.SafetyKeyword("x", "theirs", "adult", 0)])
    world.service.add_keyword(ADMIN, "adult", "mine")
    labels = [k.label for k in world.service.keywords("adult")[0]]
    assert "theirs" in labels and "mine" in labels and "first" in labels


def test_concurrent_duplicate_add_conflicts(world):
    world.settings.before_conditional = lambda: world.service._change_list(
        "adult", lambda current: [*current, s.SafetyKeyword("x", "same", "adult", 0)])
    with pytest.raises(Conflict):
        world.service.add_keyword(ADMIN, "adult", "same")


def test_thresholds_validate_and_only_changes_start_a_run(world):
    assert world.service.thresholds() == s.DEFAULT_THRESHOLDS
    for bad in (-1, 10001, 1.5, True, "3"):
        with pytest.raises(ValidationError):
            world.service.update_thresholds(ADMIN, bad, 1)
    thresholds, run = world.service.update_thresholds(ADMIN, 15, 1)
    assert run is None and world.queue == []
    thresholds, run = world.service.update_thresholds(ADMIN, 20, 0)
    assert thresholds == {"adult": 20, "illegal": 0} and run is not None
    assert world.audit[-1][1] == "safety.thresholds.update"


def test_recalculation_runs_in_batches_to_done(world, monkeypatch):
    monkeypatch.setattr(s, "BATCH_SIZE", 3)
    world.service.add_keyword(ADMIN, "adult", "orb")
    world.service.add_keyword(ADMIN, "illegal", "trained")
    world.service.update_thresholds(ADMIN, 20, 1)
    run = world.service.latest_recalculation()
    assert world.images.updates == [] and world.models.updates == []  # nothing happens before the task runs
    world.queue[:] = [m for m in world.queue if m[0]["runId"] == run.id]
    outcomes = _drain(world)
    assert outcomes[-1] == "done" and outcomes.count("running") == len(outcomes) - 1
    done = world.service.latest_recalculation()
    assert done.status == "done" and done.scanned == 12 and done.total == 12 and done.finished_at
    # Images i01, i03, i05 and the cover say "orb"; m1 has that cover. m2's 20 "glow" tags match no adult
    # keyword, and m3 is still processing (left to ingest).
    assert {i for i, r in world.images.records.items() if r.is_adult} == {"i01", "i03", "i05", "cover"}
    assert {i for i, r in world.models.records.items() if r.is_adult} == {"m1"}
    assert (done.adult_marked, done.adult_cleared) == (5, 0)
    assert ("model", "m1") in world.indexed and ("image", "i01") in world.indexed
    # m4 ("Trained") matches the illegal keyword: flagged again with the new reason, not counted as new.
    assert ("flag", "model", "m4", ("illegal keyword: trained",)) in world.moderation.calls
    assert done.flagged == 0 and done.cleared == 0


def test_removed_keyword_clears_and_lifts_automatic_flags(world):
    world.service.add_keyword(ADMIN, "illegal", "cube")
    _drain(world)
    first = world.service.latest_recalculation()
    assert first.flagged == 4  # i00, i02, i04, i06
    assert first.cleared == 1  # m4's earlier automatic flag no longer matches
    for n in (0, 2, 4, 6):
        world.images.records[f"i{n:02d}"].moderation = "flagged"
    world.service.remove_keyword(ADMIN, "illegal", "cube")
    _drain(world)
    second = world.service.latest_recalculation()
    assert second.status == "done" and second.cleared == 4 and second.flagged == 0
    assert not any(k[0] == "image" for k in world.moderation.flagged)


def test_redelivered_batches_change_nothing(world, monkeypatch):
    monkeypatch.setattr(s, "BATCH_SIZE", 3)
    world.service.add_keyword(ADMIN, "adult", "orb")
    first_message = world.queue[0][0]
    assert world.service.process_batch(first_message["runId"], 0) == "running"
    after_first = world.service.latest_recalculation()
    updates, sent = list(world.images.updates), len(world.queue)
    assert world.service.process_batch(first_message["runId"], 0) == "duplicate"
    assert world.service.latest_recalculation() == after_first
    assert world.images.updates == updates and len(world.queue) == sent  # nothing re-sent either
    assert world.service.process_batch(first_message["runId"], 7) == "out-of-order"
    _drain(world)
    done = world.service.latest_recalculation()
    assert done.status == "done" and done.adult_marked == 5
    assert world.service.process_batch(first_message["runId"], 1) == "finished"


def test_a_committed_batch_whose_next_message_was_lost_is_resent(world, monkeypatch):
    monkeypatch.setattr(s, "BATCH_SIZE", 3)
    world.service.add_keyword(ADMIN, "adult", "orb")
    run_id = world.queue.pop(0)[0]["runId"]
    stored = world.settings.items[s.RUN_KEY]
    # Batch 0 committed (step 1) but the Lambda died before the next message was sent.
    world.settings.items[s.RUN_KEY] = {**stored, "step": 1, "queued_step": 0, "status": "running"}
    assert world.service.process_batch(run_id, 0) == "duplicate"
    assert world.queue == [({"task": "safety-recalculate", "runId": run_id, "step": 1}, 0)]
    assert world.service.process_batch(run_id, 0) == "duplicate"
    assert len(world.queue) == 1  # marked as sent: a second redelivery sends nothing


def test_a_newer_run_supersedes_an_older_one(world, monkeypatch):
    monkeypatch.setattr(s, "BATCH_SIZE", 3)
    world.service.add_keyword(ADMIN, "adult", "orb")
    old = world.queue.pop(0)[0]
    assert world.service.process_batch(old["runId"], 0) == "running"
    old_next = world.queue.pop(0)[0]
    newer = world.service.request_recalculation(ADMIN)
    assert newer.supersedes == old["runId"]
    updates = len(world.images.updates)
    assert world.service.process_batch(old_next["runId"], old_next["step"]) == "superseded"
    assert len(world.images.updates) == updates and world.queue[0][0]["runId"] == newer.id
    _drain(world)
    assert world.service.latest_recalculation().id == newer.id
    assert world.service.latest_recalculation().status == "done"


def test_a_batch_that_keeps_failing_fails_the_run(world):
    run = world.service.request_recalculation(ADMIN)
    world.queue.clear()
    world.pages.fail = 5
    assert world.service.process_batch(run.id, 0) == "retrying"
    assert world.queue[-1] == ({"task": "safety-recalculate", "runId": run.id, "step": 0}, s.RETRY_DELAY_SECONDS)
    assert world.service.process_batch(run.id, 0) == "retrying"
    assert world.service.process_batch(run.id, 0) == "failed"
    failed = world.service.latest_recalculation()
    assert failed.status == "failed" and "throttled" in failed.error and failed.finished_at
    assert world.service.process_batch(run.id, 0) == "finished"


def test_legacy_adult_list_is_the_starting_point(world):
    world.settings.items[s.LEGACY_KEY] = {"adultKeywords": ["orb", "cube"]}
    assert [k.label for k in world.service.keywords("adult")[0]] == ["orb", "cube"]
    labels, _ = world.service.replace_keywords(ADMIN, "adult", ["Orb", "sphere", "orb"])
    assert [k.label for k in labels] == ["orb", "sphere"]
    with pytest.raises(ValidationError) as e:
        world.service.replace_keywords(ADMIN, "adult", ["fine", "x/y"])
    assert e.value.field == "keywords.1"
