"""Galleries (collections): list, detail, ordered entries, create, edit, delete, model links, bulk."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.listing import Id
from chalicelib.api.params import asset_kind, record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import DEFAULT_PAGE_SIZE, page_meta
from chalicelib.services.gallery_service import (
    MAX_BATCH,
    MAX_ENTRY_CHANGES,
    MAX_POSITION,
    UNCHANGED,
    EntryChange,
    GalleryDraft,
    GalleryPatch,
    ItemRef,
    ListQuery,
)

router = Router(__name__, "galleries")

Title = pydantic.constr(min_length=1, max_length=200)
Description = pydantic.constr(max_length=1500)
Note = pydantic.constr(max_length=600)
Kind = Literal["image", "model"]
Visibility = Literal["public", "private"]
Position = pydantic.confloat(ge=0, le=MAX_POSITION, allow_inf_nan=False)
PageSize = pydantic.conint(ge=1, le=100)
Cursor = pydantic.constr(max_length=2000)


GALLERY = {"gallery_id": record_id}


class GalleryListQuery(ApiModel):
    q: pydantic.constr(max_length=200) = ""
    curator: Id | None = None
    parent_id: Id | None = None
    sort: Literal["newest", "name"] = "newest"
    cursor: Cursor | None = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class EntriesQuery(ApiModel):
    cursor: Cursor | None = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class CreateGallery(ApiModel):
    title: Title
    description: Description = ""
    visibility: Visibility = "private"
    parent_id: Id | None = None
    cover_image_id: Id | None = None


class EntryEdit(ApiModel):
    kind: Kind
    asset_id: Id
    position: Position | None = None
    note: Note | None = None  # null clears, absent keeps


class EntryRef(ApiModel):
    kind: Kind
    asset_id: Id


class PatchGallery(ApiModel):
    # Absent: unchanged. An explicit null is refused where it has no meaning (title, visibility, owner).
    title: Title | None = None
    description: Description | None = None  # null clears
    visibility: Visibility | None = None
    cover_image_id: Id | None = None  # null clears
    parent_id: Id | None = None  # null: top level
    owner_id: Id | None = None  # administrators only
    entries: pydantic.conlist(EntryEdit, max_length=MAX_ENTRY_CHANGES) = []
    remove_entries: pydantic.conlist(EntryRef, max_length=MAX_ENTRY_CHANGES) = []

    @pydantic.field_validator("title", "visibility", "owner_id")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class NewEntry(ApiModel):
    kind: Kind
    id: Id
    note: Note | None = None


class AddEntries(ApiModel):
    items: pydantic.conlist(NewEntry, min_length=1, max_length=MAX_BATCH)


class LinkModel(ApiModel):
    gallery_id: Id
    note: Note | None = None


class BulkItem(ApiModel):
    kind: Kind
    id: Id


class BulkCollection(ApiModel):
    gallery_id: Id
    action: Literal["add", "remove"]
    items: pydantic.conlist(BulkItem, min_length=1, max_length=MAX_BATCH)


@router.route("/galleries", summary="List galleries (text, curator, children of a gallery; newest or by name, cursor-paged)",
              query=GalleryListQuery)
def list_galleries(ctx):
    q = ctx.query
    views, cursor = container.gallery_service().list(
        ctx.user, ListQuery(text=q.q, curator_id=q.curator, parent_id=q.parent_id, sort=q.sort), q.cursor, q.page_size)
    return Result([presenters.gallery_card(v, ctx.user) for v in views], meta=page_meta(cursor, q.page_size))


@router.route("/galleries", "POST", summary="Create a gallery (optionally nested under one of yours)",
              role=Role.CURATOR, body=CreateGallery, status=201)
def create_gallery(ctx):
    b = ctx.body
    detail = container.gallery_service().create(ctx.user, GalleryDraft(
        b.title, b.description, b.visibility, parent_id=b.parent_id, cover_image_id=b.cover_image_id))
    return Result(presenters.gallery_detail(detail, ctx.user), status=201)


@router.route("/galleries/{gallery_id}", summary="Gallery detail: first page of ordered entries, children, parent",
              path_params=GALLERY)
def get_gallery(ctx):
    detail = container.gallery_service().detail(ctx.user, ctx.path_params["gallery_id"])
    return presenters.gallery_detail(detail, ctx.user)


@router.route("/galleries/{gallery_id}/entries", summary="Further pages of a gallery's ordered entries",
              query=EntriesQuery, path_params=GALLERY)
def list_entries(ctx):
    q = ctx.query
    entries, cursor = container.gallery_service().entries_page(ctx.user, ctx.path_params["gallery_id"], q.cursor,
                                                               q.page_size)
    return Result([presenters.gallery_entry(e, ctx.user) for e in entries], meta=page_meta(cursor, q.page_size))


@router.route("/galleries/{gallery_id}", "PATCH",
              summary="Edit a gallery: fields, cover, parent, entry order and notes, removals (all or nothing)",
              role=Role.CURATOR, body=PatchGallery, path_params=GALLERY)
def patch_gallery(ctx):
    b = ctx.body
    given = {name: getattr(b, name) for name in ("title", "description", "visibility", "cover_image_id",
                                                 "parent_id", "owner_id") if name in b.model_fields_set}
    if given.get("description", "") is None:
        given["description"] = ""
    patch = GalleryPatch(**given, remove_entries=[(r.kind, r.asset_id) for r in b.remove_entries], entries=[
        EntryChange(e.kind, e.asset_id, e.position, e.note if "note" in e.model_fields_set else UNCHANGED)
        for e in b.entries])
    detail = container.gallery_service().update(ctx.user, ctx.path_params["gallery_id"], patch)
    return presenters.gallery_detail(detail, ctx.user)


@router.route("/galleries/{gallery_id}", "DELETE", summary="Delete a gallery (assets kept, children become top level)",
              role=Role.CURATOR, status=204, path_params=GALLERY)
def delete_gallery(ctx):
    container.gallery_service().delete(ctx.user, ctx.path_params["gallery_id"])
    return Result(status=204)


@router.route("/galleries/{gallery_id}/entries", "POST", summary="Add up to 100 images/models (all or nothing, per-item report)",
              role=Role.CURATOR, body=AddEntries, path_params=GALLERY)
def add_entries(ctx):
    refs = [ItemRef(i.kind, i.id, i.note) for i in ctx.body.items]
    return presenters.gallery_batch(container.gallery_service().add_entries(ctx.user, ctx.path_params["gallery_id"], refs))


@router.route("/galleries/{gallery_id}/entries/{kind}/{asset_id}", "DELETE", summary="Remove one entry (idempotent)",
              role=Role.CURATOR, status=204, path_params={**GALLERY, "kind": asset_kind, "asset_id": record_id})
def remove_entry(ctx):
    p = ctx.path_params
    container.gallery_service().remove_entry(ctx.user, p["gallery_id"], p["kind"], p["asset_id"])
    return Result(status=204)


@router.route("/models/{model_id}/galleries", "POST", summary="Add a model to a gallery (409 if already there)",
              role=Role.CURATOR, body=LinkModel, status=201, path_params={"model_id": record_id})
def link_model(ctx):
    b = ctx.body
    entry = container.gallery_service().link_model(ctx.user, ctx.path_params["model_id"], b.gallery_id, b.note)
    return Result({"galleryId": b.gallery_id, "entry": presenters.gallery_entry(entry, ctx.user)}, status=201)


@router.route("/bulk/collection", "POST", summary="Add or remove up to 100 images/models in a gallery (all or nothing)",
              role=Role.CURATOR, body=BulkCollection)
def bulk_collection(ctx):
    b = ctx.body
    report = container.gallery_service().bulk(ctx.user, b.gallery_id, b.action, [ItemRef(i.kind, i.id) for i in b.items])
    return presenters.gallery_batch(report)
