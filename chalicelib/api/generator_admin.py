"""Generator settings, the queue switch and per-user blocks (jobs and agents: ``api/generator.py``).

The body models check types only; ranges, cross-field rules and catalog references are the service's
(``services/generator_settings_service.py``), which validates the merged result of a partial update.
"""
from __future__ import annotations

from typing import Annotated, Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta
from chalicelib.services import generator_settings_service as g

router = Router(__name__, "generator")

Whole = pydantic.StrictInt
Number = Annotated[float, pydantic.Strict(), pydantic.AllowInfNan(False)]
Name = pydantic.constr(pattern=g.NAME.pattern)


class SizeBody(ApiModel):
    width: Whole
    height: Whole


class SizesBody(ApiModel):
    presets: list[SizeBody] | None = None
    default: SizeBody | None = None
    min_side: Whole | None = None
    max_side: Whole | None = None
    max_pixels: Whole | None = None


class StepsBody(ApiModel):
    default: Whole | None = None
    max: Whole | None = None


class CfgBody(ApiModel):
    default: Number | None = None
    min: Number | None = None
    max: Number | None = None


class LimitsBody(ApiModel):
    max_concurrent_per_user: Whole | None = None
    daily_per_user: Whole | None = None
    admins_exempt: pydantic.StrictBool | None = None


class BaseModelBody(ApiModel):
    id: pydantic.constr(pattern=g.ENTRY_ID.pattern)
    label: pydantic.constr(min_length=1, max_length=g.MAX_LABEL)
    type: Literal[g.MODEL_TYPES]
    source: Literal[g.SOURCES]
    model_id: pydantic.constr(pattern=g.RECORD_ID.pattern) | None = None
    key: pydantic.constr(min_length=1, max_length=g.MAX_KEY) | None = None
    sha256: pydantic.constr(pattern=g.SHA256.pattern) | None = None
    default: pydantic.StrictBool = False


class SettingsBody(ApiModel):
    """Every key is optional: only the given ones change (inside sizes, steps, cfg and limits too)."""

    access_mode: Literal[g.ACCESS_MODES] | None = None
    enabled: pydantic.StrictBool | None = None
    base_models: list[BaseModelBody] | None = None
    sizes: SizesBody | None = None
    samplers: list[Name] | None = None
    default_sampler: Name | None = None
    schedulers: list[Name] | None = None
    default_scheduler: Name | None = None
    steps: StepsBody | None = None
    cfg: CfgBody | None = None
    max_batch: Whole | None = None
    limits: LimitsBody | None = None
    version: pydantic.constr(min_length=1, max_length=64) | None = pydantic.Field(
        None, description="The `version` of a previous read: the change is refused (409) if anyone wrote since")


class PauseBody(ApiModel):
    decline_new: pydantic.StrictBool = True
    reason: pydantic.constr(max_length=g.MAX_QUEUE_REASON) | None = None


class BlocksQuery(ApiModel):
    cursor: pydantic.constr(min_length=1, max_length=1024) | None = None
    page_size: pydantic.conint(ge=1, le=200) = 50


class BlockBody(ApiModel):
    reason: pydantic.constr(min_length=1, max_length=g.MAX_REASON)


@router.route("/generator/settings", summary="Generator settings for the caller: options, access, limits and usage "
              "(administrators: everything, incl. base-model sources)", role=Role.USER)
def get_settings(ctx):
    return presenters.generator_overview(container.generator_settings_service().view(ctx.user), ctx.user)


@router.route("/generator/settings", "PUT", summary="Change generator settings (partial: only the given keys change)",
              role=Role.ADMIN, body=SettingsBody)
def put_settings(ctx):
    changes = ctx.body.model_dump(exclude_unset=True, exclude={"version"})
    overview = container.generator_settings_service().update_settings(ctx.user, changes, ctx.body.version)
    return presenters.generator_overview(overview, ctx.user)


@router.route("/generator/queue/pause", "POST", summary="Pause the generation queue (and by default decline new requests)",
              role=Role.ADMIN, body=PauseBody)
def pause_queue(ctx):
    switch = container.generator_settings_service().pause(ctx.user, ctx.body.decline_new, ctx.body.reason)
    return {"queue": presenters.generator_queue(switch, ctx.user)}


@router.route("/generator/queue/resume", "POST", summary="Resume the generation queue", role=Role.ADMIN)
def resume_queue(ctx):
    return {"queue": presenters.generator_queue(container.generator_settings_service().resume(ctx.user), ctx.user)}


@router.route("/generator/blocks", summary="Users blocked from the generator, by user id (cursor-paged)",
              role=Role.ADMIN, query=BlocksQuery)
def list_blocks(ctx):
    q = ctx.query
    blocks, cursor, users = container.generator_settings_service().blocks(q.cursor, q.page_size)
    return Result({"items": [presenters.generator_block(b, users) for b in blocks]},
                  meta=page_meta(cursor, q.page_size))


@router.route("/generator/blocks/{user_id}", "PUT", summary="Block a user from the generator, or change the reason",
              role=Role.ADMIN, body=BlockBody, path_params={"user_id": record_id})
def put_block(ctx):
    block, users = container.generator_settings_service().block(ctx.user, ctx.path_params["user_id"], ctx.body.reason)
    return presenters.generator_block(block, users)


@router.route("/generator/blocks/{user_id}", "DELETE", summary="Lift a user's generator block",
              role=Role.ADMIN, status=204, path_params={"user_id": record_id})
def delete_block(ctx):
    container.generator_settings_service().unblock(ctx.user, ctx.path_params["user_id"])
    return Result(status=204)
