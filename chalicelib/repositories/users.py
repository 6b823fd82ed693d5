"""Users and the email-uniqueness claims that guard them (one table, two item kinds)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.models import Role, User
from chalicelib.repositories.base import region, table_meta

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
