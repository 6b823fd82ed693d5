"""Generator blocks and usage counters in the ``generator`` table (pk S, sk S, TTL ``expires_at``).

Item kinds:

- pk ``block``, sk ``<user id>``: a user's generator block (reason, who, when). One partition for all
  blocks: administrators list them by user id, and there are few;
- pk ``usage#<user id>``, sk ``active``: the user's jobs currently holding a concurrency slot;
- pk ``usage#<user id>``, sk ``day#<YYYY-MM-DD>``: the requests the user made that UTC day (expires
  two days later through the table's TTL).

A reservation raises both counters in one transaction whose conditions carry the limits, so
concurrent requests can never push either counter past its limit.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.repositories.base import conditional, region, table_meta

BLOCK_PARTITION = "block"
ACTIVE = "active"
CONFLICT_RETRIES = 5  # transactions on the same counter race each other in DynamoDB; those are retried


@dataclass(frozen=True)
class GeneratorBlock:
    user_id: str
    reason: str
    created_at: float
    updated_at: float
    created_by: str | None = None
    updated_by: str | None = None


class BlockItem(Model):
    Meta = table_meta("generator")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class CounterItem(Model):
    Meta = table_meta("generator")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    count = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


def _usage_key(user_id: str) -> str:
    return f"usage#{user_id}"


def _day_key(day: str) -> str:
    return f"day#{day}"


def _block(item: BlockItem) -> GeneratorBlock:
    return GeneratorBlock(item.sk, item.reason, float(item.created_at), float(item.updated_at), item.created_by,
                          item.updated_by)


def _below(limit: int | None):
    """The condition that lets a counter grow by one without passing ``limit`` (None: no limit)."""
    if limit is None:
        return None
    return CounterItem.count.does_not_exist() | (CounterItem.count < limit)


class GeneratorStateRepository:
    def __init__(self) -> None:
        self._connection = Connection(region=region())

    # -- blocks ---------------------------------------------------------------------------------
    def block_of(self, user_id: str) -> GeneratorBlock | None:
        try:
            return _block(BlockItem.get(BLOCK_PARTITION, user_id, consistent_read=True))
        except DoesNotExist:
            return None

    def create_block(self, user_id: str, reason: str, at: float, by: str) -> bool:
        """False when the user is blocked already."""
        return conditional(lambda: BlockItem(
            BLOCK_PARTITION, user_id, reason=reason, created_at=at, updated_at=at, created_by=by, updated_by=by,
        ).save(condition=BlockItem.sk.does_not_exist()))

    def change_block_reason(self, user_id: str, expected_reason: str, reason: str, at: float, by: str) -> bool:
        """False when the block is gone or its reason is no longer ``expected_reason``."""
        return conditional(lambda: BlockItem(BLOCK_PARTITION, user_id).update(
            actions=[BlockItem.reason.set(reason), BlockItem.updated_at.set(at), BlockItem.updated_by.set(by)],
            condition=BlockItem.sk.exists() & (BlockItem.reason == expected_reason)))

    def delete_block(self, user_id: str) -> bool:
        """False when there was no block (so of two concurrent deletes exactly one reports it)."""
        return conditional(lambda: BlockItem(BLOCK_PARTITION, user_id).delete(condition=BlockItem.sk.exists()))

    def blocks_page(self, after_user_id: str | None, limit: int) -> tuple[list[GeneratorBlock], str | None]:
        """Blocks ordered by user id, resuming after ``after_user_id``; the user id to resume after next."""
        condition = BlockItem.sk > after_user_id if after_user_id else None
        blocks = [_block(item) for item in BlockItem.query(BLOCK_PARTITION, condition, limit=limit + 1,
                                                           consistent_read=True)]
        if len(blocks) > limit:
            blocks = blocks[:limit]
            return blocks, blocks[-1].user_id
        return blocks, None

    # -- usage counters ---------------------------------------------------------------------------
    def reserve(self, user_id: str, day: str, day_expires_at: float, max_active: int | None,
                max_daily: int | None) -> str | None:
        """Count one more active job and one more request today, both or neither. None when
        counted; otherwise the exhausted limit, ``"daily"`` or ``"active"`` (daily when both are)."""
        key = _usage_key(user_id)
        active_condition, daily_condition = _below(max_active), _below(max_daily)
        attempt = 0
        while True:
            try:
                with TransactWrite(connection=self._connection) as tx:
                    tx.update(CounterItem(key, ACTIVE), actions=[CounterItem.count.add(1)],
                              condition=active_condition)
                    tx.update(CounterItem(key, _day_key(day)),
                              actions=[CounterItem.count.add(1), CounterItem.expires_at.set(int(day_expires_at))],
                              condition=daily_condition)
                return None
            except TransactWriteError as e:
                reasons = [r.code if r else None for r in (e.cancellation_reasons or [])]
                if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
                    return "daily"
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return "active"
                raced = "TransactionConflict" in reasons or e.cause_response_code == "TransactionConflictException"
                attempt += 1
                if not raced or attempt >= CONFLICT_RETRIES:
                    raise
                time.sleep(0.02 * attempt)

    def release(self, user_id: str) -> bool:
        """One active job fewer; never below zero (False when there was nothing to release)."""
        return conditional(lambda: CounterItem(_usage_key(user_id), ACTIVE).update(
            actions=[CounterItem.count.add(-1)], condition=CounterItem.count > 0))

    def refund_day(self, user_id: str, day: str) -> bool:
        """Take back one request counted on ``day`` (a request refused after its reservation)."""
        return conditional(lambda: CounterItem(_usage_key(user_id), _day_key(day)).update(
            actions=[CounterItem.count.add(-1)], condition=CounterItem.count > 0))

    def usage(self, user_id: str, day: str) -> tuple[int, int]:
        """(active jobs, requests on ``day``)."""
        key = _usage_key(user_id)
        counts = {ACTIVE: 0, _day_key(day): 0}
        for item in CounterItem.batch_get([(key, ACTIVE), (key, _day_key(day))], consistent_read=True):
            counts[item.sk] = max(0, int(item.count or 0))
        return counts[ACTIVE], counts[_day_key(day)]
