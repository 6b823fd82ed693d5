"""Models: search and list, detail, edit, delete; versions: list, rename, promote, delete."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.listing import Id, ListQuery, listing
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.services.asset_service import ModelChanges

router = Router(__name__, "models")

Word = pydantic.constr(min_length=1, max_length=100)
Tag = pydantic.constr(min_length=1, max_length=60)
MetadataValue = str | int | float | bool | list[str] | None


class ModelListQuery(ListQuery):
    type: Literal["lora", "checkpoint", "textual-inversion", "unknown"] | None = None
    base_model: pydantic.constr(min_length=1, max_length=100) | None = None
    sort: Literal["newest", "liked", "downloads", "name"] = "newest"
    metadata: dict[pydantic.constr(pattern=r"^[a-z0-9-]{1,64}$"), pydantic.constr(min_length=1, max_length=200)] = {}

    @pydantic.field_validator("metadata")
    @classmethod
    def _bounded(cls, value: dict) -> dict:
        if len(value) > 10:
            raise ValueError("at most 10 metadata filters")
        return value


class ModelPatch(ApiModel):
    title: pydantic.constr(min_length=1, max_length=180) | None = None
    description: pydantic.constr(max_length=5000) | None = None
    trigger_words: pydantic.conlist(Word, max_length=20) | None = None
    tags: pydantic.conlist(Tag, max_length=24) | None = None
    visibility: Literal["public", "private"] | None = None
    owner_id: Id | None = None
    metadata: dict[pydantic.constr(min_length=1, max_length=64), MetadataValue] | None = None


class VersionPatch(ApiModel):
    name: pydantic.constr(min_length=1, max_length=80)


@router.route("/models", summary="Search and list models (text, type, base model, tags, curator, metadata; sorted, cursor-paged)",
              query=ModelListQuery)
def list_models(ctx):
    q = ctx.query
    query = q.search_query("model", type=q.type, base_model=q.base_model, sort=q.sort)
    listed = container.catalog_service().search(ctx.user, query, q.metadata, q.cursor, q.page_size)
    return listing(listed, presenters.model_card, ctx.user, q.page_size)


@router.route("/models/{model_id}", summary="Model detail: versions, trigger words, metadata, dataset tags, galleries, counts")
def get_model(ctx):
    return presenters.model_detail(container.catalog_service().model_detail(ctx.user, ctx.path_params["model_id"]), ctx.user)


@router.route("/models/{model_id}", "PATCH", summary="Edit a model (owner or admin; ownership transfer by admins only)",
              role=Role.CURATOR, body=ModelPatch)
def patch_model(ctx):
    changes = ModelChanges(**ctx.body.model_dump(exclude_unset=True))
    container.asset_service().update_model(ctx.user, ctx.path_params["model_id"], changes)
    return get_model(ctx)


@router.route("/models/{model_id}", "DELETE", summary="Delete a model, its versions and files (galleries are kept)",
              role=Role.CURATOR, status=204)
def delete_model(ctx):
    container.asset_service().delete_model(ctx.user, ctx.path_params["model_id"])
    return Result(status=204)


@router.route("/models/{model_id}/versions", summary="Versions of a model (processed ones; all for the owner)")
def list_versions(ctx):
    model, versions = container.catalog_service().model_versions(ctx.user, ctx.path_params["model_id"])
    return presenters.model_versions(model, versions, ctx.user)


@router.route("/models/{model_id}/versions/{version_id}", "PATCH", summary="Rename a version (unique per model)",
              role=Role.CURATOR, body=VersionPatch)
def rename_version(ctx):
    p = ctx.path_params
    container.asset_service().rename_version(ctx.user, p["model_id"], p["version_id"], ctx.body.name)
    return list_versions(ctx)


@router.route("/models/{model_id}/versions/{version_id}/promote", "POST", summary="Make a version the primary one",
              role=Role.CURATOR)
def promote_version(ctx):
    p = ctx.path_params
    container.asset_service().promote_version(ctx.user, p["model_id"], p["version_id"])
    return get_model(ctx)


@router.route("/models/{model_id}/versions/{version_id}", "DELETE", summary="Delete a secondary version and its files",
              role=Role.CURATOR, status=204)
def delete_version(ctx):
    p = ctx.path_params
    container.asset_service().delete_version(ctx.user, p["model_id"], p["version_id"])
    return Result(status=204)
