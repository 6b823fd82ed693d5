"""Per-user ranking state (table ``rankings``) and the ranking configuration documents.

One item per user who ever had a rank computed, under pk = user id. Users on the public
leaderboard also carry ``board`` (always ``all``) and ``ladder`` (``<score, 12 digits>#<user id>``):
the sparse ``by-score`` index holds only them, in score order, with a unique sort key so a page
can resume at an exact position whatever happened to the item it stopped at. Blocked, inactive and
zero-score users carry neither attribute.

``version`` makes every state change conditional (a background refresh that read the state before
an administrator blocked the user cannot put them back on the board); ``pending_until`` debounces
queued refreshes. ``scored_at`` is when the item last moved on the board (leaderboard cursors
skip users that moved after the listing started).

Weights, tiers and recompute progress are small documents in the settings table, written with
optimistic locking on the item's ``updated_at``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.repositories.base import conditional, table_meta
from chalicelib.repositories.records import global_index

BOARD = "all"
SCORE_DIGITS = 12
MAX_SCORE = 10**SCORE_DIGITS - 1


@dataclass
class RankingState:
    user_id: str
    score: int = 0
    counts: dict | None = None  # {"models", "galleries", "images"} at the last refresh
    reset_counts: dict | None = None  # the counts at the last reset: the score counts from there
    last_reset_at: float | None = None
    blocked: bool = False
    listed: bool = False  # on the public leaderboard
    scored_at: float = 0.0
    version: int = 0  # 0: nothing stored yet

    @property
    def ladder(self) -> str:
        """The user's place on the board (the by-score sort key)."""
        return ladder_key(self.score, self.user_id)


def ladder_key(score: int, user_id: str) -> str:
    return f"{min(max(int(score), 0), MAX_SCORE):0{SCORE_DIGITS}d}#{user_id}"


class RankingItem(Model):
    Meta = table_meta("rankings")

    pk = UnicodeAttribute(hash_key=True)
    board = UnicodeAttribute(null=True)
    ladder = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    counts = JSONAttribute(null=True)
    reset_counts = JSONAttribute(null=True)
    last_reset_at = NumberAttribute(null=True)
    blocked = BooleanAttribute(null=True)
    scored_at = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    pending_until = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)

    by_score = global_index("by-score", "board", "ladder", {"board": str, "ladder": str})


def _to_state(item: RankingItem) -> RankingState:
    return RankingState(user_id=item.pk, score=int(item.score or 0), counts=item.counts, reset_counts=item.reset_counts,
                        last_reset_at=float(item.last_reset_at) if item.last_reset_at is not None else None,
                        blocked=bool(item.blocked), listed=item.board is not None,
                        scored_at=float(item.scored_at or 0), version=int(item.version or 0))


class RankingRepository:
    @staticmethod
    def blank(user_id: str) -> RankingState:
        """The state of a user nothing was stored for yet."""
        return RankingState(user_id)

    def get(self, user_id: str) -> RankingState | None:
        try:
            return _to_state(RankingItem.get(user_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, user_ids) -> dict[str, RankingState]:
        ids = list(dict.fromkeys(user_ids))
        return {item.pk: _to_state(item) for item in RankingItem.batch_get(ids)} if ids else {}

    def save(self, state: RankingState, expected_version: int) -> bool:
        """Write ``state`` (as version ``expected_version + 1``) unless someone else wrote since it was read."""
        actions = [
            RankingItem.score.set(int(state.score)),
            RankingItem.blocked.set(bool(state.blocked)),
            RankingItem.scored_at.set(state.scored_at),
            RankingItem.version.set(expected_version + 1),
            RankingItem.updated_at.set(time.time()),
        ]
        for attribute, value in ((RankingItem.counts, state.counts), (RankingItem.reset_counts, state.reset_counts),
                                 (RankingItem.last_reset_at, state.last_reset_at)):
            actions.append(attribute.remove() if value is None else attribute.set(value))
        if state.listed:
            actions += [RankingItem.board.set(BOARD), RankingItem.ladder.set(ladder_key(state.score, state.user_id))]
        else:
            actions += [RankingItem.board.remove(), RankingItem.ladder.remove()]
        unversioned = RankingItem.version.does_not_exist()
        guard = (unversioned | (RankingItem.version == 0)) if expected_version == 0 \
            else RankingItem.version == expected_version
        return conditional(lambda: RankingItem(state.user_id).update(actions=actions, condition=guard))

    # -- debounced refreshes ------------------------------------------------------------------
    def claim_refresh(self, user_id: str, until: float, now: float) -> bool:
        """True for the first caller while no refresh is pending: it should queue one."""
        free = RankingItem.pending_until.does_not_exist() | (RankingItem.pending_until < now)
        return conditional(lambda: RankingItem(user_id).update(actions=[RankingItem.pending_until.set(until)],
                                                               condition=free))

    def release_refresh(self, user_id: str) -> None:
        conditional(lambda: RankingItem(user_id).update(actions=[RankingItem.pending_until.remove()],
                                                        condition=RankingItem.pk.exists()))

    # -- the leaderboard ----------------------------------------------------------------------
    def board_page(self, before: str | None, unchanged_since: float | None,
                   limit: int) -> tuple[list[RankingState], bool]:
        """Up to ``limit`` listed users in descending ladder order, strictly below ``before``; with
        ``unchanged_since``, only users whose place has not changed after that time. The flag is
        True when the board has nothing more below the last one returned."""
        range_condition = RankingItem.ladder < before if before else None
        filter_condition = RankingItem.scored_at <= unchanged_since if unchanged_since is not None else None
        states = [_to_state(item) for item in RankingItem.by_score.query(
            BOARD, range_condition, filter_condition=filter_condition, scan_index_forward=False,
            limit=limit + 1, page_size=max(limit + 1, 25))]
        return states[:limit], len(states) <= limit
