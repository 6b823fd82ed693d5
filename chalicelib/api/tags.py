"""Tags with usage counts (what the viewer may see) and their admin-set categories and labels."""
from typing import Literal

import pydantic

from chalicelib import container
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role

router = Router(__name__, "tags")


class TagsQuery(ApiModel):
    kind: Literal["model", "image"] = "model"
    q: pydantic.constr(max_length=64) | None = None
    category: pydantic.constr(max_length=40) | None = None
    page_size: pydantic.conint(ge=1, le=200) = 50


class TagBody(ApiModel):
    category: pydantic.StrictStr  # 1-40 printable characters, checked by the service
    label: pydantic.StrictStr | None = None


@router.route("/tags", summary="Tags in use, most used first (counts only what the caller may see)", query=TagsQuery)
def list_tags(ctx):
    q = ctx.query
    tags = container.tag_service().list_tags(ctx.user, q.kind, q.q or "", q.category, q.page_size)
    return Result(tags, meta={"pageSize": q.page_size})


@router.route("/tags/categories", summary="Tag categories in use, with how many tags each holds")
def list_categories(ctx):
    return container.tag_service().categories()


@router.route("/tags/{slug}", "PUT", summary="Set a tag's category and display label", role=Role.ADMIN, body=TagBody)
def put_tag(ctx):
    return container.tag_service().set_tag(ctx.path_params["slug"], ctx.body.category, ctx.body.label)


@router.route("/tags/{slug}", "DELETE", summary="Clear a tag's category and label", role=Role.ADMIN, status=204)
def clear_tag(ctx):
    container.tag_service().set_tag(ctx.path_params["slug"], None, None)
    return Result(status=204)
