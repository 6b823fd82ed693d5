"""Curator applications: members ask for the CURATOR role, administrators approve or reject.

Rules (see docs/decisions.md "People"):
- Only members with the USER role apply (curators and administrators already have the rights: 409).
- One pending application per member, enforced by a claim written in the same transaction as the
  application, so two simultaneous submissions cannot both succeed.
- A decision is taken once: approving or rejecting a decided application is a 409, and concurrent
  decisions are serialised by a condition on the pending status. Approval promotes USER -> CURATOR in
  the same transaction; a role that changed meanwhile (e.g. made ADMIN) is never lowered.
- Administrators are notified of new applications, applicants of the decision; every decision is audited.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.models import Role, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.services.notification_service import snippet

MESSAGE_MIN, MESSAGE_MAX = 40, 1200
REASON_MIN, REASON_MAX = 3, 600


@dataclass
class ApplicationPage:
    items: list
    cursor: str | None
    applicants: dict[str, User]


def _cursor_key(key: dict | None) -> dict | None:
    if key is None:
        return None
    app_id, created = key.get("id"), key.get("createdAt")
    if (not isinstance(app_id, str) or not 0 < len(app_id) <= 64 or isinstance(created, bool)
            or not isinstance(created, int | float) or not 0 <= created < 1e11):
        raise ValidationError("Malformed cursor", field="cursor")
    return {"id": app_id, "createdAt": created}


class ApplicationService:
    def __init__(self, repo, users, notifications, audit, clock=time.time) -> None:
        self._repo = repo
        self._users = users
        self._notifications = notifications  # () -> notification service
        self._audit = audit  # () -> audit service
        self._clock = clock

    # -- applicants -------------------------------------------------------------------------
    def latest(self, user: User):
        application = self._repo.latest_of(user.id)
        if application is None:
            raise NotFound("You have not applied to become a curator")
        return application

    def apply(self, user: User, message: str):
        from chalicelib.repositories.applications import PENDING, ApplicationConflict, CuratorApplication

        if user.role >= Role.CURATOR:
            raise Conflict(f"Your account already has the {user.role.name} role")
        if user.role < Role.USER:
            raise Forbidden("Sign in to apply")
        message = message.strip()
        if not MESSAGE_MIN <= len(message) <= MESSAGE_MAX:
            raise ValidationError(f"The message needs {MESSAGE_MIN} to {MESSAGE_MAX} characters", field="message")
        now = self._clock()
        application = CuratorApplication(uuid.uuid4().hex, user.id, message, PENDING, now, now)
        try:
            self._repo.submit(application)
        except ApplicationConflict:
            raise Conflict("You already have a pending application") from None
        self._notifications().notify_admins(
            "moderation", "curator-application", f"{user.display_name} applied to become a curator",
            snippet(message), link={"kind": "curator-application", "id": application.id}, actor_id=user.id)
        return application

    # -- administrators ---------------------------------------------------------------------
    def page(self, status: str, cursor: str | None, page_size: int) -> ApplicationPage:
        from chalicelib.repositories.applications import PENDING, STATUSES, application_key

        if status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", field="status")
        fingerprint = {"list": "curator-applications", "status": status}
        after = _cursor_key(decode_cursor(cursor, fingerprint))
        # The pending queue is worked oldest first; decided applications are history, newest first.
        stream = self._repo.by_status(status, after, newest_first=status != PENDING, page_size=min(page_size + 1, 100))
        items = []
        for application in stream:
            items.append(application)
            if len(items) > page_size:
                break
        next_cursor = None
        if len(items) > page_size:
            items = items[:page_size]
            next_cursor = encode_cursor(application_key(items[-1]), fingerprint)
        return ApplicationPage(items, next_cursor, self._users.get_many({a.user_id for a in items}))

    def get(self, application_id: str):
        application = self._repo.get(application_id)
        if application is None:
            raise NotFound("Application not found")
        return application, self._users.get(application.user_id)

    def approve(self, admin: User, application_id: str, reason: str | None):
        return self._decide(admin, application_id, "approved", reason)

    def reject(self, admin: User, application_id: str, reason: str):
        if reason is None or not REASON_MIN <= len(reason.strip()) <= REASON_MAX:
            raise ValidationError(f"A reason of {REASON_MIN} to {REASON_MAX} characters is required", field="reason")
        return self._decide(admin, application_id, "rejected", reason)

    def _decide(self, admin: User, application_id: str, status: str, reason: str | None):
        from chalicelib.repositories.applications import PENDING, ApplicationConflict

        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > REASON_MAX:
            raise ValidationError(f"The reason is limited to {REASON_MAX} characters", field="reason")
        application, applicant = self.get(application_id)
        if application.status != PENDING:
            raise Conflict(f"This application was already {application.status}")
        promote = status == "approved" and applicant is not None and applicant.role == Role.USER
        if status == "approved" and (applicant is None or not applicant.is_active):
            raise Conflict("The applicant's account is no longer active; reject the application instead")
        now = self._clock()
        try:
            self._repo.decide(application, status, admin.id, reason, now, promote=promote)
        except ApplicationConflict as e:
            if e.reason == "role-changed":
                raise Conflict("The applicant's role changed meanwhile; reload and decide again") from None
            raise Conflict("This application was decided meanwhile") from None
        self._audit().record(admin, f"curator-application.{'approve' if status == 'approved' else 'reject'}",
                             "curator-application", application.id,
                             {"userId": application.user_id, "reason": reason, "promoted": promote})
        verdict = "approved" if status == "approved" else "not approved"
        self._notifications().notify(
            application.user_id, "moderation", f"curator-application-{status}",
            f"Your curator application was {verdict}", reason or "",
            link={"kind": "curator-application", "id": application.id}, actor_id=admin.id)
        return self.get(application.id)
