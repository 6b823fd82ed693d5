"""Accounts: registration, login, token checks and revocation, self-service profile edits."""
from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass

from chalicelib.errors import Forbidden, Maintenance, Unauthorized, ValidationError
from chalicelib.models import Role, User
from chalicelib.security import passwords, tokens

LOGIN_FAILED = "Invalid email or password"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_email(value: str) -> str:
    """Emails are compared lower-cased and trimmed; raises ValueError when not an address."""
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValueError("must be a valid email address")
    return value


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    expires_at: int


class AuthService:
    def __init__(self, users, nonces, settings, limiter, *, jwt_secret, token_ttl: int,
                 login_limit: int, login_window: int, registrations_per_ip: int = 20,
                 registration_window: int = 3600, password_changes: int = 5,
                 on_renamed=lambda user_id: None, clock=time.time) -> None:
        self._users = users
        self._on_renamed = on_renamed  # curator names are searchable: their assets get re-indexed
        self._nonces = nonces
        self._settings = settings
        self._limiter = limiter
        self._jwt_secret = jwt_secret  # callable: the secret is resolved lazily, never at import
        self._ttl = token_ttl
        self._login_limit = login_limit
        self._login_window = login_window
        self._registrations_per_ip = registrations_per_ip
        self._registration_window = registration_window
        self._password_changes = password_changes
        self._clock = clock

    # -- sessions -------------------------------------------------------------------------
    def _issue(self, user: User) -> Session:
        token, claims = tokens.issue(self._jwt_secret(), user.id, user.token_version, self._ttl, self._clock())
        return Session(token, user, claims.expires_at)

    def register(self, email: str, display_name: str, password: str, source_ip: str) -> Session:
        site = self._settings.site()
        if site.maintenance_mode:
            raise Maintenance("The site is in maintenance mode")
        if not site.allow_registration:
            raise Forbidden("Registration is closed")
        # Every attempt counts, taken ones too: it bounds mass account creation and probing which
        # addresses are registered (409) from one address alike.
        self._limiter.take("register-ip", source_ip, self._registrations_per_ip, self._registration_window)
        now = self._clock()
        user = User(uuid.uuid4().hex, email, display_name, Role.USER, passwords.hash_password(password), now, now)
        self._users.create(user)
        return self._issue(user)

    def login(self, email: str, password: str, source_ip: str) -> Session:
        # Both the address and the account are limited, so neither spraying one password over
        # many accounts nor hammering one account from many addresses gets far.
        self._limiter.check("login-ip", source_ip, self._login_limit * 3, self._login_window)
        self._limiter.check("login-email", email, self._login_limit, self._login_window)
        user = self._users.get_by_email(email)
        valid = passwords.verify_password(user.password_hash if user else None, password)
        if not (valid and user and user.is_active):
            self._limiter.hit("login-ip", source_ip, self._login_window)
            self._limiter.hit("login-email", email, self._login_window)
            raise Unauthorized(LOGIN_FAILED)
        if self._settings.site().maintenance_mode and user.role < Role.ADMIN:
            raise Maintenance("The site is in maintenance mode; only administrators can sign in")
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
            self._users.save(user)
        self._users.record_login(user.id, self._clock())
        return self._issue(user)

    def authenticate(self, authorization: str | None) -> User | None:
        """The stored user behind a bearer token; None for guests. Roles come from the store."""
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use the Authorization: Bearer <token> header")
        claims = tokens.verify(self._jwt_secret(), token.strip())
        user = self._users.get(claims.user_id)
        if user is None or not user.is_active or user.token_version != claims.token_version:
            raise Unauthorized("Token revoked")
        if self._nonces.exists(f"revoked#{claims.jti}"):
            raise Unauthorized("Token revoked")
        return user

    def logout(self, authorization: str, all_devices: bool) -> None:
        claims = tokens.verify(self._jwt_secret(), authorization.partition(" ")[2].strip())
        if all_devices:
            self._users.bump_token_version(claims.user_id, self._clock())
        else:
            self._nonces.claim(f"revoked#{claims.jti}", claims.expires_at + 60)

    # -- profile --------------------------------------------------------------------------
    def update_me(self, user: User, changes: dict, current_password: str | None, new_password: str | None) -> tuple[User, Session | None]:
        if new_password is not None:
            # A stolen token must not become a way to guess the current password; checked before
            # anything changes, so a refused request leaves the profile as it was.
            self._limiter.take("password-change", user.id, self._password_changes, self._login_window)
        renamed = "display_name" in changes and changes["display_name"] != user.display_name
        for name, value in changes.items():
            setattr(user, name, value)
        session = None
        if new_password is not None:
            if not current_password or not passwords.verify_password(user.password_hash, current_password):
                raise ValidationError("Current password is incorrect", field="currentPassword")
            user.password_hash = passwords.hash_password(new_password)
            # A new password signs out every other device: old tokens carry the old version.
            user.token_version += 1
        user.updated_at = self._clock()
        self._users.save(user)
        if renamed:
            self._on_renamed(user.id)
        if new_password is not None:
            session = self._issue(user)
        return user, session

    # -- administration -------------------------------------------------------------------
    def upsert_account(self, email: str, display_name: str, role: Role, password: str | None) -> tuple[User, str | None]:
        """Create an account or reset an existing one to this role and password (old tokens die).

        Returns the generated password when none was given."""
        generated = None
        if password is None:
            generated = password = secrets.token_urlsafe(15)
        now = self._clock()
        existing = self._users.get_by_email(email)
        if existing:
            renamed = existing.display_name != display_name
            existing.role, existing.is_active, existing.display_name = role, True, display_name
            existing.password_hash = passwords.hash_password(password)
            existing.token_version += 1
            existing.updated_at = now
            self._users.save(existing)
            if renamed:
                self._on_renamed(existing.id)
            return existing, generated
        user = User(uuid.uuid4().hex, email, display_name, role, passwords.hash_password(password), now, now)
        self._users.create(user)
        return user, generated


def require_role(user: User | None, minimum: Role) -> None:
    if minimum == Role.GUEST:
        return
    if user is None:
        raise Unauthorized("Sign in required")
    if user.role < minimum:
        raise Forbidden(f"Requires the {minimum.name} role")
