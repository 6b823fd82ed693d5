"""Safety screening: adult and illegal keyword lists, tag-frequency thresholds, and their recalculation.

Rules (docs/decisions.md "Safety keywords, thresholds and recalculation"):
- Keywords match whole words, case-insensitively, after Unicode NFKC folding; within a keyword,
  spaces, ``_`` and ``-`` are interchangeable ("pubic hair" matches "Pubic_Hair"). "sex" matches
  "sex, 1girl" and "sex_toy" but not "sussex" or "sexy". Negative prompts never count.
- Images are adult on their positive prompt and tags; models on title, description, trigger words,
  tags, an adult cover, or when the LoRA's training tags that match adult keywords add up to the adult
  threshold (kohya's ``ss_tag_frequency``, summed over versions; 0 disables).
- Illegal keywords in an image's prompt/title/description/tags or a model's texts, or a model's
  illegal-tag frequency reaching the illegal threshold, put the asset in the moderation queue
  (``auto_flag``); the flag is lifted (``auto_clear``) once it no longer matches.

Every change of the lists or thresholds starts a recalculation run that a queued task carries out in
bounded batches; the request only writes the settings and queues the first batch.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import AssetStatus, User
from chalicelib.services.notification_service import new_id

CATEGORIES = ("adult", "illegal")
MAX_KEYWORDS = 500  # per category: the list is one settings item and one compiled pattern
MAX_LABEL = 60
MAX_THRESHOLD = 10_000
DEFAULT_KEYWORDS = {
    "adult": ["nsfw", "nude", "nudity", "naked", "explicit", "porn", "sex", "hentai", "topless"],
    # Review triggers, not verdicts: an admin decides. Ambiguous words ("kid", "teen", "child") are left
    # to the admins because they mostly hit innocent text.
    "illegal": ["loli", "lolicon", "shota", "shotacon", "underage", "bestiality", "zoophilia"],
}
DEFAULT_THRESHOLDS = {"adult": 15, "illegal": 1}
LEGACY_KEY = "safety"  # the earlier single adult list
THRESHOLDS_KEY = "safety#thresholds"
RUN_KEY = "safety#recalculation"
WRITE_ATTEMPTS = 8
BATCH_SIZE = 100
BATCH_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 30
PUNCTUATION = set(" '.+&#")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def keywords_key(category: str) -> str:
    return f"safety#keywords#{category}"


# -- matching -----------------------------------------------------------------------------
_SEPARATORS = re.compile(r"[\s_\-]+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def normalize_label(raw: str, field_name: str = "label") -> str:
    """The stored form of a keyword: folded, separators collapsed to single spaces."""
    label = _SEPARATORS.sub(" ", fold(raw or "")).strip()
    if not label:
        raise ValidationError("A keyword needs at least one letter or digit", field=field_name)
    if len(label) > MAX_LABEL:
        raise ValidationError(f"Keywords are at most {MAX_LABEL} characters", field=field_name)
    allowed = all(unicodedata.category(ch)[0] in "LMN" or ch in PUNCTUATION for ch in label)
    if not allowed or not any(unicodedata.category(ch)[0] in "LN" for ch in label):
        raise ValidationError("Keywords may contain letters, digits, spaces, hyphens, underscores and ' . + & #",
                              field=field_name)
    return label


def keyword_id(category: str, label: str) -> str:
    """Stable (a re-added keyword gets its old id back) and distinct across the two lists."""
    return hashlib.sha256(f"{category}:{label}".encode()).hexdigest()[:12]


@lru_cache(maxsize=64)
def _pattern(labels: tuple[str, ...]) -> re.Pattern | None:
    alternatives = sorted({r"[\s_\-]+".join(re.escape(word) for word in label.split(" ")) for label in labels if label},
                          key=len, reverse=True)
    if not alternatives:
        return None
    # Not preceded or followed by a letter or digit; "_" and "-" count as separators.
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")


def _compiled(keywords) -> re.Pattern | None:
    return _folded_pattern(tuple(keywords))


@lru_cache(maxsize=64)
def _folded_pattern(keywords: tuple[str, ...]) -> re.Pattern | None:
    return _pattern(tuple(sorted({_SEPARATORS.sub(" ", fold(k)).strip() for k in keywords if isinstance(k, str)})))


def matches(keywords, texts) -> list[str]:
    """The keywords found in ``texts`` (whole words), in their stored form."""
    pattern = _compiled(keywords)
    if pattern is None:
        return []
    found = set()
    for text in texts:
        if isinstance(text, str) and text:
            found.update(_SEPARATORS.sub(" ", m.group(0)) for m in pattern.finditer(fold(text)))
    return sorted(found)


def tag_score(keywords, versions) -> tuple[int, dict[str, int]]:
    """Sum of the training-tag counts (``metadata["tagFrequency"]``) whose tag matches a keyword, over
    all versions, and the matching tags with their counts."""
    pattern = _compiled(keywords)
    counts: dict[str, int] = {}
    if pattern is None:
        return 0, counts
    for version in versions:
        frequencies = (version.metadata or {}).get("tagFrequency")
        if not isinstance(frequencies, dict):
            continue
        for tag, count in frequencies.items():
            if isinstance(count, bool) or not isinstance(count, int | float) or count <= 0:
                continue
            if isinstance(tag, str) and pattern.search(fold(tag)):
                counts[tag] = counts.get(tag, 0) + int(count)
    return sum(counts.values()), counts


class AdultKeywords(list):
    """The adult keyword labels, carrying the tag-frequency threshold, so that every caller of
    :func:`model_is_adult` (ingest, edits, the recalculation) applies the same rule."""

    def __init__(self, labels, tag_threshold: int = 0) -> None:
        super().__init__(labels)
        self.tag_threshold = tag_threshold


def image_is_adult(keywords, meta: dict, tags: list[str]) -> bool:
    """Positive prompt and tags only: a negative prompt that says "nsfw" makes nothing adult."""
    return bool(matches(keywords, [(meta or {}).get("prompt") or "", *tags]))


def model_is_adult(keywords, model, versions: list, cover) -> bool:
    if cover is not None and cover.is_adult:
        return True
    if matches(keywords, [model.title, model.description, *model.trigger_words, *model.tags]):
        return True
    threshold = getattr(keywords, "tag_threshold", 0)
    return bool(threshold) and tag_score(keywords, versions)[0] >= threshold


@dataclass(frozen=True)
class Verdict:
    adult: bool
    reasons: list[str] = field(default_factory=list)  # why the asset needs review; empty: it does not


@dataclass(frozen=True)
class SafetyRules:
    adult: tuple[str, ...]
    illegal: tuple[str, ...]
    adult_threshold: int
    illegal_threshold: int

    def adult_keywords(self) -> AdultKeywords:
        return AdultKeywords(self.adult, self.adult_threshold)

    def judge_image(self, image) -> Verdict:
        meta = image.meta or {}
        prompt = meta.get("prompt") if isinstance(meta.get("prompt"), str) else ""
        found = matches(self.illegal, [prompt, image.title, image.description, *image.tags])
        return Verdict(image_is_adult(self.adult_keywords(), meta, image.tags),
                       [f"illegal keyword: {k}" for k in found])

    def judge_model(self, model, versions: list, cover) -> Verdict:
        found = matches(self.illegal, [model.title, model.description, *model.trigger_words, *model.tags])
        reasons = [f"illegal keyword: {k}" for k in found]
        if self.illegal_threshold:
            score, tags = tag_score(self.illegal, versions)
            if score >= self.illegal_threshold:
                examples = ", ".join(f"{t} ×{n}" for t, n in sorted(tags.items(), key=lambda i: -i[1])[:5])
                reasons.append(f"metadata: illegal tags {score} ≥ {self.illegal_threshold} ({examples})")
        return Verdict(model_is_adult(self.adult_keywords(), model, versions, cover), reasons)


# -- records --------------------------------------------------------------------------------
@dataclass
class SafetyKeyword:
    id: str
    label: str
    category: str
    created_at: float
    created_by: str | None = None


@dataclass
class RecalculationRun:
    id: str
    trigger: str  # what started it, e.g. "keyword.add", "thresholds", "manual"
    created_at: float
    status: str = QUEUED
    phase: str = "image"  # images first: a model is adult when its cover is
    cursor: str | None = None
    step: int = 0  # the batch the next message carries; a message for an older step is a redelivery
    queued_step: int = 0  # the last step whose message was sent
    attempts: int = 0  # failed attempts of the current step
    scanned: int = 0
    total: int | None = None
    adult_marked: int = 0
    adult_cleared: int = 0
    flagged: int = 0
    cleared: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    requested_by: str | None = None
    supersedes: str | None = None
    error: str | None = None

    @classmethod
    def load(cls, data: dict) -> RecalculationRun:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("step", "queued_step", "attempts", "scanned", "adult_marked", "adult_cleared", "flagged", "cleared"):
            values[name] = int(values.get(name) or 0)
        return cls(**values)


@dataclass
class _Tally:
    adult_marked: int = 0
    adult_cleared: int = 0
    flagged: int = 0
    cleared: int = 0


# -- the service ------------------------------------------------------------------------------
class SafetyService:
    def __init__(self, repo, pages, catalog, indexer, queue: Callable, moderation: Callable, audit: Callable,
                 clock=time.time) -> None:
        self._repo = repo  # the settings repository (conditional writes: put_if)
        self._pages = pages  # AssetPages
        self._models, self._versions, self._images = catalog.models, catalog.versions, catalog.images
        self._indexer = indexer
        self._queue = queue  # callable(message, delay_seconds=0): the ingest task queue
        self._moderation = moderation  # callable() -> the moderation service (auto_flag / auto_clear)
        self._audit = audit  # callable() -> the audit service
        self._clock = clock

    # -- rules ---------------------------------------------------------------------------
    def rules(self) -> SafetyRules:
        thresholds = self.thresholds()
        return SafetyRules(tuple(k.label for k in self._stored("adult")[0]),
                           tuple(k.label for k in self._stored("illegal")[0]),
                           thresholds["adult"], thresholds["illegal"])

    def adult_keywords(self) -> AdultKeywords:
        return self.rules().adult_keywords()

    def flag(self, kind: str, asset_id: str, reasons: list[str]) -> bool:
        """Queue an asset for review with the screening's reasons (ingest and the recalculation)."""
        return bool(self._moderation().auto_flag(kind, asset_id, reasons))

    # -- keywords ------------------------------------------------------------------------
    def keywords(self, category: str | None) -> tuple[list[SafetyKeyword], dict[str, int]]:
        lists = {c: self._stored(c)[0] for c in CATEGORIES}
        items = [k for c in CATEGORIES if category in (None, c) for k in lists[c]]
        return items, {c: len(lists[c]) for c in CATEGORIES}

    def add_keyword(self, actor: User, category: str, raw_label: str) -> tuple[SafetyKeyword, RecalculationRun]:
        label = normalize_label(raw_label)
        keyword = SafetyKeyword(keyword_id(category, label), label, category, self._clock(), actor.id)

        def add(current: list[SafetyKeyword]) -> list[SafetyKeyword]:
            if any(k.label == label for k in current):
                raise Conflict(f"“{label}” is already an {category} keyword", field="label")
            if len(current) >= MAX_KEYWORDS:
                raise Conflict(f"The {category} list is full ({MAX_KEYWORDS} keywords); remove some first",
                               field="label")
            return [*current, keyword]

        self._change_list(category, add)
        self._audit().record(actor, "safety.keyword.add", "safety-keyword", keyword.id,
                             {"category": category, "label": label})
        return keyword, self.start_recalculation(actor, "keyword.add")

    def remove_keyword(self, actor: User, category: str, reference: str) -> tuple[SafetyKeyword, RecalculationRun]:
        """Remove by id or by label (in any spelling that normalises to it)."""
        try:
            label = normalize_label(reference)
        except ValidationError:
            label = None
        removed: list[SafetyKeyword] = []

        def remove(current: list[SafetyKeyword]) -> list[SafetyKeyword]:
            hit = next((k for k in current if k.id == reference), None) or next(
                (k for k in current if k.label == label), None)
            if hit is None:
                raise NotFound(f"No such {category} keyword")
            removed[:] = [hit]
            return [k for k in current if k.id != hit.id]

        self._change_list(category, remove)
        keyword = removed[0]
        self._audit().record(actor, "safety.keyword.remove", "safety-keyword", keyword.id,
                             {"category": category, "label": keyword.label})
        return keyword, self.start_recalculation(actor, "keyword.remove")

    def replace_keywords(self, actor: User, category: str, raw_labels: list[str]) -> tuple[list[SafetyKeyword], RecalculationRun]:
        """Replace a whole list (the older adult-keywords API). Existing entries keep their dates."""
        labels = list(dict.fromkeys(normalize_label(raw, f"keywords.{i}") for i, raw in enumerate(raw_labels)))
        if len(labels) > MAX_KEYWORDS:
            raise ValidationError(f"At most {MAX_KEYWORDS} keywords", field="keywords")
        now = self._clock()

        def replace(current: list[SafetyKeyword]) -> list[SafetyKeyword]:
            existing = {k.label: k for k in current}
            return [existing.get(label) or SafetyKeyword(keyword_id(category, label), label, category, now, actor.id)
                    for label in labels]

        result = self._change_list(category, replace)
        self._audit().record(actor, "safety.keywords.replace", "safety-keyword", category,
                             {"category": category, "count": len(result)})
        return result, self.start_recalculation(actor, "keywords.replace")

    def _stored(self, category: str) -> tuple[list[SafetyKeyword], int]:
        """The list and the version it was read at (0: never written, the defaults apply)."""
        data = self._repo.get(keywords_key(category))
        if data is not None:
            return [_keyword(category, k) for k in data.get("keywords") or []], int(data.get("version") or 0)
        labels = DEFAULT_KEYWORDS[category]
        if category == "adult":
            legacy = self._repo.get(LEGACY_KEY) or {}
            labels = legacy.get("adultKeywords", labels)
        return [SafetyKeyword(keyword_id(category, label), label, category, 0.0) for label in labels], 0

    def _change_list(self, category: str, change: Callable[[list[SafetyKeyword]], list[SafetyKeyword]]) -> list[SafetyKeyword]:
        """Read-change-write with a condition on the version read; a concurrent writer makes us re-read
        and re-apply the change (which may now fail, e.g. the same keyword added twice)."""
        for _ in range(WRITE_ATTEMPTS):
            current, version = self._stored(category)
            updated = change(current)
            data = {"version": version + 1, "keywords": [_keyword_data(k) for k in updated]}
            if self._repo.put_if(keywords_key(category), data, {"version": version} if version else None):
                return updated
        raise Conflict("The keyword list is being changed by someone else; try again")

    # -- thresholds ------------------------------------------------------------------------
    def thresholds(self) -> dict[str, int]:
        stored = self._repo.get(THRESHOLDS_KEY) or {}
        return {c: int(stored.get(c, DEFAULT_THRESHOLDS[c])) for c in CATEGORIES}

    def update_thresholds(self, actor: User, adult: int, illegal: int) -> tuple[dict[str, int], RecalculationRun | None]:
        """Unchanged values start nothing, so a retried PUT does not restart a full recalculation."""
        for name, value in (("adult", adult), ("illegal", illegal)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THRESHOLD:
                raise ValidationError(f"{name} is a whole number from 0 to {MAX_THRESHOLD}", field=name)
        before, after = self.thresholds(), {"adult": adult, "illegal": illegal}
        if before == after:
            return after, None
        self._repo.put(THRESHOLDS_KEY, after)
        self._audit().record(actor, "safety.thresholds.update", "safety-thresholds", "thresholds",
                             {"before": before, "after": after})
        return after, self.start_recalculation(actor, "thresholds")

    # -- recalculation ----------------------------------------------------------------------
    def latest_recalculation(self) -> RecalculationRun | None:
        data = self._repo.get(RUN_KEY)
        return RecalculationRun.load(data) if data else None

    def request_recalculation(self, actor: User) -> RecalculationRun:
        run = self.start_recalculation(actor, "manual")
        self._audit().record(actor, "safety.recalculate", "safety-recalculation", run.id, {})
        return run

    def start_recalculation(self, actor: User | None, trigger: str) -> RecalculationRun:
        """Record a new run (it supersedes any unfinished one: that one stops at its next batch) and
        queue its first batch. Nothing is evaluated here."""
        previous = self.latest_recalculation()
        run = RecalculationRun(new_id(self._clock()), trigger, self._clock(), requested_by=actor.id if actor else None,
                               supersedes=previous.id if previous and previous.status in (QUEUED, RUNNING) else None)
        self._repo.put(RUN_KEY, dataclasses.asdict(run))
        self._send(run)
        return run

    def process_batch(self, run_id: str, step: int) -> str:
        """Carry out one batch of a run (the task). Safe under redelivery: a batch already committed
        changes nothing; a superseded run does nothing."""
        run = self.latest_recalculation()
        if run is None or run.id != run_id:
            return "superseded"
        if run.status in (DONE, FAILED):
            return "finished"
        if step < run.step:
            if run.queued_step < run.step:  # committed, but the next message was never sent
                self._send(run)
            return "duplicate"
        if step > run.step:
            return "out-of-order"
        try:
            return self._advance(run)
        except Exception as error:  # counted and retried below; after BATCH_ATTEMPTS the run fails
            return self._failed_attempt(run_id, step, error)

    def _advance(self, run: RecalculationRun) -> str:
        rules, now, step = self.rules(), self._clock(), run.step
        if run.status == QUEUED:
            run.status, run.started_at, run.total = RUNNING, now, self._pages.approximate_total()
        records, cursor = self._pages.page(run.phase, run.cursor, BATCH_SIZE)
        tally = self._images_batch(records, rules) if run.phase == "image" else self._models_batch(records, rules)
        for name, value in dataclasses.asdict(tally).items():
            setattr(run, name, getattr(run, name) + value)
        run.scanned += len(records)
        if cursor:
            run.cursor = cursor
        elif run.phase == "image":
            run.phase, run.cursor = "model", None
        else:
            run.status, run.cursor, run.finished_at = DONE, None, self._clock()
        run.step, run.attempts = step + 1, 0
        if not self._repo.put_if(RUN_KEY, dataclasses.asdict(run), {"id": run.id, "step": step}):
            return "lost"  # superseded meanwhile, or a duplicate delivery committed this batch first
        if run.status == RUNNING:
            self._send(run)
        return run.status

    def _failed_attempt(self, run_id: str, step: int, error: Exception) -> str:
        run = self.latest_recalculation()
        if run is None or run.id != run_id or run.step != step:
            return "lost"
        run.attempts += 1
        if run.attempts >= BATCH_ATTEMPTS:
            run.status, run.finished_at = FAILED, self._clock()
            run.error = f"{type(error).__name__}: {error}"[:300]
        if self._repo.put_if(RUN_KEY, dataclasses.asdict(run), {"id": run_id, "step": step}) and run.status != FAILED:
            self._queue({"task": "safety-recalculate", "runId": run.id, "step": run.step},
                        delay_seconds=RETRY_DELAY_SECONDS * run.attempts)
        return "failed" if run.status == FAILED else "retrying"

    def _send(self, run: RecalculationRun) -> None:
        self._queue({"task": "safety-recalculate", "runId": run.id, "step": run.step})
        if run.queued_step < run.step:
            marked = dataclasses.replace(run, queued_step=run.step)
            if self._repo.put_if(RUN_KEY, dataclasses.asdict(marked), {"id": run.id, "step": run.step}):
                run.queued_step = run.step

    def _images_batch(self, images: list, rules: SafetyRules) -> _Tally:
        tally = _Tally()
        for image in images:
            if image.status != AssetStatus.READY or image.moderation == "removed":
                continue
            verdict = rules.judge_image(image)
            self._apply("image", image, verdict, self._images, tally)
        return tally

    def _models_batch(self, models: list, rules: SafetyRules) -> _Tally:
        tally = _Tally()
        ready = [m for m in models if m.status == AssetStatus.READY and m.moderation != "removed"]
        covers = self._images.get_many(m.cover_image_id for m in ready if m.cover_image_id)
        for model in ready:
            verdict = rules.judge_model(model, self._versions.for_model(model.id), covers.get(model.cover_image_id))
            self._apply("model", model, verdict, self._models, tally)
        return tally

    def _apply(self, kind: str, asset, verdict: Verdict, repo, tally: _Tally) -> None:
        if verdict.adult != asset.is_adult and repo.update(asset.id, is_adult=verdict.adult):
            if verdict.adult:
                tally.adult_marked += 1
            else:
                tally.adult_cleared += 1
            self._indexer.refresh_or_queue(kind, asset.id)
        if verdict.reasons:
            tally.flagged += self.flag(kind, asset.id, verdict.reasons)
        elif asset.moderation == "flagged":
            # Only automatic flags are lifted; a member's report stays for the admins.
            tally.cleared += bool(self._moderation().auto_clear(kind, asset.id))


def _keyword(category: str, data: dict) -> SafetyKeyword:
    return SafetyKeyword(data["id"], data["label"], category, float(data.get("createdAt") or 0),
                         data.get("createdBy"))


def _keyword_data(k: SafetyKeyword) -> dict:
    return {"id": k.id, "label": k.label, "createdAt": k.created_at, "createdBy": k.created_by}
