"""Per-user notifications, unread counters and once-markers (one partition per user).

Item kinds in the ``notifications`` table, all under pk = user id:

- ``N#<id>``: a notification; the id is time-ordered, so the partition reads newest first;
- ``#counts``: unread counters per category plus a read-all watermark per category (notifications
  at or before the watermark count as read without rewriting each of them);
- ``ONCE#<key>``: a marker claimed with a does-not-exist condition, so "notify once" (one like
  notification per liker, one announcement per recipient) survives retries and toggling.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.models import NOTIFICATION_CATEGORIES, Notification
from chalicelib.repositories.base import conditional, table_meta

COUNTS = "#counts"
NOTIFICATION_PREFIX = "N#"


class NotificationItem(Model):
    Meta = table_meta("notifications")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    category = UnicodeAttribute(null=True)
    type = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    link = JSONAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    read = BooleanAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class CountsItem(Model):
    Meta = table_meta("notifications")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # unread_<category> counters and read_before_<category> watermarks (notification ids)
    unread_announcements = NumberAttribute(default=0)
    unread_moderation = NumberAttribute(default=0)
    unread_likes = NumberAttribute(default=0)
    unread_comments = NumberAttribute(default=0)
    read_before_announcements = UnicodeAttribute(null=True)
    read_before_moderation = UnicodeAttribute(null=True)
    read_before_likes = UnicodeAttribute(null=True)
    read_before_comments = UnicodeAttribute(null=True)


class OnceItem(Model):
    Meta = table_meta("notifications")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)


def _to_domain(item: NotificationItem, watermarks: dict[str, str | None]) -> Notification:
    nid = item.sk.removeprefix(NOTIFICATION_PREFIX)
    mark = watermarks.get(item.category)
    return Notification(id=nid, user_id=item.pk, category=item.category, type=item.type, title=item.title or "",
                        body=item.body or "", created_at=float(item.created_at), read=bool(item.read) or
                        (mark is not None and nid <= mark), link=item.link, actor_id=item.actor_id)


class NotificationRepository:
    def claim_once(self, user_id: str, key: str, expires_at: float | None = None) -> bool:
        """True the first time ``key`` is claimed for this user, False ever after."""
        return conditional(lambda: OnceItem(user_id, "ONCE#" + key, expires_at=expires_at).save(
            condition=OnceItem.sk.does_not_exist()))

    def release_once(self, user_id: str, key: str) -> None:
        OnceItem(user_id, "ONCE#" + key).delete()

    def add(self, n: Notification, expires_at: float) -> bool:
        """Store the notification and count it unread. Idempotent on the id (a retried put adds nothing)."""
        created = conditional(lambda: NotificationItem(
            n.user_id, NOTIFICATION_PREFIX + n.id, category=n.category, type=n.type, title=n.title, body=n.body,
            link=n.link, actor_id=n.actor_id, created_at=n.created_at, read=False, expires_at=int(expires_at),
        ).save(condition=NotificationItem.sk.does_not_exist()))
        if created:
            self._bump(n.user_id, n.category, 1)
        return created

    def _bump(self, user_id: str, category: str, delta: int) -> None:
        CountsItem(user_id, COUNTS).update(actions=[getattr(CountsItem, f"unread_{category}").add(delta)])

    def counts(self, user_id: str) -> tuple[dict[str, int], dict[str, str | None]]:
        """(unread per category, read-all watermark per category)."""
        try:
            item = CountsItem.get(user_id, COUNTS, consistent_read=True)
        except DoesNotExist:
            return {c: 0 for c in NOTIFICATION_CATEGORIES}, {c: None for c in NOTIFICATION_CATEGORIES}
        # A mark-read racing a read-all may decrement past zero; nobody has fewer than none unread.
        unread = {c: max(0, int(getattr(item, f"unread_{c}") or 0)) for c in NOTIFICATION_CATEGORIES}
        return unread, {c: getattr(item, f"read_before_{c}") for c in NOTIFICATION_CATEGORIES}

    def page(self, user_id: str, after: str | None, limit: int, watermarks: dict[str, str | None],
             category: str | None = None, unread_only: bool = False,
             newer_than: str | None = None) -> tuple[list[Notification], str | None]:
        """Newest first, resuming after notification id ``after``; or, with ``newer_than``, the
        notifications created after that id (oldest first, for polling). ``watermarks`` are the
        read-all marks from :meth:`counts` (the caller has read them already)."""
        marks = watermarks
        flt = None
        if category:
            flt = NotificationItem.category == category
        if unread_only:
            unread = NotificationItem.read == False  # noqa: E712 (a PynamoDB condition, not a comparison)
            flt = unread if flt is None else flt & unread
        if newer_than is not None:
            cond, forward = NotificationItem.sk > NOTIFICATION_PREFIX + newer_than, True
        elif after:
            # between() is inclusive: the item equal to ``after`` is skipped below.
            cond, forward = NotificationItem.sk.between(NOTIFICATION_PREFIX, NOTIFICATION_PREFIX + after), False
        else:
            cond, forward = NotificationItem.sk.startswith(NOTIFICATION_PREFIX), False
        items, last = [], None
        for item in NotificationItem.query(user_id, cond, filter_condition=flt, scan_index_forward=forward,
                                           page_size=max(limit, 25)):
            if not item.sk.startswith(NOTIFICATION_PREFIX) or (after and newer_than is None and item.sk == NOTIFICATION_PREFIX + after):
                continue
            n = _to_domain(item, marks)
            if unread_only and n.read:
                continue
            items.append(n)
            if len(items) > limit:
                break
        if len(items) > limit:
            items = items[:limit]
            last = items[-1].id
        return items, last

    def get(self, user_id: str, notification_id: str) -> Notification | None:
        try:
            item = NotificationItem.get(user_id, NOTIFICATION_PREFIX + notification_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _to_domain(item, self.counts(user_id)[1])

    def mark_read(self, user_id: str, n: Notification) -> bool:
        """Mark one read; counts it down only when this call flipped it (a repeat changes nothing)."""
        if n.read:
            return False
        flipped = conditional(lambda: NotificationItem(user_id, NOTIFICATION_PREFIX + n.id).update(
            actions=[NotificationItem.read.set(True)],
            condition=NotificationItem.sk.exists() & (NotificationItem.read == False)))  # noqa: E712
        if flipped:
            self._bump(user_id, n.category, -1)
        return flipped

    def mark_all_read(self, user_id: str, categories: list[str], up_to_id: str) -> None:
        """Everything up to ``up_to_id`` in these categories becomes read: a watermark, one write."""
        actions = []
        for c in categories:
            actions += [getattr(CountsItem, f"unread_{c}").set(0), getattr(CountsItem, f"read_before_{c}").set(up_to_id)]
        CountsItem(user_id, COUNTS).update(actions=actions)

    def latest_id(self, user_id: str) -> str | None:
        for item in NotificationItem.query(user_id, NotificationItem.sk.startswith(NOTIFICATION_PREFIX),
                                           scan_index_forward=False, limit=1):
            return item.sk.removeprefix(NOTIFICATION_PREFIX)
        return None

    def purge_user(self, user_id: str) -> int:
        """Delete a (deleted) user's whole partition. Background jobs only."""
        removed = 0
        with NotificationItem.batch_write() as batch:
            for item in NotificationItem.query(user_id):
                batch.delete(item)
                removed += 1
        return removed



# -- retention (the scheduled notification cleanup) ------------------------------------------------
class NotificationRetentionRepository:
    """Old notifications for the scheduled cleanup: a bounded, resumable Scan (background job only) and
    deletes that keep the unread counters exact."""

    def __init__(self) -> None:
        from pynamodb.connection import Connection

        from chalicelib.repositories.base import region

        self._connection = Connection(region=region())

    def scan_older_than(self, cutoff: float, start: dict | None, page_size: int) -> tuple[list[Notification], dict | None, int]:
        """Notifications created before ``cutoff`` among at most ``page_size`` items examined after the
        key ``start`` ({"pk", "sk"}): (those notifications, with ``read`` as stored (watermarks not
        applied), the key to resume after or None at the end, items examined)."""
        condition = NotificationItem.sk.startswith(NOTIFICATION_PREFIX) & (NotificationItem.created_at < cutoff)
        exclusive = {name: {"S": value} for name, value in start.items()} if start else None
        page = NotificationItem._get_connection().scan(filter_condition=condition, limit=page_size,
                                                       exclusive_start_key=exclusive)
        found = [_to_domain(NotificationItem.from_raw_data(raw), {}) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        resume = {"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None
        return found, resume, int(page.get("ScannedCount", 0))

    @staticmethod
    def delete_counted_read(user_id: str, notification_id: str, flagged_read: bool) -> bool:
        """Delete a notification the counters do not count (read, or at or below its category's read-all
        watermark, which never moves back). ``flagged_read``: its read flag is set; the delete is then
        conditional on that flag, so nothing else is needed. False when it is already gone."""
        item = NotificationItem(user_id, NOTIFICATION_PREFIX + notification_id)
        condition = NotificationItem.sk.exists()
        if flagged_read:
            condition &= NotificationItem.read == True  # noqa: E712 (a PynamoDB condition)
        return conditional(lambda: item.delete(condition=condition))

    def delete_unread(self, n: Notification) -> bool:
        """Delete an unread notification and count it down, in one transaction: only while it is still
        unread (a concurrent mark-read counts it down itself) and still above the category's read-all
        watermark (a concurrent read-all zeroes the counter). False when either changed meanwhile."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        mark = getattr(CountsItem, f"read_before_{n.category}")
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(NotificationItem(n.user_id, NOTIFICATION_PREFIX + n.id),
                          condition=NotificationItem.read == False)  # noqa: E712 (a PynamoDB condition)
                tx.update(CountsItem(n.user_id, COUNTS), actions=[getattr(CountsItem, f"unread_{n.category}").add(-1)],
                          condition=CountsItem.sk.exists() & (mark.does_not_exist() | (mark < n.id)))
            return True
        except TransactWriteError as e:
            if e.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                return False
            raise
