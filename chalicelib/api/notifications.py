import re
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta

router = Router(__name__, "notifications")

Category = Literal["announcements", "moderation", "likes", "comments"]
ID_PATTERN = r"^[0-9]{13}[0-9a-f]{8}$"
NotificationId = pydantic.constr(pattern=ID_PATTERN)


def _notification_id(value: str) -> str:
    if not re.fullmatch(ID_PATTERN, value):
        raise ValueError(value)
    return value


class NotificationsQuery(ApiModel):
    category: Category | None = None
    unread: bool = False
    cursor: NotificationId | None = None
    page_size: pydantic.conint(ge=1, le=100) = 30


class PollQuery(ApiModel):
    since: NotificationId | None = None
    wait: pydantic.conint(ge=0, le=20) = 0


class ReadAllBody(ApiModel):
    category: Category | None = None


class AnnouncementBody(ApiModel):
    title: pydantic.constr(min_length=3, max_length=160)
    message: pydantic.constr(min_length=1, max_length=800)


@router.route("/notifications", summary="My notifications, newest first, with unread counts per category",
              role=Role.USER, query=NotificationsQuery)
def list_notifications(ctx):
    q = ctx.query
    items, cursor, counts = container.notification_service().page(ctx.user, q.category, q.unread, q.cursor,
                                                                   q.page_size)
    return Result({"items": [presenters.notification(n) for n in items], **counts},
                  meta=page_meta(cursor, q.page_size))


@router.route("/notifications/poll", summary="Notifications newer than a cursor (waits up to `wait` seconds)",
              role=Role.USER, query=PollQuery)
def poll(ctx):
    items, cursor, counts = container.notification_service().poll(ctx.user, ctx.query.since, ctx.query.wait)
    return {"items": [presenters.notification(n) for n in items], "cursor": cursor, "pollAfterSeconds": 10, **counts}


@router.route("/notifications/{notification_id}/read", "POST", summary="Mark one notification read",
              role=Role.USER, path_params={"notification_id": _notification_id})
def mark_read(ctx):
    return container.notification_service().mark_read(ctx.user, ctx.path_params["notification_id"])


@router.route("/notifications/read-all", "POST", summary="Mark everything (or one category) read",
              role=Role.USER, body=ReadAllBody)
def mark_all_read(ctx):
    return container.notification_service().mark_all_read(ctx.user, ctx.body.category)


@router.route("/notifications/announcements", "POST", summary="Announce something to every active user",
              role=Role.ADMIN, body=AnnouncementBody, status=202)
def announce(ctx):
    announcement_id = container.notification_service().announce(ctx.user, ctx.body.title, ctx.body.message)
    return Result({"id": announcement_id, "queued": True}, status=202)
