"""Curator rankings: scores, tiers, the public leaderboard and the administrators' controls.

A user's score counts their **public, active, ready** models, galleries and images (what any guest or
member could find in the explorers, adult included): the same number for every viewer. The counts
come from the search index's per-owner counters (``O:<user>`` in the public audiences), so a rank
costs a few BatchGets and never a scan of anyone's assets.

``score = max(0, models*wm + galleries*wg + images*wi - reset baseline)``. A reset stores the counts
at that moment; the baseline is those counts under the *current* weights, so it equals "minus the
base score at reset" until the weights change, and stays meaningful after they do.

The leaderboard reads a stored copy of each score (``repositories/rankings.py``), refreshed in the
background when a user's public contributions change (a debounced ``rank-refresh`` task queued by the
search indexer) and for everyone when the weights change (``rank-recompute``, batched, self-re-queuing).
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import Role, User
from chalicelib.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:  # repository modules bind their tables at import; only the type is needed here
    from chalicelib.repositories.rankings import RankingState

log = logging.getLogger(__name__)

PUBLIC_AUDIENCES = ["s", "x"]  # public safe and public adult: rank never depends on who is looking
KINDS = (("models", "model"), ("galleries", "gallery"), ("images", "image"))
WEIGHTS_KEY, TIERS_KEY, PROGRESS_KEY = "ranking#weights", "ranking#tiers", "ranking#recompute"
MAX_WEIGHT = 1000
MAX_TIERS = 50
MAX_MINIMUM_SCORE = 10**9
MAX_POSITION = 10_000
LABEL_RANGE = (2, 120)
MAX_DESCRIPTION = 600
RECOMPUTE_BATCH = 100
WRITE_RETRIES = 5
BOARD_ROUNDS = 5  # leaderboard reads per request at most (inactive users are skipped, not shown)
BLOCKED_LABEL = "Ranking Blocked"
BLOCKED_DESCRIPTION = "This curator is excluded from the public ranking ladder by an administrator."
UNRANKED_LABEL = "Unranked"
MAX_TIMESTAMP = 10**11  # cursor times beyond this (or NaN) are forged: DynamoDB would refuse the number


@dataclass(frozen=True)
class Weights:
    model: int = 3
    gallery: int = 2
    image: int = 1

    def base(self, counts: dict | None) -> int:
        c = counts or {}
        return int(c.get("models", 0)) * self.model + int(c.get("galleries", 0)) * self.gallery \
            + int(c.get("images", 0)) * self.image


@dataclass
class Tier:
    id: str
    label: str
    description: str
    minimum_score: int
    position: int = 0
    is_active: bool = True
    created_at: float = 0.0
    updated_at: float = 0.0


FALLBACK_TIERS = (
    Tier("fallback-newcomer", "Newcomer", "Getting started: the first public uploads and collections.", 0, 0),
    Tier("fallback-curator", "Curator", "A regular contributor with a growing public catalogue.", 6, 1),
    Tier("fallback-senior-curator", "Senior Curator", "A well-established curator the community relies on.", 18, 2),
    Tier("fallback-master-curator", "Master Curator", "One of the platform's most prolific curators.", 40, 3),
)


@dataclass
class TierChanges:
    """A partial tier edit: only the fields that are not None change."""

    label: str | None = None
    description: str | None = None
    minimum_score: int | None = None
    position: int | None = None
    is_active: bool | None = None


@dataclass
class LeaderboardEntry:
    position: int
    user: User
    rank: dict
    avatar: dict | None = None  # thumbnail URLs, when the viewer may see the avatar


@dataclass
class Leaderboard:
    entries: list[LeaderboardEntry]
    cursor: str | None


@dataclass
class RankingSettings:
    weights: Weights
    is_fallback: bool
    recompute: dict = field(default_factory=dict)


# -- pure rules --------------------------------------------------------------------------------
def score_of(counts: dict | None, weights: Weights, reset_counts: dict | None = None) -> int:
    return max(0, weights.base(counts) - (weights.base(reset_counts) if reset_counts else 0))


def active_tiers(tiers: list[Tier]) -> list[Tier]:
    """The ladder in use: active stored tiers, or the fallback ladder when there are none."""
    active = [t for t in tiers if t.is_active]
    return sorted(active or FALLBACK_TIERS, key=lambda t: (t.minimum_score, t.position, t.id))


def resolve(score: int, tiers: list[Tier], blocked: bool = False, counts: dict | None = None) -> dict:
    ladder = active_tiers(tiers)
    reached = [t for t in ladder if t.minimum_score <= score]
    above = [t for t in ladder if t.minimum_score > score]
    current, upcoming = (reached[-1] if reached else None), (above[0] if above else None)
    rank = {
        "score": score,
        "label": current.label if current else UNRANKED_LABEL,
        "description": current.description if current else "",
        "minimumScore": current.minimum_score if current else 0,
        "nextLabel": upcoming.label if upcoming else None,
        "nextScore": upcoming.minimum_score if upcoming else None,
        "isBlocked": blocked,
        "counts": {name: int((counts or {}).get(name, 0)) for name, _ in KINDS},
    }
    if blocked:
        rank.update(label=BLOCKED_LABEL, description=BLOCKED_DESCRIPTION, nextLabel=None, nextScore=None)
    return rank


def validate_weights(model: int, gallery: int, image: int) -> Weights:
    for name, value in (("modelWeight", model), ("galleryWeight", gallery), ("imageWeight", image)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            raise ValidationError(f"{name} must be an integer from 0 to {MAX_WEIGHT}", field=name)
    return Weights(model, gallery, image)


def _clean_label(value: str) -> str:
    label = " ".join(str(value).split())
    if not LABEL_RANGE[0] <= len(label) <= LABEL_RANGE[1] or not label.isprintable():
        raise ValidationError(f"label must have {LABEL_RANGE[0]} to {LABEL_RANGE[1]} printable characters", field="label")
    return label


def _clean_description(value: str) -> str:
    text = str(value).strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"description may have at most {MAX_DESCRIPTION} characters", field="description")
    return text


def _check_int(name: str, value, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise ValidationError(f"{name} must be an integer from 0 to {upper}", field=name)
    return value


def _tier_from_doc(d: dict) -> Tier:
    return Tier(id=str(d["id"]), label=str(d["label"]), description=str(d.get("description") or ""),
                minimum_score=int(d["minimumScore"]), position=int(d.get("position") or 0),
                is_active=bool(d.get("isActive", True)), created_at=float(d.get("createdAt") or 0),
                updated_at=float(d.get("updatedAt") or 0))


def _tier_to_doc(t: Tier) -> dict:
    return {"id": t.id, "label": t.label, "description": t.description, "minimumScore": t.minimum_score,
            "position": t.position, "isActive": t.is_active, "createdAt": t.created_at, "updatedAt": t.updated_at}


class RankingService:
    def __init__(self, repo, config, index, users, queue, audit, avatars=None, refresh_window: int = 60,
                 cache_seconds: float = 2.0, clock=time.time) -> None:
        self._repo = repo  # RankingRepository
        self._config = config  # the settings repository (versioned documents)
        self._index = index  # SearchIndexRepository (per-owner counters)
        self._users = users
        self._queue = queue  # (message, delay_seconds) -> queues a background task
        self._audit = audit  # () -> AuditService
        self._avatars = avatars  # (viewer, users) -> {user id: thumbnail URLs} for avatars the viewer may see
        self._window = refresh_window
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, object]] = {}

    # -- configuration --------------------------------------------------------------------------
    def _cached(self, key: str, load):
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        value = load()
        self._cache[key] = (time.monotonic(), value)
        return value

    def _weights_doc(self) -> tuple[Weights, bool, float | None]:
        data, version = self._config.get_versioned(WEIGHTS_KEY)
        if not data:
            return Weights(), True, version
        return Weights(int(data.get("model", 3)), int(data.get("gallery", 2)), int(data.get("image", 1))), False, version

    def weights(self) -> Weights:
        return self._cached(WEIGHTS_KEY, lambda: self._weights_doc()[0])

    def _tiers_doc(self) -> tuple[list[Tier], float | None]:
        data, version = self._config.get_versioned(TIERS_KEY)
        return [_tier_from_doc(d) for d in (data or {}).get("tiers", [])], version

    def _tiers(self) -> list[Tier]:
        return self._cached(TIERS_KEY, lambda: self._tiers_doc()[0])

    # -- counting -------------------------------------------------------------------------------
    def counts_of(self, user_ids: list[str]) -> dict[str, dict]:
        """Public, active, ready contributions per user, from the search index counters."""
        ids = list(dict.fromkeys(user_ids))
        counts = {uid: {name: 0 for name, _ in KINDS} for uid in ids}
        if not ids:
            return counts
        terms = [f"O:{uid}" for uid in ids]
        for name, kind in KINDS:
            for term, n in self._index.counts(kind, PUBLIC_AUDIENCES, terms).items():
                counts[term[2:]][name] = max(0, int(n))
        return counts

    # -- reading ranks --------------------------------------------------------------------------
    def rank_of(self, user_id: str) -> dict:
        return self.ranks_of([user_id])[user_id]

    def ranks_of(self, user_ids) -> dict[str, dict]:
        """Current ranks (live counts, stored reset and block state), identical for every viewer."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return {}
        counts = self.counts_of(ids)
        states = self._repo.get_many(ids)
        weights, tiers = self.weights(), self._tiers()
        ranks = {}
        for uid in ids:
            state = states.get(uid) or self._repo.blank(uid)
            ranks[uid] = resolve(score_of(counts[uid], weights, state.reset_counts), tiers, state.blocked, counts[uid])
        return ranks

    def user_rank(self, viewer: User | None, user_id: str) -> tuple[User, dict, RankingState | None]:
        """A user's public rank (404 for unknown or deactivated accounts, except to administrators);
        the stored state is returned to administrators only."""
        user = self._users.get(user_id)
        admin = viewer is not None and viewer.role >= Role.ADMIN
        if user is None or (not user.is_active and not admin):
            raise NotFound("User not found")
        state = (self._repo.get(user_id) or self._repo.blank(user_id)) if admin else None
        return user, self.rank_of(user_id), state

    def leaderboard(self, viewer: User | None, cursor: str | None, page_size: int) -> Leaderboard:
        """Users by score, highest first. A listing is a walk of the users whose place did not change
        while it was being read: each user appears at most once; a user whose score changed after the
        first page was served is left out of the later pages (a new listing shows them in their new
        place). Blocked, deactivated and zero-score users are never listed."""
        position = decode_cursor(cursor, {"board": "leaderboard"})
        if position is None:
            before, since, shown = None, self._clock(), 0
        else:
            before, since, shown = position.get("l"), position.get("t"), position.get("n")
            if not (isinstance(before, str) and 0 < len(before) <= 200 and isinstance(since, int | float)
                    and not isinstance(since, bool) and 0 <= since <= MAX_TIMESTAMP and isinstance(shown, int)
                    and not isinstance(shown, bool) and 0 <= shown <= MAX_MINIMUM_SCORE):
                raise ValidationError("Malformed cursor", field="cursor")
        kept: list[tuple[RankingState, User]] = []
        exhausted = False
        for _ in range(BOARD_ROUNDS):
            states, exhausted = self._repo.board_page(before, since, page_size + 1 - len(kept))
            users = self._users.get_many(s.user_id for s in states)
            for s in states:
                user = users.get(s.user_id)
                if user is not None and user.is_active:
                    kept.append((s, user))
            if states:
                before = states[-1].ladder
            if exhausted or len(kept) > page_size:
                break
        page = kept[:page_size]
        more = len(kept) > page_size or not exhausted
        last = page[-1][0].ladder if len(kept) > page_size else before
        next_cursor = encode_cursor({"l": last, "t": since, "n": shown + len(page)}, {"board": "leaderboard"}) \
            if more and last else None
        tiers = self._tiers()
        avatars = self._avatars(viewer, [user for _, user in page]) if self._avatars and page else {}
        entries = [LeaderboardEntry(shown + i + 1, user, resolve(s.score, tiers, s.blocked, s.counts),
                                    avatars.get(user.id) or None) for i, (s, user) in enumerate(page)]
        return Leaderboard(entries, next_cursor)

    # -- keeping stored scores current ----------------------------------------------------------
    def contributions_changed(self, user_id: str) -> None:
        """A public asset of this user appeared, disappeared or changed hands: refresh their stored
        score once the window has passed (one refresh per window, however many changes)."""
        now = self._clock()
        try:
            if self._repo.claim_refresh(user_id, now + self._window + 60, now):
                try:
                    self._queue({"task": "rank-refresh", "userId": user_id}, self._window)
                except Exception:
                    self._repo.release_refresh(user_id)
                    raise
        except Exception:
            # The change itself already succeeded; the board catches up on the next change or recompute.
            log.exception("could not queue a ranking refresh", extra={"userId": user_id})

    def refresh_queued(self, user_id: str) -> None:
        self._repo.release_refresh(user_id)  # first: a change during the refresh queues another
        self.refresh(user_id)

    def refresh(self, user_id: str) -> RankingState:
        return self.refresh_many([user_id])[user_id]

    def refresh_many(self, user_ids: list[str], weights: Weights | None = None) -> dict[str, RankingState]:
        """Store each user's current score and leaderboard place (idempotent; safe to repeat)."""
        ids = list(dict.fromkeys(user_ids))
        weights = weights or self._weights_doc()[0]
        counts = self.counts_of(ids)
        users = self._users.get_many(ids)
        states = self._repo.get_many(ids)
        result = {}
        for uid in ids:
            result[uid] = self._settle(uid, states.get(uid), lambda s, uid=uid: self._rescored(
                s, counts[uid], weights, users.get(uid)))
        return result

    def _rescored(self, state: RankingState, counts: dict, weights: Weights, user: User | None) -> RankingState:
        score = score_of(counts, weights, state.reset_counts)
        listed = user is not None and user.is_active and not state.blocked and score > 0
        moved = listed != state.listed or (listed and score != state.score)
        return replace(state, score=score, counts=counts, listed=listed,
                       scored_at=self._clock() if moved else state.scored_at)

    def _settle(self, user_id: str, state: RankingState | None, change) -> RankingState:
        """Apply ``change`` (state -> new state) with optimistic locking, re-reading on conflict."""
        for _ in range(WRITE_RETRIES):
            current = state or self._repo.blank(user_id)
            updated = change(current)
            if updated == current and current.version:
                return current
            if not current.version and _nothing_to_store(updated):
                return updated  # a user who never scored: no item needed (a missing item means exactly this)
            if self._repo.save(updated, current.version):
                return replace(updated, version=current.version + 1)
            state = self._repo.get(user_id)
        raise Conflict("The ranking of this user is being changed concurrently; try again")

    # -- administration -------------------------------------------------------------------------
    def _target(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise NotFound("User not found")
        return user

    def _admin_change(self, admin: User, user_id: str, action: str, change) -> tuple[User, dict, RankingState]:
        user = self._target(user_id)
        weights = self._weights_doc()[0]
        counts = self.counts_of([user_id])[user_id]
        state = self._settle(user_id, self._repo.get(user_id),
                             lambda s: self._rescored(change(s, counts, weights), counts, weights, user))
        rank = resolve(score_of(counts, weights, state.reset_counts), self._tiers(), state.blocked, counts)
        self._audit().record(admin, action, "user", user_id, {"score": rank["score"], "blocked": state.blocked})
        return user, rank, state

    def reset(self, admin: User, user_id: str) -> tuple[User, dict, RankingState]:
        """The score counts from now: what the user has contributed so far no longer counts."""
        now = self._clock()
        return self._admin_change(admin, user_id, "ranking.reset", lambda s, counts, weights: replace(
            s, reset_counts=dict(counts), last_reset_at=now))

    def set_blocked(self, admin: User, user_id: str, blocked: bool) -> tuple[User, dict, RankingState]:
        return self._admin_change(admin, user_id, "ranking.block" if blocked else "ranking.unblock",
                                  lambda s, counts, weights: replace(s, blocked=blocked))

    # -- weights and the recompute job ----------------------------------------------------------
    def settings(self) -> RankingSettings:
        weights, fallback, _ = self._weights_doc()
        progress, _ = self._config.get_versioned(PROGRESS_KEY)
        return RankingSettings(weights, fallback, _progress_view(progress))

    def set_weights(self, admin: User, weights: Weights) -> RankingSettings:
        """Store new weights and recompute every stored score in the background (never in the request)."""
        weights = validate_weights(weights.model, weights.gallery, weights.image)
        for _ in range(WRITE_RETRIES):
            current, fallback, version = self._weights_doc()
            if current == weights and not fallback:
                return self.settings()  # a repeated request changes nothing and queues nothing
            doc = {"model": weights.model, "gallery": weights.gallery, "image": weights.image}
            if self._config.put_versioned(WEIGHTS_KEY, doc, version):
                break
        else:
            raise Conflict("The ranking weights are being changed concurrently; try again")
        self._cache.pop(WEIGHTS_KEY, None)
        generation = self._start_recompute()
        self._audit().record(admin, "ranking.weights", "ranking", "weights",
                             {"before": _weights_view(current), "after": _weights_view(weights),
                              "generation": generation})
        return self.settings()

    def _start_recompute(self) -> int:
        for _ in range(WRITE_RETRIES):
            progress, version = self._config.get_versioned(PROGRESS_KEY)
            generation = int((progress or {}).get("generation", 0)) + 1
            doc = {"generation": generation, "status": "running", "startedAt": self._clock(), "finishedAt": None,
                   "processed": 0, "after": None}
            if self._config.put_versioned(PROGRESS_KEY, doc, version):
                self._queue({"task": "rank-recompute", "generation": generation, "after": None}, 0)
                return generation
        raise Conflict("A ranking recompute is being started concurrently; try again")

    def recompute_batch(self, generation: int, after: dict | None) -> dict | None:
        """One batch of the recompute job; returns the message for the next batch, None when done.
        A batch of a superseded generation, or one already processed (a redelivery), does nothing."""
        progress, version = self._config.get_versioned(PROGRESS_KEY)
        if not progress or progress.get("generation") != generation or progress.get("status") != "running" \
                or progress.get("after") != after:
            return None
        weights = self._weights_doc()[0]
        users, next_key = self._users.page(after, limit=RECOMPUTE_BATCH, newest_first=False)
        if users:
            self.refresh_many([u.id for u in users], weights)
        done = next_key is None
        doc = {**progress, "processed": int(progress.get("processed", 0)) + len(users), "after": next_key,
               "status": "done" if done else "running", "finishedAt": self._clock() if done else None}
        if not self._config.put_versioned(PROGRESS_KEY, doc, version) or done:
            return None  # another run of this batch (or a newer generation) got there first
        return {"task": "rank-recompute", "generation": generation, "after": next_key}

    # -- tiers ----------------------------------------------------------------------------------
    def tiers(self) -> tuple[list[Tier], bool]:
        stored, _ = self._tiers_doc()
        if not stored:
            return list(FALLBACK_TIERS), True
        return sorted(stored, key=lambda t: (t.minimum_score, t.position, t.id)), False

    def _edit_tiers(self, edit) -> Tier | None:
        for _ in range(WRITE_RETRIES):
            stored, version = self._tiers_doc()
            tiers, result = edit(stored)
            if self._config.put_versioned(TIERS_KEY, {"tiers": [_tier_to_doc(t) for t in tiers]}, version):
                self._cache.pop(TIERS_KEY, None)
                return result
        raise Conflict("The tiers are being changed concurrently; try again")

    @staticmethod
    def _unique_minimum(tiers: list[Tier], minimum: int, except_id: str | None = None) -> None:
        if any(t.minimum_score == minimum and t.id != except_id for t in tiers):
            raise Conflict(f"Another tier already starts at {minimum} points", field="minimumScore")

    def create_tier(self, admin: User, label: str, description: str, minimum_score: int,
                    position: int | None = None, is_active: bool = True) -> Tier:
        label, description = _clean_label(label), _clean_description(description)
        minimum_score = _check_int("minimumScore", minimum_score, MAX_MINIMUM_SCORE)
        if position is not None:
            position = _check_int("position", position, MAX_POSITION)
        now = self._clock()

        def add(stored: list[Tier]):
            if len(stored) >= MAX_TIERS:
                raise ValidationError(f"At most {MAX_TIERS} tiers", field="minimumScore")
            self._unique_minimum(stored, minimum_score)
            pos = position if position is not None else min(MAX_POSITION, max((t.position for t in stored), default=-1) + 1)
            tier = Tier(uuid.uuid4().hex, label, description, minimum_score, pos, bool(is_active), now, now)
            return stored + [tier], tier

        tier = self._edit_tiers(add)
        self._audit().record(admin, "ranking.tier.create", "tier", tier.id,
                             {"label": tier.label, "minimumScore": tier.minimum_score})
        return tier

    def update_tier(self, admin: User, tier_id: str, changes: TierChanges) -> Tier:
        values = {}
        if changes.label is not None:
            values["label"] = _clean_label(changes.label)
        if changes.description is not None:
            values["description"] = _clean_description(changes.description)
        if changes.minimum_score is not None:
            values["minimum_score"] = _check_int("minimumScore", changes.minimum_score, MAX_MINIMUM_SCORE)
        if changes.position is not None:
            values["position"] = _check_int("position", changes.position, MAX_POSITION)
        if changes.is_active is not None:
            values["is_active"] = bool(changes.is_active)

        def edit(stored: list[Tier]):
            found = next((t for t in stored if t.id == tier_id), None)
            if found is None:
                raise NotFound("Tier not found")
            if "minimum_score" in values:
                self._unique_minimum(stored, values["minimum_score"], except_id=tier_id)
            updated = replace(found, **values, updated_at=self._clock()) if values else found
            return [updated if t.id == tier_id else t for t in stored], updated

        tier = self._edit_tiers(edit)
        self._audit().record(admin, "ranking.tier.update", "tier", tier_id, {"changed": sorted(_camel(k) for k in values)})
        return tier

    def delete_tier(self, admin: User, tier_id: str) -> None:
        def remove(stored: list[Tier]):
            if not any(t.id == tier_id for t in stored):
                raise NotFound("Tier not found")
            return [t for t in stored if t.id != tier_id], None

        self._edit_tiers(remove)
        self._audit().record(admin, "ranking.tier.delete", "tier", tier_id, {})


def _nothing_to_store(state: RankingState) -> bool:
    return not (state.score or state.listed or state.blocked or state.reset_counts or any((state.counts or {}).values()))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _weights_view(w: Weights) -> dict:
    return {"modelWeight": w.model, "galleryWeight": w.gallery, "imageWeight": w.image}


def _progress_view(progress: dict | None) -> dict:
    if not progress:
        return {"status": "idle", "generation": 0, "processed": 0, "startedAt": None, "finishedAt": None}
    return {"status": progress.get("status", "idle"), "generation": int(progress.get("generation", 0)),
            "processed": int(progress.get("processed", 0)), "startedAt": progress.get("startedAt"),
            "finishedAt": progress.get("finishedAt")}
