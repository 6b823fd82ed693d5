"""Rankings: the public leaderboard and ranks, and the administrators' weights, tiers and per-user controls."""

import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import DEFAULT_PAGE_SIZE, page_meta
from chalicelib.services.ranking_service import (
    LABEL_RANGE,
    MAX_DESCRIPTION,
    MAX_MINIMUM_SCORE,
    MAX_POSITION,
    MAX_WEIGHT,
    TierChanges,
    Weights,
)

router = Router(__name__, "rankings")

Weight = pydantic.conint(strict=True, ge=0, le=MAX_WEIGHT)
Label = pydantic.constr(min_length=LABEL_RANGE[0], max_length=LABEL_RANGE[1])
Description = pydantic.constr(max_length=MAX_DESCRIPTION)
MinimumScore = pydantic.conint(strict=True, ge=0, le=MAX_MINIMUM_SCORE)
Position = pydantic.conint(strict=True, ge=0, le=MAX_POSITION)


USER = {"user_id": record_id}
TIER = {"tier_id": record_id}


class LeaderboardQuery(ApiModel):
    cursor: pydantic.constr(max_length=1000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = DEFAULT_PAGE_SIZE


class WeightsBody(ApiModel):
    model_weight: Weight
    gallery_weight: Weight
    image_weight: Weight


class TierBody(ApiModel):
    label: Label
    description: Description = ""
    minimum_score: MinimumScore
    position: Position | None = None
    is_active: pydantic.StrictBool = True


class TierPatch(ApiModel):
    label: Label | None = None
    description: Description | None = None
    minimum_score: MinimumScore | None = None
    position: Position | None = None
    is_active: pydantic.StrictBool | None = None


@router.route("/rankings/leaderboard", summary="Curators by ranking score, highest first (cursor pagination)",
              query=LeaderboardQuery)
def leaderboard(ctx):
    q = ctx.query
    board = container.ranking_service().leaderboard(ctx.user, q.cursor, q.page_size)
    return Result([presenters.leaderboard_entry(e) for e in board.entries], meta=page_meta(board.cursor, q.page_size))


@router.route("/rankings/users/{user_id}", summary="A user's rank (the same for every viewer)", path_params=USER)
def user_rank(ctx):
    user, rank, state = container.ranking_service().user_rank(ctx.user, ctx.path_params["user_id"])
    return presenters.user_rank(user, rank, state)


@router.route("/rankings/settings", summary="Ranking weights and the progress of the last recompute",
              role=Role.ADMIN)
def get_settings(ctx):
    return presenters.ranking_settings(container.ranking_service().settings())


@router.route("/rankings/settings", "PUT", summary="Change the ranking weights (scores are recomputed in the background)",
              role=Role.ADMIN, body=WeightsBody)
def put_settings(ctx):
    b = ctx.body
    settings = container.ranking_service().set_weights(ctx.user, Weights(b.model_weight, b.gallery_weight, b.image_weight))
    return presenters.ranking_settings(settings)


@router.route("/rankings/tiers", summary="Rank tiers (the built-in ladder while none are defined)", role=Role.ADMIN)
def list_tiers(ctx):
    tiers, fallback = container.ranking_service().tiers()
    return {"items": [presenters.rank_tier(t) for t in tiers], "isFallback": fallback}


@router.route("/rankings/tiers", "POST", summary="Add a rank tier", role=Role.ADMIN, body=TierBody, status=201)
def create_tier(ctx):
    b = ctx.body
    tier = container.ranking_service().create_tier(ctx.user, b.label, b.description, b.minimum_score, b.position,
                                                   b.is_active)
    return Result(presenters.rank_tier(tier), status=201)


@router.route("/rankings/tiers/{tier_id}", "PATCH", summary="Change a rank tier", role=Role.ADMIN, body=TierPatch,
              path_params=TIER)
def update_tier(ctx):
    b = ctx.body
    changes = TierChanges(b.label, b.description, b.minimum_score, b.position, b.is_active)
    return presenters.rank_tier(container.ranking_service().update_tier(ctx.user, ctx.path_params["tier_id"], changes))


@router.route("/rankings/tiers/{tier_id}", "DELETE", summary="Delete a rank tier", role=Role.ADMIN, path_params=TIER,
              status=204)
def delete_tier(ctx):
    container.ranking_service().delete_tier(ctx.user, ctx.path_params["tier_id"])
    return Result(status=204)


@router.route("/rankings/users/{user_id}/reset", "POST", summary="Restart a user's score from zero", role=Role.ADMIN,
              path_params=USER)
def reset(ctx):
    return presenters.user_rank(*container.ranking_service().reset(ctx.user, ctx.path_params["user_id"]))


@router.route("/rankings/users/{user_id}/block", "POST", summary="Exclude a user from the ranking ladder",
              role=Role.ADMIN, path_params=USER)
def block(ctx):
    return presenters.user_rank(*container.ranking_service().set_blocked(ctx.user, ctx.path_params["user_id"], True))


@router.route("/rankings/users/{user_id}/unblock", "POST", summary="Return a user to the ranking ladder",
              role=Role.ADMIN, path_params=USER)
def unblock(ctx):
    return presenters.user_rank(*container.ranking_service().set_blocked(ctx.user, ctx.path_params["user_id"], False))
