"""Users and the email-uniqueness claims that guard them (one table, two item kinds)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.models import Role, User
from chalicelib.repositories.base import conditional, region, table_meta

LISTING = "user"


class UsersByCreated(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-created"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class UserItem(Model):
    Meta = table_meta("users")

    pk = UnicodeAttribute(hash_key=True)  # USER#<id>
    listing = UnicodeAttribute(default=LISTING)  # only user items carry it: the sparse by-created index
    by_created = UsersByCreated()
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    role = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    bio = UnicodeAttribute(default="")
    is_active = BooleanAttribute(default=True)
    show_adult = BooleanAttribute(default=False)
    token_version = NumberAttribute(default=0)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    last_login_at = NumberAttribute(null=True)
    avatar_image_id = UnicodeAttribute(null=True)


class EmailClaim(Model):
    """``EMAIL#<address>`` -> user id. A conditional put makes emails unique without a Scan."""

    Meta = table_meta("users")

    pk = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


def _user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def _email_key(email: str) -> str:
    return f"EMAIL#{email}"


def _to_domain(item: UserItem) -> User:
    return User(
        id=item.pk.split("#", 1)[1],
        email=item.email,
        display_name=item.display_name,
        role=Role.parse(item.role),
        password_hash=item.password_hash,
        bio=item.bio or "",
        is_active=bool(item.is_active),
        show_adult=bool(item.show_adult),
        token_version=int(item.token_version or 0),
        created_at=float(item.created_at),
        updated_at=float(item.updated_at),
        last_login_at=float(item.last_login_at) if item.last_login_at is not None else None,
        avatar_image_id=item.avatar_image_id,
    )


def _to_item(user: User) -> UserItem:
    return UserItem(
        _user_key(user.id),
        email=user.email,
        display_name=user.display_name,
        role=user.role.name,
        password_hash=user.password_hash,
        bio=user.bio,
        is_active=user.is_active,
        show_adult=user.show_adult,
        token_version=user.token_version,
        created_at=user.created_at,
        updated_at=user.updated_at,
        last_login_at=user.last_login_at,
        avatar_image_id=user.avatar_image_id,
    )


class UserRepository:
    def __init__(self) -> None:
        self._connection = Connection(region=region())

    def create(self, user: User) -> None:
        """Insert the user and claim the email in one transaction; a taken email is a Conflict."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(EmailClaim(_email_key(user.email), user_id=user.id), condition=EmailClaim.pk.does_not_exist())
                tx.save(_to_item(user), condition=UserItem.pk.does_not_exist())
        except TransactWriteError as e:
            if e.cause_response_code == "TransactionCanceledException":
                raise Conflict("An account with this email already exists", field="email") from None
            raise

    def get(self, user_id: str) -> User | None:
        try:
            return _to_domain(UserItem.get(_user_key(user_id), consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, user_ids) -> dict[str, User]:
        keys = [_user_key(u) for u in dict.fromkeys(user_ids)]
        users = (_to_domain(item) for item in UserItem.batch_get(keys)) if keys else ()
        return {u.id: u for u in users}

    def get_by_email(self, email: str) -> User | None:
        try:
            claim = EmailClaim.get(_email_key(email), consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(claim.user_id)

    def save(self, user: User) -> None:
        """Overwrite the stored user (the email claim is untouched: emails are not editable yet)."""
        _to_item(user).save(condition=UserItem.pk.exists())

    def bump_token_version(self, user_id: str, now: float) -> int:
        item = UserItem(_user_key(user_id))
        item.update(
            actions=[UserItem.token_version.add(1), UserItem.updated_at.set(now)],
            condition=UserItem.pk.exists(),
        )
        return int(item.token_version)

    def set_avatar(self, user_id: str, image_id: str) -> None:
        UserItem(_user_key(user_id)).update(actions=[UserItem.avatar_image_id.set(image_id)], condition=UserItem.pk.exists())

    def page(self, after: dict | None = None, limit: int = 50, newest_first: bool = True,
             role: Role | None = None, active_only: bool = False) -> tuple[list[User], dict | None]:
        """One page of users in creation order (the by-created index; never a Scan) and the key to resume
        after, None at the end. ``after`` is a key returned by an earlier call."""
        condition = None
        if role is not None:
            condition = UserItem.role == role.name
        if active_only:
            active = UserItem.is_active == True  # noqa: E712 (a PynamoDB condition)
            condition = active if condition is None else condition & active
        result = UserItem.by_created.query(LISTING, scan_index_forward=not newest_first, limit=limit,
                                           last_evaluated_key=after, filter_condition=condition)
        users = [_to_domain(item) for item in result]
        return users, result.last_evaluated_key

    def record_login(self, user_id: str, now: float) -> None:
        UserItem(_user_key(user_id)).update(actions=[UserItem.last_login_at.set(now)], condition=UserItem.pk.exists())


# -- administration: account deletion, guarded edits, the admin listing -----------------------------
DELETION_STATES = ("pending", "running", "completed", "failed")


@dataclass
class AccountDeletion:
    """The progress of one account's deletion (kept after the account is gone, as its tombstone)."""

    user_id: str
    mode: str  # reassign | remove
    status: str  # pending | running | completed | failed
    requested_by: str
    requested_at: float
    updated_at: float
    target_id: str | None = None  # reassign: the new owner
    counts: dict = field(default_factory=dict)  # "<kind>.<moved|removed>" -> n
    error: str | None = None
    finished_at: float | None = None


class DeletionItem(Model):
    """``DELETION#<user id>``: no ``listing`` attribute, so it stays out of the by-created index."""

    Meta = table_meta("users")

    pk = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    mode = UnicodeAttribute()
    status = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = NumberAttribute()
    updated_at = NumberAttribute()
    target_id = UnicodeAttribute(null=True)
    counts = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    finished_at = NumberAttribute(null=True)


def _deletion_key(user_id: str) -> str:
    return f"DELETION#{user_id}"


def _deletion(item: DeletionItem) -> AccountDeletion:
    return AccountDeletion(
        user_id=item.user_id, mode=item.mode, status=item.status, requested_by=item.requested_by,
        requested_at=float(item.requested_at), updated_at=float(item.updated_at), target_id=item.target_id,
        counts=dict(item.counts or {}), error=item.error,
        finished_at=float(item.finished_at) if item.finished_at is not None else None,
    )


def _active_admin():
    return (UserItem.role == Role.ADMIN.name) & (UserItem.is_active == True)  # noqa: E712 (a condition)


def _reasons(error: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (error.cancellation_reasons or [])]


class AccountChangeRejected(Exception):
    """A guarded account write was cancelled; ``reason`` says which guard refused it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # email-taken | actor-not-admin | target-missing | being-deleted | changed


def _cancelled(error: TransactWriteError, guards: list[str]) -> AccountChangeRejected:
    """Map the first failed condition of a cancelled transaction to its guard name; a conflict with a
    concurrent transaction is ``changed``. PynamoDB sends a transaction's actions grouped by type
    (condition checks, deletes, puts, updates): ``guards`` name them in that order. Any other failure
    (throttling, an outage) is not a refusal and is raised as it is."""
    if error.cause_response_code not in ("TransactionCanceledException", "TransactionConflictException"):
        raise error
    for code, guard in zip(_reasons(error), guards, strict=False):
        if code == "ConditionalCheckFailed":
            return AccountChangeRejected(guard)
    return AccountChangeRejected("changed")


def user_list_key(user: User) -> dict:
    """The resume point after ``user`` in the by-created index (what an admin-list cursor carries)."""
    return {"id": user.id, "createdAt": user.created_at}


def _start_key(after: dict) -> dict:
    return {"pk": {"S": _user_key(after["id"])}, "listing": {"S": LISTING},
            "created_at": {"N": NumberAttribute().serialize(after["createdAt"])}}


class AccountRepository(UserRepository):
    """The user repository plus the administrative operations: guarded edits, deletion, the full list."""

    def walk(self, after: dict | None = None, newest_first: bool = True, page_size: int = 100) -> Iterator[User]:
        """Users in creation order (the by-created index), lazily, starting after the key ``after``
        (built by :func:`user_list_key`). The caller decides how far to read."""
        start = _start_key(after) if after else None
        for item in UserItem.by_created.query(LISTING, scan_index_forward=not newest_first, last_evaluated_key=start,
                                              page_size=page_size):
            yield _to_domain(item)

    def admin_update(self, user_id: str, actor_id: str, now: float, fields: dict, bump_tokens: bool = False,
                     email_change: tuple[str, str] | None = None) -> None:
        """Change an account on an administrator's behalf, in one transaction: the fields (attribute ->
        value; ``role`` as a Role), a token revocation, and an email move (old, new) that swaps the
        uniqueness claims. Refused (AccountChangeRejected) when the new email is taken, the actor is no
        longer an active administrator, the account is gone, or its deletion has started."""
        actions = [getattr(UserItem, name).set(value.name if isinstance(value, Role) else value)
                   for name, value in fields.items()]
        actions.append(UserItem.updated_at.set(now))
        if bump_tokens:
            actions.append(UserItem.token_version.add(1))
        checks, deletes, puts = ["being-deleted"], [], []
        target_condition = UserItem.pk.exists()
        if actor_id == user_id:
            target_condition &= _active_admin()  # one transaction may not touch an item twice
        else:
            checks.insert(0, "actor-not-admin")
        try:
            with TransactWrite(connection=self._connection) as tx:
                if actor_id != user_id:
                    tx.condition_check(UserItem, _user_key(actor_id), condition=_active_admin())
                tx.condition_check(DeletionItem, _deletion_key(user_id), condition=DeletionItem.pk.does_not_exist())
                if email_change:
                    old, new = email_change
                    tx.delete(EmailClaim(_email_key(old)),
                              condition=EmailClaim.pk.does_not_exist() | (EmailClaim.user_id == user_id))
                    tx.save(EmailClaim(_email_key(new), user_id=user_id), condition=EmailClaim.pk.does_not_exist())
                    deletes, puts = ["changed"], ["email-taken"]
                tx.update(UserItem(_user_key(user_id)), actions=actions, condition=target_condition)
        except TransactWriteError as e:
            raise _cancelled(e, checks + deletes + puts + ["target-missing"]) from None

    def start_deletion(self, deletion: AccountDeletion) -> None:
        """Record the deletion request, deactivate the account and revoke its tokens, atomically. A
        failed earlier attempt may be restarted; a running one may not (``being-deleted``)."""
        item = DeletionItem(_deletion_key(deletion.user_id), user_id=deletion.user_id, mode=deletion.mode,
                            status=deletion.status, requested_by=deletion.requested_by,
                            requested_at=deletion.requested_at, updated_at=deletion.updated_at,
                            target_id=deletion.target_id, counts=deletion.counts or {}, error=None, finished_at=None)
        guards = ["actor-not-admin", "being-deleted", "target-missing"]  # checks, puts, updates
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(item, condition=DeletionItem.pk.does_not_exist() | (DeletionItem.status == "failed"))
                tx.update(UserItem(_user_key(deletion.user_id)),
                          actions=[UserItem.is_active.set(False), UserItem.token_version.add(1),
                                   UserItem.updated_at.set(deletion.requested_at)],
                          condition=UserItem.pk.exists())
                tx.condition_check(UserItem, _user_key(deletion.requested_by), condition=_active_admin())
        except TransactWriteError as e:
            raise _cancelled(e, guards) from None

    def deletion(self, user_id: str) -> AccountDeletion | None:
        try:
            return _deletion(DeletionItem.get(_deletion_key(user_id), consistent_read=True))
        except DoesNotExist:
            return None

    def deletions(self, user_ids) -> dict[str, AccountDeletion]:
        keys = [_deletion_key(u) for u in dict.fromkeys(user_ids)]
        return {d.user_id: d for d in (_deletion(i) for i in DeletionItem.batch_get(keys))} if keys else {}

    def update_deletion(self, user_id: str, now: float, **fields) -> bool:
        """Set progress fields (status, counts, error, finished_at) unless the deletion completed."""
        actions = [getattr(DeletionItem, name).set(value) for name, value in fields.items()]
        actions.append(DeletionItem.updated_at.set(now))
        item = DeletionItem(_deletion_key(user_id))
        return conditional(lambda: item.update(
            actions=actions, condition=DeletionItem.pk.exists() & (DeletionItem.status != "completed")))

    def delete_account(self, user_id: str) -> bool:
        """Remove the user record and its email claim together; False when already gone."""
        user = self.get(user_id)
        if user is None:
            return False
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(UserItem(_user_key(user_id)), condition=UserItem.pk.exists())
                tx.delete(EmailClaim(_email_key(user.email)),
                          condition=EmailClaim.pk.does_not_exist() | (EmailClaim.user_id == user_id))
        except TransactWriteError as e:
            if "ConditionalCheckFailed" in _reasons(e):
                return False  # deleted (or renamed) meanwhile: the next run sees the current state
            raise
        return True
