from typing import Literal
from urllib.parse import unquote

import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.services.safety_service import MAX_KEYWORDS, MAX_LABEL, MAX_THRESHOLD

router = Router(__name__, "safety")

Category = Literal["adult", "illegal"]
Threshold = pydantic.conint(strict=True, ge=0, le=MAX_THRESHOLD)


def _category(value: str) -> str:
    if value not in ("adult", "illegal"):
        raise ValueError(value)
    return value


class KeywordsQuery(ApiModel):
    category: Category | None = None


class KeywordBody(ApiModel):
    label: pydantic.constr(min_length=1, max_length=MAX_LABEL)
    category: Category


class ThresholdsBody(ApiModel):
    adult: Threshold
    illegal: Threshold


class AdultKeywordsBody(ApiModel):
    keywords: pydantic.conlist(pydantic.constr(min_length=1, max_length=MAX_LABEL), max_length=MAX_KEYWORDS)


@router.route("/safety/keywords", summary="Adult and illegal keyword lists (optionally one category)",
              role=Role.ADMIN, query=KeywordsQuery)
def list_keywords(ctx):
    items, counts = container.safety_service().keywords(ctx.query.category)
    return {"items": [presenters.safety_keyword(k) for k in items], "counts": counts, "limit": MAX_KEYWORDS}


@router.route("/safety/keywords", "POST", summary="Add a keyword (assets are re-evaluated in the background)",
              role=Role.ADMIN, body=KeywordBody, status=201)
def add_keyword(ctx):
    keyword, run = container.safety_service().add_keyword(ctx.user, ctx.body.category, ctx.body.label)
    return Result({"keyword": presenters.safety_keyword(keyword), "recalculation": presenters.safety_recalculation(run)},
                  status=201)


@router.route("/safety/keywords/{category}/{keyword}", "DELETE",
              summary="Remove a keyword by id or label (assets are re-evaluated in the background)",
              # Labels arrive percent-encoded from some gateways and decoded from others; a stored label
              # never contains "%", so decoding once is safe either way.
              role=Role.ADMIN, path_params={"category": _category, "keyword": unquote})
def remove_keyword(ctx):
    keyword, run = container.safety_service().remove_keyword(ctx.user, ctx.path_params["category"],
                                                             ctx.path_params["keyword"])
    return {"keyword": presenters.safety_keyword(keyword), "recalculation": presenters.safety_recalculation(run)}


@router.route("/safety/thresholds", summary="Tag-frequency thresholds for adult and illegal LoRA training tags",
              role=Role.ADMIN)
def get_thresholds(ctx):
    return {"thresholds": container.safety_service().thresholds()}


@router.route("/safety/thresholds", "PUT", summary="Set the thresholds (0 disables; a change re-evaluates models)",
              role=Role.ADMIN, body=ThresholdsBody)
def put_thresholds(ctx):
    thresholds, run = container.safety_service().update_thresholds(ctx.user, ctx.body.adult, ctx.body.illegal)
    return {"thresholds": thresholds, "recalculation": presenters.safety_recalculation(run) if run else None}


@router.route("/safety/recalculate", "POST", summary="Re-evaluate every asset against the current rules",
              role=Role.ADMIN, status=202)
def recalculate(ctx):
    run = container.safety_service().request_recalculation(ctx.user)
    return Result({"recalculation": presenters.safety_recalculation(run)}, status=202)


@router.route("/safety/recalculations/latest", summary="Progress of the latest recalculation", role=Role.ADMIN)
def latest_recalculation(ctx):
    run = container.safety_service().latest_recalculation()
    return {"recalculation": presenters.safety_recalculation(run) if run else None}


# The earlier single-list API, kept for existing clients.
@router.route("/safety/adult-keywords", summary="Adult keyword labels (compatibility; see /safety/keywords)",
              role=Role.ADMIN)
def get_adult_keywords(ctx):
    items, _ = container.safety_service().keywords("adult")
    return {"keywords": [k.label for k in items]}


@router.route("/safety/adult-keywords", "PUT",
              summary="Replace the adult keyword list (compatibility; assets are re-evaluated in the background)",
              role=Role.ADMIN, body=AdultKeywordsBody)
def put_adult_keywords(ctx):
    items, run = container.safety_service().replace_keywords(ctx.user, "adult", ctx.body.keywords)
    return {"keywords": [k.label for k in items], "recomputing": True,
            "recalculation": presenters.safety_recalculation(run)}
