"""Comments (table ``comments``) and likes (table ``likes``).

``comments``: one partition per commented asset, pk = ``<kind>#<asset id>``:

- ``T#<id>``: a top-level comment. Ids are time-ordered, so the partition reads oldest first and a
  page resumes after the last id it returned (inserts and deletes never shift a page);
- ``R#<parent id>#<id>``: a reply, next to its siblings (the latest N replies are one Query backwards);
- ``P#<id>``: reply id -> parent id, so a reply is found from its id alone;
- ``D#<author>#<digest>``: a double-submit marker (same author, same text, same thread, within a
  minute), expiring through TTL.

``likes``:

- pk ``U#<user>``, sk ``<kind>#<asset id>`` or ``comment#<kind>#<asset id>#<comment id>``: the liker's
  marker;
- pk ``RECEIVED#<user>``, sk ``#total``: likes received on the user's models and images.

A like changes its counters exactly once per transition, without any transaction that routinely
fails (moto, the embedded test tier, rolls whole tables back on a cancelled transaction): the
transition is *claimed* with a plain conditional write on the marker (``pending`` = ``+``/``-``),
and *settled* by one transaction that clears the claim and moves the counters together. The claim
is what concurrent clicks and retries compete for; the settling transaction only fails when a
crashed claim is being finished by two requests at once, and then one of them wins.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.repositories.base import conditional, region, table_meta
from chalicelib.repositories.catalog import ImageItem, ModelItem

TOP, REPLY, POINTER, DOUBLE = "T#", "R#", "P#", "D#"
ADD, REMOVE = "+", "-"
TOTAL = "#total"
STALE_CLAIM_SECONDS = 10  # a claim older than this was left by a crashed request; anyone may settle it
SETTLE_WAIT_SECONDS = 2.0
TRANSACTION_RETRIES = 5
ID_END = "~"  # sorts after every character of a comment id


@dataclass
class Comment:
    id: str  # time-ordered: "<created ms, 13 digits><8 hex>"
    kind: str  # model | image
    asset_id: str
    author_id: str | None  # None once deleted (a tombstone keeps the thread, not the author)
    content: str
    created_at: float
    parent_id: str | None = None
    edited_at: float | None = None
    like_count: int = 0
    reply_count: int = 0
    deleted: bool = False
    deleted_at: float | None = None


class CommentItem(Model):
    Meta = table_meta("comments")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    comment_id = UnicodeAttribute(null=True)
    parent_id = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    content = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    edited_at = NumberAttribute(null=True)
    like_count = NumberAttribute(null=True)
    reply_count = NumberAttribute(null=True)
    deleted = BooleanAttribute(null=True)
    deleted_at = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # double-submit markers only (TTL)


class LikeItem(Model):
    Meta = table_meta("likes")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner_id = UnicodeAttribute(null=True)  # whose received total this like counts in (None: not counted there)
    created_at = NumberAttribute(null=True)
    pending = UnicodeAttribute(null=True)  # "+" like claimed, "-" unlike claimed, absent: settled like
    pending_at = NumberAttribute(null=True)
    received = NumberAttribute(null=True)  # RECEIVED#<user> totals only


def thread_key(kind: str, asset_id: str) -> str:
    return f"{kind}#{asset_id}"


def _comment_sk(comment_id: str, parent_id: str | None) -> str:
    return f"{REPLY}{parent_id}#{comment_id}" if parent_id else TOP + comment_id


def _to_comment(kind: str, asset_id: str, item: CommentItem) -> Comment:
    return Comment(id=item.comment_id, kind=kind, asset_id=asset_id, author_id=item.author_id,
                   content=item.content or "", created_at=float(item.created_at or 0), parent_id=item.parent_id,
                   edited_at=float(item.edited_at) if item.edited_at is not None else None,
                   like_count=int(item.like_count or 0), reply_count=int(item.reply_count or 0),
                   deleted=bool(item.deleted),
                   deleted_at=float(item.deleted_at) if item.deleted_at is not None else None)


def _cancel_codes(error: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (getattr(error, "cancellation_reasons", None) or [])]


class CommentRepository:
    def __init__(self, clock=time.time, sleep=time.sleep) -> None:
        self._connection = Connection(region=region())
        self._clock = clock
        self._sleep = sleep

    # -- reading --------------------------------------------------------------------------
    def get(self, kind: str, asset_id: str, comment_id: str) -> Comment | None:
        """A comment of this asset (top-level or reply) by id; None when it is not this asset's."""
        pk = thread_key(kind, asset_id)
        found = {i.sk: i for i in CommentItem.batch_get([(pk, TOP + comment_id), (pk, POINTER + comment_id)],
                                                        consistent_read=True)}
        if TOP + comment_id in found:
            return _to_comment(kind, asset_id, found[TOP + comment_id])
        pointer = found.get(POINTER + comment_id)
        if pointer is None or not pointer.parent_id:
            return None
        try:
            item = CommentItem.get(pk, _comment_sk(comment_id, pointer.parent_id), consistent_read=True)
        except DoesNotExist:
            return None
        return _to_comment(kind, asset_id, item)

    def _page(self, kind: str, asset_id: str, prefix: str, after: str | None, limit: int,
              oldest_first: bool = True) -> tuple[list[Comment], bool]:
        pk = thread_key(kind, asset_id)
        if after and oldest_first:
            cond = CommentItem.sk.between(prefix + after, prefix + ID_END)
        elif after:
            cond = CommentItem.sk.between(prefix, prefix + after)
        else:
            cond = CommentItem.sk.startswith(prefix)
        out: list[Comment] = []
        for item in CommentItem.query(pk, cond, scan_index_forward=oldest_first, consistent_read=True,
                                      page_size=limit + 2):
            # between() is inclusive; deleted items still around are leftovers of an unfinished delete.
            if item.comment_id == after or (item.deleted and not item.reply_count):
                continue
            out.append(_to_comment(kind, asset_id, item))
            if len(out) > limit:
                return out[:limit], True
        return out, False

    def top_level(self, kind: str, asset_id: str, after: str | None, limit: int) -> tuple[list[Comment], bool]:
        """Top-level comments oldest first after comment id ``after``; True when more follow."""
        return self._page(kind, asset_id, TOP, after, limit)

    def replies(self, kind: str, asset_id: str, parent_id: str, after: str | None,
                limit: int) -> tuple[list[Comment], bool]:
        return self._page(kind, asset_id, f"{REPLY}{parent_id}#", after, limit)

    def latest_replies(self, kind: str, asset_id: str, parent_id: str, limit: int) -> list[Comment]:
        """The newest ``limit`` replies, returned oldest first (as they read in the thread)."""
        items, _ = self._page(kind, asset_id, f"{REPLY}{parent_id}#", None, limit, oldest_first=False)
        return list(reversed(items))

    # -- double submits -------------------------------------------------------------------
    def claim_double_submit(self, kind: str, asset_id: str, author_id: str, digest: str, comment_id: str,
                            now: float, until: float) -> str | None:
        """Record that ``author_id`` is posting this text as ``comment_id``; when the same text was
        posted within the window, return that earlier comment's id instead."""
        key = (thread_key(kind, asset_id), f"{DOUBLE}{author_id}#{digest}")
        fresh = CommentItem.sk.does_not_exist() | (CommentItem.expires_at < int(now))
        if conditional(lambda: CommentItem(*key, comment_id=comment_id, expires_at=int(until) + 1).save(
                condition=fresh)):
            return None
        try:
            return CommentItem.get(*key, consistent_read=True).comment_id
        except DoesNotExist:
            return self.claim_double_submit(kind, asset_id, author_id, digest, comment_id, now, until)

    def take_over_double_submit(self, kind: str, asset_id: str, author_id: str, digest: str, old_id: str,
                                comment_id: str, until: float) -> bool:
        """Point a marker whose comment never appeared (or was deleted) at a new comment."""
        item = CommentItem(thread_key(kind, asset_id), f"{DOUBLE}{author_id}#{digest}")
        return conditional(lambda: item.update(
            actions=[CommentItem.comment_id.set(comment_id), CommentItem.expires_at.set(int(until) + 1)],
            condition=CommentItem.comment_id == old_id))

    def release_double_submit(self, kind: str, asset_id: str, author_id: str, digest: str, comment_id: str) -> None:
        item = CommentItem(thread_key(kind, asset_id), f"{DOUBLE}{author_id}#{digest}")
        conditional(lambda: item.delete(condition=CommentItem.comment_id == comment_id))

    # -- writing --------------------------------------------------------------------------
    def add(self, c: Comment) -> bool:
        """Store a new comment. A reply also gets its pointer and counts in its parent, in one
        transaction; False when the parent is gone or deleted by then."""
        pk = thread_key(c.kind, c.asset_id)
        item = CommentItem(pk, _comment_sk(c.id, c.parent_id), comment_id=c.id, parent_id=c.parent_id,
                           author_id=c.author_id, content=c.content, created_at=c.created_at, like_count=0,
                           reply_count=0, deleted=False)
        if not c.parent_id:
            return conditional(lambda: item.save(condition=CommentItem.sk.does_not_exist()))
        for attempt in range(TRANSACTION_RETRIES):
            try:
                with TransactWrite(connection=self._connection) as tx:
                    tx.save(item, condition=CommentItem.sk.does_not_exist())
                    tx.save(CommentItem(pk, POINTER + c.id, parent_id=c.parent_id))
                    tx.update(CommentItem(pk, TOP + c.parent_id), actions=[CommentItem.reply_count.add(1)],
                              condition=CommentItem.sk.exists() & (CommentItem.deleted == False))  # noqa: E712
                return True
            except TransactWriteError as e:
                if "TransactionConflict" in _cancel_codes(e) or e.cause_response_code == "TransactionConflictException":
                    self._sleep(0.02 * 2**attempt)
                    continue
                if e.cause_response_code == "TransactionCanceledException":
                    return False
                raise
        return False

    def edit(self, c: Comment, content: str, now: float) -> bool:
        """Replace the text; False when the comment is gone or no longer its author's."""
        item = CommentItem(thread_key(c.kind, c.asset_id), _comment_sk(c.id, c.parent_id))
        return conditional(lambda: item.update(
            actions=[CommentItem.content.set(content), CommentItem.edited_at.set(now)],
            condition=CommentItem.sk.exists() & (CommentItem.deleted == False)  # noqa: E712
            & (CommentItem.author_id == c.author_id)))

    def remove_top_level(self, c: Comment) -> str:
        """Delete a top-level comment: gone when it has no replies ("deleted"), otherwise a
        tombstone that keeps the thread ("tombstoned"); "absent" when it was already deleted."""
        item = CommentItem(thread_key(c.kind, c.asset_id), TOP + c.id)
        live = CommentItem.sk.exists() & (CommentItem.deleted == False)  # noqa: E712
        for _ in range(TRANSACTION_RETRIES * 4):
            if conditional(lambda: item.delete(condition=live & (CommentItem.reply_count <= 0))):
                return "deleted"
            if conditional(lambda: item.update(
                    actions=[CommentItem.deleted.set(True), CommentItem.deleted_at.set(self._clock()),
                             CommentItem.content.remove(), CommentItem.author_id.remove()],
                    condition=live & (CommentItem.reply_count > 0))):
                return "tombstoned"
            # Neither held: deleted meanwhile, or its last reply left between the two conditions.
            current = self.get(c.kind, c.asset_id, c.id)
            if current is None or current.deleted:
                return "absent"
        raise RuntimeError(f"comment {c.id} kept changing while it was deleted")

    def remove_reply(self, c: Comment) -> bool:
        """Delete a reply (its pointer and its count in the parent go with it), then the parent
        too when that was a tombstone waiting for its last reply. False when already deleted."""
        pk = thread_key(c.kind, c.asset_id)
        reply = CommentItem(pk, _comment_sk(c.id, c.parent_id))
        now = self._clock()
        claimed = conditional(lambda: reply.update(
            actions=[CommentItem.deleted.set(True), CommentItem.deleted_at.set(now)],
            condition=CommentItem.sk.exists() & (CommentItem.deleted == False)))  # noqa: E712
        if not claimed:
            current = self.get(c.kind, c.asset_id, c.id)
            # Someone else is deleting it; finish the job only if they evidently crashed.
            if current is None or now - (current.deleted_at or now) < STALE_CLAIM_SECONDS:
                return False
        for attempt in range(TRANSACTION_RETRIES):
            try:
                with TransactWrite(connection=self._connection) as tx:
                    tx.delete(reply, condition=CommentItem.deleted == True)  # noqa: E712
                    tx.delete(CommentItem(pk, POINTER + c.id))
                    tx.update(CommentItem(pk, TOP + c.parent_id), actions=[CommentItem.reply_count.add(-1)],
                              condition=CommentItem.sk.exists())
                break
            except TransactWriteError as e:
                if "TransactionConflict" in _cancel_codes(e) or e.cause_response_code == "TransactionConflictException":
                    self._sleep(0.02 * 2**attempt)
                    continue
                if e.cause_response_code == "TransactionCanceledException":
                    return False  # finished by someone else
                raise
        parent = CommentItem(pk, TOP + c.parent_id)
        conditional(lambda: parent.delete(condition=(CommentItem.deleted == True)  # noqa: E712
                                          & (CommentItem.reply_count <= 0)))
        return True


@dataclass(frozen=True)
class LikeTarget:
    """What a like is of: an asset (its record's ``like_count`` and its owner's received total)
    or a comment (the comment's ``like_count``)."""

    kind: str  # model | image | comment
    asset_kind: str  # model | image
    asset_id: str
    comment: Comment | None = None

    @property
    def sk(self) -> str:
        if self.comment is not None:
            return f"comment#{self.asset_kind}#{self.asset_id}#{self.comment.id}"
        return f"{self.asset_kind}#{self.asset_id}"

    @staticmethod
    def asset(kind: str, asset_id: str) -> LikeTarget:
        return LikeTarget(kind, kind, asset_id)

    @staticmethod
    def of_comment(c: Comment) -> LikeTarget:
        return LikeTarget("comment", c.kind, c.asset_id, c)


def _user_pk(user_id: str) -> str:
    return f"U#{user_id}"


def _received_pk(user_id: str) -> str:
    return f"RECEIVED#{user_id}"


class LikeRepository:
    def __init__(self, clock=time.time, sleep=time.sleep) -> None:
        self._connection = Connection(region=region())
        self._clock = clock
        self._sleep = sleep

    # -- reading --------------------------------------------------------------------------
    def _marker(self, user_id: str, target: LikeTarget) -> LikeItem | None:
        try:
            return LikeItem.get(_user_pk(user_id), target.sk, consistent_read=True)
        except DoesNotExist:
            return None

    def has_liked(self, user_id: str, target: LikeTarget) -> bool:
        marker = self._marker(user_id, target)
        return marker is not None and marker.pending != REMOVE

    def liked_among(self, user_id: str, targets: list[LikeTarget]) -> set[str]:
        """The sort keys (``LikeTarget.sk``) among ``targets`` that ``user_id`` likes; one BatchGet per 100."""
        keys = list(dict.fromkeys((_user_pk(user_id), t.sk) for t in targets))
        if not keys:
            return set()
        return {i.sk for i in LikeItem.batch_get(keys, consistent_read=True) if i.pending != REMOVE}

    def received(self, user_id: str) -> int:
        try:
            item = LikeItem.get(_received_pk(user_id), TOTAL, consistent_read=True)
        except DoesNotExist:
            return 0
        return max(0, int(item.received or 0))

    # -- transitions ----------------------------------------------------------------------
    def like(self, user_id: str, target: LikeTarget, owner_id: str | None) -> bool:
        """Like once; True when this call made the transition (and moved the counters), False when
        it was already liked. ``owner_id``: whose received total counts the like (None: nobody's)."""
        for _ in range(TRANSACTION_RETRIES):
            if self._claim_like(user_id, target, owner_id):
                self._settle(user_id, target, ADD, owner_id)
                return True
            current = self._marker(user_id, target)
            if current is None:
                continue  # unliked in between: claim again
            if current.pending is None:
                return False
            self._await_or_settle(user_id, target, current)
            if current.pending == ADD:
                return False
        return False

    def unlike(self, user_id: str, target: LikeTarget) -> bool:
        """Remove a like once; True when this call made the transition."""
        for _ in range(TRANSACTION_RETRIES):
            current = self._marker(user_id, target)
            if current is None:
                return False
            if current.pending is not None:
                self._await_or_settle(user_id, target, current)
                if current.pending == REMOVE:
                    return False
                continue
            if self._claim_unlike(user_id, target):
                self._settle(user_id, target, REMOVE, current.owner_id)
                return True
        return False

    def _claim_like(self, user_id: str, target: LikeTarget, owner_id: str | None) -> bool:
        now = self._clock()
        marker = LikeItem(_user_pk(user_id), target.sk, owner_id=owner_id, created_at=now, pending=ADD, pending_at=now)
        return conditional(lambda: marker.save(condition=LikeItem.sk.does_not_exist()))

    def _claim_unlike(self, user_id: str, target: LikeTarget) -> bool:
        """Only a settled like can be claimed for removal (not one still being added or removed)."""
        marker = LikeItem(_user_pk(user_id), target.sk)
        return conditional(lambda: marker.update(
            actions=[LikeItem.pending.set(REMOVE), LikeItem.pending_at.set(self._clock())],
            condition=LikeItem.sk.exists() & LikeItem.pending.does_not_exist()))

    def _await_or_settle(self, user_id: str, target: LikeTarget, claim: LikeItem) -> None:
        """Another request holds a claim on this marker: give it a moment to settle, and settle it
        ourselves when it was evidently abandoned (its request crashed between claim and settle)."""
        deadline = self._clock() + SETTLE_WAIT_SECONDS
        while True:
            if self._clock() - float(claim.pending_at or 0) >= STALE_CLAIM_SECONDS:
                self._settle(user_id, target, claim.pending, claim.owner_id)
                return
            if self._clock() >= deadline:
                return  # still in flight: its own request settles it
            self._sleep(0.05)
            current = self._marker(user_id, target)
            if current is None or current.pending != claim.pending:
                return

    def _settle(self, user_id: str, target: LikeTarget, direction: str, owner_id: str | None) -> None:
        """Clear the claim and move the counters, all or nothing."""
        delta = 1 if direction == ADD else -1
        marker = LikeItem(_user_pk(user_id), target.sk)
        for attempt in range(TRANSACTION_RETRIES):
            try:
                with TransactWrite(connection=self._connection) as tx:
                    if direction == ADD:
                        tx.update(marker, actions=[LikeItem.pending.remove(), LikeItem.pending_at.remove()],
                                  condition=LikeItem.pending == ADD)
                    else:
                        tx.delete(marker, condition=LikeItem.pending == REMOVE)
                    self._counters(tx, target, delta, owner_id)
                return
            except TransactWriteError as e:
                codes = _cancel_codes(e)
                if "TransactionConflict" in codes or e.cause_response_code == "TransactionConflictException":
                    self._sleep(0.02 * 2**attempt)
                    continue
                if e.cause_response_code != "TransactionCanceledException":
                    raise
                if codes and codes[0] == "ConditionalCheckFailed":
                    return  # settled by someone else
                # The liked thing is gone (a deleted comment): nothing left to count the like in.
                conditional(lambda: marker.delete(condition=LikeItem.pending == direction))
                return

    @staticmethod
    def _counters(tx: TransactWrite, target: LikeTarget, delta: int, owner_id: str | None) -> None:
        if target.comment is not None:
            c = target.comment
            tx.update(CommentItem(thread_key(c.kind, c.asset_id), _comment_sk(c.id, c.parent_id)),
                      actions=[CommentItem.like_count.add(delta)], condition=CommentItem.sk.exists())
            return
        item_cls = ModelItem if target.kind == "model" else ImageItem
        tx.update(item_cls(target.asset_id), actions=[item_cls.like_count.add(delta)], condition=item_cls.pk.exists())
        if owner_id:
            tx.update(LikeItem(_received_pk(owner_id), TOTAL), actions=[LikeItem.received.add(delta)])
