"""Images: search and list, detail (prompt, parameters, linked resources), edit, delete."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.listing import Id, ListQuery, listing
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.services.asset_service import ImageChanges

router = Router(__name__, "images")


class ImageListQuery(ListQuery):
    sort: Literal["newest", "liked", "name"] = "newest"


class ImagePatch(ApiModel):
    title: pydantic.constr(min_length=1, max_length=200) | None = None
    description: pydantic.constr(max_length=5000) | None = None
    tags: pydantic.conlist(pydantic.constr(min_length=1, max_length=60), max_length=24) | None = None
    visibility: Literal["public", "private"] | None = None
    owner_id: Id | None = None
    prompt: pydantic.constr(max_length=5000) | None = None
    negative_prompt: pydantic.constr(max_length=5000) | None = None


@router.route("/images", summary="Search and list images (text, tags, curator; sorted, cursor-paged)", query=ImageListQuery)
def list_images(ctx):
    q = ctx.query
    listed = container.catalog_service().search(ctx.user, q.search_query("image", sort=q.sort), {}, q.cursor, q.page_size)
    return listing(listed, presenters.image_card, ctx.user, q.page_size)


@router.route("/images/{image_id}", summary="Image detail: prompt, negative prompt, parameters, linked resources, likes")
def get_image(ctx):
    return presenters.image_detail(container.catalog_service().image_detail(ctx.user, ctx.path_params["image_id"]), ctx.user)


@router.route("/images/{image_id}", "PATCH", summary="Edit an image (owner or admin; ownership transfer by admins only)",
              role=Role.CURATOR, body=ImagePatch)
def patch_image(ctx):
    container.asset_service().update_image(ctx.user, ctx.path_params["image_id"],
                                           ImageChanges(**ctx.body.model_dump(exclude_unset=True)))
    return get_image(ctx)


@router.route("/images/{image_id}", "DELETE", summary="Delete an image and its files", role=Role.CURATOR, status=204)
def delete_image(ctx):
    container.asset_service().delete_image(ctx.user, ctx.path_params["image_id"])
    return Result(status=204)
