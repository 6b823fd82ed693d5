"""Administration of accounts: the user list, create, edit, deactivate, delete (one or many).

Rules (see docs/decisions.md "People"):
- Every write is guarded in its DynamoDB transaction by "the acting administrator is still an active
  administrator". Administrators cannot demote, deactivate or delete themselves, so the last active
  administrator can never be removed: whoever removes an administrator is another active one, and two
  administrators demoting each other at once cannot both succeed.
- Email changes swap the uniqueness claims in the same transaction (a taken email is a 409 and
  nothing changes). Deactivation and password resets revoke every token of the account at once.
- Deleting an account is two steps. The request deactivates the account, revokes its tokens and
  records the deletion (fast, one transaction); the background task ``delete-user`` then moves the
  content to another curator or removes it, in bounded batches that re-queue themselves, and finally
  deletes the record, its email claim, its applications and its notifications. Each step is
  idempotent. The deletion record stays as a tombstone with the outcome and counts.
"""
from __future__ import annotations

import logging
import secrets
import time
import uuid
from dataclasses import dataclass

from chalicelib.errors import Conflict, Forbidden, ItemsRejected, NotFound, ValidationError
from chalicelib.models import Role, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.security import passwords
from chalicelib.services.asset_service import ImageChanges, ModelChanges
from chalicelib.services.gallery_service import GalleryPatch
from chalicelib.services.text import fold

log = logging.getLogger(__name__)

MAX_BULK = 100
EXAMINE = 1000  # users read per list request at most when filtering; a sparse match returns a short page
DELETION_BATCH = 25  # records moved or removed per run of the deletion task
CONTENT_KINDS = ("model", "image", "gallery")  # in this order: removing a model removes its previews first

# The deletion task acts on an administrator's recorded decision, possibly after that administrator
# left; it uses the asset and gallery services with administrator rights under this identity.
SYSTEM = User(id="system", email="", display_name="System", role=Role.ADMIN, password_hash="", created_at=0,
              updated_at=0)


@dataclass
class UserPage:
    items: list[User]
    cursor: str | None
    deletions: dict  # user id -> AccountDeletion (accounts being deleted)


@dataclass
class UserFilter:
    role: Role | None = None
    active: bool | None = None
    q: str = ""
    sort: str = "newest"  # newest | oldest


@dataclass
class AccountView:
    user_id: str
    user: User | None  # None once the deletion completed
    deletion: object | None


_UNSET = object()


@dataclass
class UserPatch:
    email: object = _UNSET
    display_name: object = _UNSET
    role: object = _UNSET
    bio: object = _UNSET
    is_active: object = _UNSET
    show_adult: object = _UNSET
    password: object = _UNSET

    @classmethod
    def of(cls, **given) -> UserPatch:
        """Only the fields given (None counts as not given: no field of an account may be null)."""
        return cls(**{k: v for k, v in given.items() if v is not None})


def matches(user: User, f: UserFilter) -> bool:
    if f.role is not None and user.role != f.role:
        return False
    if f.active is not None and user.is_active != f.active:
        return False
    if f.q:
        q = fold(f.q.strip())
        name = fold(user.display_name)
        if not (user.email.startswith(q) or name.startswith(q) or any(w.startswith(q) for w in name.split())):
            return False
    return True


def _list_key(key: dict | None) -> dict | None:
    if key is None:
        return None
    user_id, created = key.get("id"), key.get("createdAt")
    if (not isinstance(user_id, str) or not 0 < len(user_id) <= 64 or isinstance(created, bool)
            or not isinstance(created, int | float) or not 0 <= created < 1e11):
        raise ValidationError("Malformed cursor", field="cursor")
    return {"id": user_id, "createdAt": created}


def _rejected(e) -> Exception:
    """A refused guarded write, as the error the caller sees."""
    return {
        "email-taken": Conflict("An account with this email already exists", field="email"),
        "actor-not-admin": Forbidden("Your account is no longer an active administrator"),
        "target-missing": NotFound("User not found"),
        "being-deleted": Conflict("This account is being deleted"),
    }.get(e.reason, Conflict("The account changed meanwhile; reload it and try again"))


class UserAdminService:
    def __init__(self, accounts, models, images, galleries, applications, notifications_repo, assets, gallery_service,
                 delete_objects, enqueue, on_renamed, audit, clock=time.time) -> None:
        self._accounts = accounts  # repositories.users.AccountRepository
        self._repos = {"model": models, "image": images, "gallery": galleries}
        self._images = images
        self._applications = applications
        self._notifications = notifications_repo
        self._assets = assets  # () -> asset service
        self._galleries = gallery_service  # () -> gallery service
        self._delete_objects = delete_objects  # (keys) -> None, best effort
        self._enqueue = enqueue  # (message, delay_seconds) -> None: the ingest queue
        self._on_renamed = on_renamed  # (user id) -> None: re-index their assets (names are searchable)
        self._audit = audit  # () -> audit service
        self._clock = clock

    # -- reading -----------------------------------------------------------------------------
    def page(self, f: UserFilter, cursor: str | None, page_size: int) -> UserPage:
        from chalicelib.repositories.users import user_list_key  # repository modules bind tables at import

        fingerprint = {"list": "users", "role": f.role.name if f.role else None, "active": f.active,
                       "q": fold(f.q.strip()), "sort": f.sort}
        after = _list_key(decode_cursor(cursor, fingerprint))
        stream = iter(self._accounts.walk(after, newest_first=f.sort == "newest", page_size=min(page_size + 1, 100)))
        out, examined, last = [], 0, None
        while len(out) < page_size and examined < EXAMINE:
            user = next(stream, None)
            if user is None:
                return self._page(out, None)
            examined, last = examined + 1, user
            if matches(user, f):
                out.append(user)
        # The cursor resumes right after the last user examined: users created meanwhile land before
        # it (newest first) or after everything read so far (oldest first); none is skipped or repeated.
        if next(stream, None) is None:
            return self._page(out, None)
        return self._page(out, encode_cursor(user_list_key(last), fingerprint))

    def _page(self, users: list[User], cursor: str | None) -> UserPage:
        inactive = [u.id for u in users if not u.is_active]
        return UserPage(users, cursor, self._accounts.deletions(inactive) if inactive else {})

    def get(self, user_id: str) -> AccountView:
        user = self._accounts.get(user_id)
        deletion = self._accounts.deletion(user_id)
        if user is None and deletion is None:
            raise NotFound("User not found")
        return AccountView(user_id, user, deletion)

    # -- creating and editing ----------------------------------------------------------------
    def create(self, admin: User, email: str, display_name: str, password: str | None, role: Role,
               bio: str = "") -> tuple[User, str | None]:
        """Returns the account and, when no password was given, the generated one (shown once)."""
        generated = None
        if password is None:
            generated = password = secrets.token_urlsafe(15)
        now = self._clock()
        user = User(uuid.uuid4().hex, email, display_name, role, passwords.hash_password(password), now, now, bio=bio)
        self._accounts.create(user)
        self._audit().record(admin, "user.create", "user", user.id, {"email": email, "role": role.name})
        return user, generated

    def update(self, admin: User, user_id: str, patch: UserPatch) -> User:
        from chalicelib.repositories.users import AccountChangeRejected

        user = self._accounts.get(user_id)
        if user is None:
            raise NotFound("User not found")
        if self._accounts.deletion(user_id) is not None:
            raise Conflict("This account is being deleted")
        own = user.id == admin.id
        if own and patch.role is not _UNSET and patch.role != Role.ADMIN:
            raise Conflict("You cannot change your own role; ask another administrator", field="role")
        if own and patch.is_active is False:
            raise Conflict("You cannot deactivate your own account", field="isActive")
        fields: dict = {}
        for name in ("display_name", "role", "bio", "is_active", "show_adult"):
            value = getattr(patch, name)
            if value is not _UNSET and value != getattr(user, name):
                fields[name] = value
        email_change = None
        if patch.email is not _UNSET and patch.email != user.email:
            fields["email"] = patch.email
            email_change = (user.email, patch.email)
        revoke = fields.get("is_active") is False
        if patch.password is not _UNSET:
            fields["password_hash"] = passwords.hash_password(patch.password)
            revoke = True  # a reset password signs the account out everywhere
        if not fields:
            return user
        try:
            self._accounts.admin_update(user.id, admin.id, self._clock(), fields, bump_tokens=revoke,
                                        email_change=email_change)
        except AccountChangeRejected as e:
            raise _rejected(e) from None
        if "display_name" in fields:
            self._on_renamed(user.id)
        details = {"fields": sorted("password" if k == "password_hash" else k for k in fields)}
        if "role" in fields:
            details["role"] = {"from": user.role.name, "to": fields["role"].name}
        if "is_active" in fields:
            details["isActive"] = fields["is_active"]
        self._audit().record(admin, "user.update", "user", user.id, details)
        return self._accounts.get(user.id)

    # -- deleting ----------------------------------------------------------------------------
    def _check_target(self, mode: str, target_id: str | None, deleting: set[str]) -> User | None:
        if mode not in ("reassign", "remove"):
            raise ValidationError("content must be reassign or remove", field="content")
        if mode == "remove":
            if target_id is not None:
                raise ValidationError("'to' only applies to content=reassign", field="to")
            return None
        if target_id is None:
            raise ValidationError("content=reassign needs 'to': the curator who receives the content", field="to")
        if target_id in deleting:
            raise ValidationError("The content cannot go to an account that is being deleted", field="to")
        target = self._accounts.get(target_id)
        if (target is None or not target.is_active or target.role < Role.CURATOR
                or self._accounts.deletion(target_id) is not None):
            raise ValidationError("'to' must be an active curator or administrator", field="to")
        return target

    def _problem(self, admin: User, user_id: str, mode: str, target_id: str | None) -> tuple[str, str] | None:
        """Why this account cannot be deleted now (code, message), or None."""
        if user_id == admin.id:
            return "CONFLICT", "You cannot delete your own account"
        user = self._accounts.get(user_id)
        deletion = self._accounts.deletion(user_id)
        if user is None and deletion is None:
            return "NOT_FOUND", "User not found"
        if deletion is not None and deletion.status != "failed" and (deletion.mode, deletion.target_id) != (mode, target_id):
            return "CONFLICT", f"This account is already being deleted (content={deletion.mode})"
        return None

    def delete(self, admin: User, user_id: str, mode: str, target_id: str | None):
        self._check_target(mode, target_id, {user_id})
        problem = self._problem(admin, user_id, mode, target_id)
        if problem:
            code, message = problem
            raise {"CONFLICT": Conflict, "NOT_FOUND": NotFound}[code](message)
        return self._start(admin, user_id, mode, target_id)

    def bulk_delete(self, admin: User, user_ids: list[str], mode: str, target_id: str | None) -> list:
        """All ids are checked first; if any cannot be deleted nothing is (one error per item)."""
        if not 1 <= len(user_ids) <= MAX_BULK:
            raise ValidationError(f"Send between 1 and {MAX_BULK} ids", field="ids")
        ids = list(dict.fromkeys(user_ids))
        self._check_target(mode, target_id, set(ids))
        problems = []
        for n, user_id in enumerate(user_ids):
            problem = self._problem(admin, user_id, mode, target_id)
            if problem:
                problems.append({"code": problem[0], "field": f"ids[{n}]", "message": f"{user_id}: {problem[1]}"})
        if problems:
            raise ItemsRejected(f"{len(problems)} of {len(user_ids)} accounts cannot be deleted; none was", problems)
        return [self._start(admin, user_id, mode, target_id) for user_id in ids]

    def _start(self, admin: User, user_id: str, mode: str, target_id: str | None):
        from chalicelib.repositories.users import AccountChangeRejected, AccountDeletion

        existing = self._accounts.deletion(user_id)
        if existing is not None and existing.status != "failed":
            # A retried request: nothing new to record; the task is queued again (it is idempotent).
            if existing.status != "completed":
                self._queue(user_id)
            return existing
        now = self._clock()
        deletion = AccountDeletion(user_id=user_id, mode=mode, status="pending", requested_by=admin.id,
                                   requested_at=now, updated_at=now, target_id=target_id)
        try:
            self._accounts.start_deletion(deletion)
        except AccountChangeRejected as e:
            raise _rejected(e) from None
        self._audit().record(admin, "user.delete", "user", user_id, {"content": mode, "to": target_id})
        self._queue(user_id)
        return deletion

    def _queue(self, user_id: str, delay: int = 0) -> None:
        try:
            self._enqueue({"task": "delete-user", "userId": user_id}, delay)
        except Exception:
            # The account is already deactivated and recorded; repeating the request queues it again.
            log.exception("could not queue the account deletion", extra={"userId": user_id})

    # -- the background task -----------------------------------------------------------------
    def run_deletion(self, user_id: str) -> int | None:
        """One batch of an account's deletion. Returns None when finished (or nothing to do), else the
        delay in seconds before the next batch should run."""
        deletion = self._accounts.deletion(user_id)
        if deletion is None or deletion.status in ("completed", "failed"):
            return None
        now = self._clock()
        target = None
        if deletion.mode == "reassign":
            target = self._accounts.get(deletion.target_id or "")
            if target is None or not target.is_active or target.role < Role.CURATOR:
                self._accounts.update_deletion(user_id, now, status="failed",
                                               error="The receiving account is no longer an active curator")
                return None
        counts = dict(deletion.counts)
        seen = progressed = 0
        for kind in CONTENT_KINDS:
            if seen >= DELETION_BATCH:
                break
            for record in self._repos[kind].query("by-owner", user_id, limit=DELETION_BATCH - seen, newest_first=False):
                seen += 1
                fresh = self._repos[kind].get(record.id)  # the owner index lags; act on the record itself
                if fresh is None or fresh.owner_id != user_id:
                    continue
                outcome = self._settle(kind, fresh, target)
                counts[f"{kind}.{outcome}"] = counts.get(f"{kind}.{outcome}", 0) + 1
                progressed += 1
        if seen:
            self._accounts.update_deletion(user_id, self._clock(), status="running", counts=counts)
            return 0 if progressed else 2  # only lagging index entries: give the index a moment
        self._applications.remove_user(user_id)
        self._notifications.purge_user(user_id)
        self._accounts.delete_account(user_id)
        self._accounts.update_deletion(user_id, self._clock(), status="completed", counts=counts,
                                       finished_at=self._clock())
        return None

    def _settle(self, kind: str, record, target: User | None) -> str:
        """Move one record to ``target`` (reassign) or remove it; returns "moved" or "removed"."""
        assets, galleries = self._assets(), self._galleries()
        part = kind == "image" and record.purpose != "image"  # a preview, cover or avatar of something
        try:
            if kind == "image" and record.purpose == "avatar" or (part and target is None):
                self._remove_part_image(record)
                return "removed"
            if target is None:
                if kind == "model":
                    assets.delete_model(SYSTEM, record.id)
                elif kind == "image":
                    assets.delete_image(SYSTEM, record.id)
                else:
                    galleries.delete(SYSTEM, record.id)
                return "removed"
            if kind == "model":
                assets.update_model(SYSTEM, record.id, ModelChanges(owner_id=target.id))
            elif part:
                # Previews and covers travel with their model or gallery; they carry no index entry.
                self._images.update(record.id, owner_id=target.id, updated_at=self._clock())
            elif kind == "image":
                assets.update_image(SYSTEM, record.id, ImageChanges(owner_id=target.id))
            else:
                galleries.update(SYSTEM, record.id, GalleryPatch(owner_id=target.id))
            return "moved"
        except NotFound:
            return "removed" if target is None else "moved"  # gone meanwhile (a concurrent run or its owner)

    def _remove_part_image(self, image) -> None:
        self._galleries().unlink_everywhere("image", image.id)
        self._images.delete(image.id)
        keys = [image.key] if image.key else []
        keys += [t["key"] for t in (image.thumbnails or {}).values() if t.get("key")]
        raw = (image.meta or {}).get("rawKey")
        self._delete_objects(keys + ([raw] if raw else []))
