"""Flags (member reports), the admin review queue, decisions and the moderation settings."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import asset_kind, record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import DEFAULT_PAGE_SIZE, page_meta
from chalicelib.services.moderation_service import (
    FLAGS_PER_HOUR_RANGE,
    KINDS,
    MAX_DETAILS,
    NOTE_RANGE,
    REASONS,
    THRESHOLD_RANGE,
)

router = Router(__name__, "moderation")

Reason = Literal[REASONS]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]


class FlagBody(ApiModel):
    reason: Reason
    details: pydantic.constr(max_length=MAX_DETAILS) = ""  # required (3+ characters) with reason "other"


class QueueQuery(ApiModel):
    kind: Kind | None = None
    state: Literal["open", "hidden"] | None = None
    cursor: pydantic.constr(max_length=2000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = DEFAULT_PAGE_SIZE


class ApproveBody(ApiModel):
    note: pydantic.constr(max_length=NOTE_RANGE[1]) | None = None


class RemoveBody(ApiModel):
    note: pydantic.constr(min_length=NOTE_RANGE[0], max_length=NOTE_RANGE[1])


class SettingsBody(ApiModel):
    flag_threshold: pydantic.conint(strict=True, ge=THRESHOLD_RANGE[0], le=THRESHOLD_RANGE[1]) | None = None
    flags_per_hour: pydantic.conint(strict=True, ge=FLAGS_PER_HOUR_RANGE[0], le=FLAGS_PER_HOUR_RANGE[1]) | None = None


def _flag(ctx, kind: str, asset_id: str):
    report = container.moderation_service().flag(ctx.user, kind, asset_id, ctx.body.reason, ctx.body.details)
    return Result(presenters.flag_receipt(report), status=201)


@router.route("/models/{model_id}/flags", "POST", summary="Report a model (once per review round; rate limited)",
              role=Role.USER, body=FlagBody, status=201, path_params={"model_id": record_id})
def flag_model(ctx):
    return _flag(ctx, "model", ctx.path_params["model_id"])


@router.route("/images/{image_id}/flags", "POST", summary="Report an image (once per review round; rate limited)",
              role=Role.USER, body=FlagBody, status=201, path_params={"image_id": record_id})
def flag_image(ctx):
    return _flag(ctx, "image", ctx.path_params["image_id"])


@router.route("/moderation/queue", summary="Undecided cases, oldest first: asset, reporters, reasons, details",
              role=Role.ADMIN, query=QueueQuery)
def queue(ctx):
    q = ctx.query
    views, cursor = container.moderation_service().queue(q.kind, q.state, q.cursor, q.page_size)
    return Result([presenters.moderation_case(v) for v in views], meta=page_meta(cursor, q.page_size))


@router.route("/moderation/settings", summary="Moderation settings (reports needed to hide, reports per hour)",
              role=Role.ADMIN)
def get_settings(ctx):
    return presenters.moderation_settings(container.moderation_service().settings())


@router.route("/moderation/settings", "PUT", summary="Change the moderation settings (audited)",
              role=Role.ADMIN, body=SettingsBody)
def put_settings(ctx):
    b = ctx.body
    settings = container.moderation_service().update_settings(ctx.user, b.flag_threshold, b.flags_per_hour)
    return presenters.moderation_settings(settings)


@router.route("/moderation/{kind}/{asset_id}", summary="One moderation case (open or decided) with its asset",
              role=Role.ADMIN, path_params={"kind": asset_kind, "asset_id": record_id})
def get_case(ctx):
    p = ctx.path_params
    return presenters.moderation_case(container.moderation_service().case(p["kind"], p["asset_id"]))


@router.route("/moderation/{kind}/{asset_id}/approve", "POST",
              summary="Approve: the asset is active again with its previous visibility; reports are closed",
              role=Role.ADMIN, body=ApproveBody, path_params={"kind": asset_kind, "asset_id": record_id})
def approve(ctx):
    p = ctx.path_params
    view = container.moderation_service().approve(ctx.user, p["kind"], p["asset_id"], ctx.body.note)
    return presenters.moderation_case(view)


@router.route("/moderation/{kind}/{asset_id}/remove", "POST",
              summary="Remove: the asset is taken down for good (record kept, files deleted in the background)",
              role=Role.ADMIN, body=RemoveBody, path_params={"kind": asset_kind, "asset_id": record_id})
def remove(ctx):
    p = ctx.path_params
    view = container.moderation_service().remove(ctx.user, p["kind"], p["asset_id"], ctx.body.note)
    return presenters.moderation_case(view)
