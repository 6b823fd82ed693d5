"""Ranking rules: score arithmetic, tier resolution, weight validation, and the stats audiences."""
from __future__ import annotations

import pytest

from chalicelib.errors import ValidationError
from chalicelib.models import Role, User
from chalicelib.services.ranking_service import (
    BLOCKED_LABEL,
    FALLBACK_TIERS,
    UNRANKED_LABEL,
    Tier,
    Weights,
    resolve,
    score_of,
    validate_weights,
)
from chalicelib.services.stats_service import StatsService


def counts(models=0, galleries=0, images=0):
    return {"models": models, "galleries": galleries, "images": images}


def tier(label, minimum, position=0, active=True, tier_id=None):
    return Tier(tier_id or label.lower(), label, f"{label} tier", minimum, position, active)


def test_score_weights_counts_and_default_weights():
    assert score_of(counts(2, 1, 5), Weights()) == 2 * 3 + 1 * 2 + 5 * 1
    assert score_of(counts(2, 1, 5), Weights(10, 0, 1)) == 25
    assert score_of(counts(), Weights()) == 0
    assert score_of(None, Weights()) == 0


def test_reset_baseline_counts_from_the_reset_and_never_goes_negative():
    at_reset = counts(4, 2, 10)
    assert score_of(at_reset, Weights(), reset_counts=at_reset) == 0
    assert score_of(counts(5, 2, 12), Weights(), reset_counts=at_reset) == 3 + 2
    # Content deleted after a reset: the score floors at zero instead of going negative.
    assert score_of(counts(1, 0, 0), Weights(), reset_counts=at_reset) == 0
    # Weights changed after the reset: only what was added since counts, under the new weights.
    assert score_of(counts(5, 2, 12), Weights(100, 1, 1), reset_counts=at_reset) == 100 + 2


@pytest.mark.parametrize("score,label,next_label,next_score", [
    (0, "Newcomer", "Curator", 6),
    (5, "Newcomer", "Curator", 6),
    (6, "Curator", "Senior Curator", 18),
    (17, "Curator", "Senior Curator", 18),
    (18, "Senior Curator", "Master Curator", 40),
    (40, "Master Curator", None, None),
    (10**6, "Master Curator", None, None),
])
def test_fallback_ladder(score, label, next_label, next_score):
    rank = resolve(score, [])
    assert (rank["label"], rank["nextLabel"], rank["nextScore"], rank["score"]) == (label, next_label, next_score, score)
    assert rank["isBlocked"] is False and rank["description"]
    assert [t.minimum_score for t in FALLBACK_TIERS] == [0, 6, 18, 40]


def test_stored_tiers_replace_the_fallback_and_inactive_tiers_are_skipped():
    tiers = [tier("Gold", 100), tier("Bronze", 10), tier("Silver", 50, active=False)]
    assert resolve(60, tiers)["label"] == "Bronze"
    assert resolve(60, tiers)["nextLabel"] == "Gold"
    assert resolve(60, tiers)["minimumScore"] == 10
    # Below every defined tier: unranked, with the first tier as the goal.
    low = resolve(3, tiers)
    assert (low["label"], low["minimumScore"], low["nextLabel"], low["nextScore"]) == (UNRANKED_LABEL, 0, "Bronze", 10)
    # Only inactive tiers left: the built-in ladder applies again.
    assert resolve(60, [tier("Silver", 50, active=False)])["label"] == "Master Curator"


def test_tier_order_is_deterministic_for_equal_minimums():
    # Equal minimums cannot be stored (409), but resolution must not depend on storage order anyway.
    a, b = tier("Alpha", 5, position=2, tier_id="a"), tier("Beta", 5, position=1, tier_id="b")
    assert resolve(5, [a, b])["label"] == resolve(5, [b, a])["label"] == "Alpha"


def test_blocked_rank_keeps_the_score_but_not_the_ladder():
    rank = resolve(25, [], blocked=True, counts=counts(5, 5, 0))
    assert rank["label"] == BLOCKED_LABEL and rank["isBlocked"] is True
    assert rank["score"] == 25 and rank["nextLabel"] is None and rank["nextScore"] is None
    assert rank["counts"] == {"models": 5, "galleries": 5, "images": 0}


@pytest.mark.parametrize("values,field", [
    ((-1, 2, 1), "modelWeight"), ((3, 1001, 1), "galleryWeight"), ((3, 2, 1.5), "imageWeight"),
    ((True, 2, 1), "modelWeight"), ((3, "2", 1), "galleryWeight"),
])
def test_weight_validation(values, field):
    with pytest.raises(ValidationError) as e:
        validate_weights(*values)
    assert e.value.field == field


def test_weight_bounds_accepted():
    assert validate_weights(0, 1000, 0) == Weights(0, 1000, 0)


class FakeIndex:
    """Counters by (kind, audience, term); mirrors SearchIndexRepository.counts()."""

    def __init__(self, counters):
        self.counters = counters
        self.requests = []

    def counts(self, kind, audiences, terms):
        self.requests.append((kind, tuple(audiences), tuple(terms)))
        return {t: sum(self.counters.get((kind, a, t), 0) for a in audiences) for t in terms}


def _user(role=Role.USER, show_adult=False, uid="me"):
    return User(uid, "e@x.test", "Me", role, "", 0.0, 0.0, show_adult=show_adult)


def test_stats_audiences_per_viewer():
    counters = {("model", "s", "A"): 10, ("model", "x", "A"): 4, ("model", "h", "A"): 7,
                ("model", "x", "O:me"): 1, ("model", "h", "O:me"): 2, ("model", "s", "O:me"): 3}
    service = StatsService(FakeIndex(counters))
    assert service.stats(None)["models"] == 10
    assert service.stats(_user())["models"] == 10 + 1 + 2  # own adult and hidden items, not others'
    assert service.stats(_user(show_adult=True))["models"] == 10 + 4 + 2
    assert service.stats(_user(role=Role.ADMIN))["models"] == 10 + 4 + 7
    other = _user(uid="someone-else")
    assert service.stats(other)["models"] == 10
