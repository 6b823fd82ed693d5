"""Metadata field definitions (admin CRUD) and the distinct values of a field with model counts."""
from typing import Literal

import pydantic

from chalicelib import container
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import MetadataField, Role
from chalicelib.presenters import iso
from chalicelib.services.metadata_service import FIELD_TYPES

router = Router(__name__, "metadata")

FieldType = Literal[FIELD_TYPES]  # type: ignore[valid-type]
SortOrder = pydantic.conint(strict=True, ge=-1_000_000, le=1_000_000)


class CreateFieldBody(ApiModel):
    # Lengths and config contents are checked by the service, which reports every problem at once.
    name: pydantic.StrictStr
    type: FieldType
    is_filterable: pydantic.StrictBool = True
    is_browsable: pydantic.StrictBool = False
    config: dict | None = None
    sort_order: SortOrder = 0


class UpdateFieldBody(ApiModel):
    name: pydantic.StrictStr | None = None
    type: pydantic.StrictStr | None = None  # accepted only to explain that it cannot change
    is_filterable: pydantic.StrictBool | None = None
    is_browsable: pydantic.StrictBool | None = None
    config: dict | None = None
    sort_order: SortOrder | None = None


class FieldValuesQuery(ApiModel):
    kind: Literal["model"] = "model"
    page_size: pydantic.conint(ge=1, le=200) = 50


def _field(f: MetadataField) -> dict:
    return {"id": f.id, "name": f.name, "slug": f.slug, "type": f.type, "isFilterable": f.filterable,
            "isBrowsable": f.browsable, "config": f.config or None, "sortOrder": f.sort_order,
            "createdAt": iso(f.created_at), "updatedAt": iso(f.updated_at)}


@router.route("/metadata/fields", summary="Metadata field definitions, in display order")
def list_fields(ctx):
    return [_field(f) for f in container.metadata_service().list_fields()]


@router.route("/metadata/fields", "POST", summary="Define a typed metadata field (slug derived from the name)",
              role=Role.ADMIN, body=CreateFieldBody, status=201)
def create_field(ctx):
    b = ctx.body
    field = container.metadata_service().create_field(b.name, b.type, filterable=b.is_filterable,
                                                      browsable=b.is_browsable, config=b.config, sort_order=b.sort_order)
    return Result(_field(field), status=201)


@router.route("/metadata/fields/{field_id}", "PATCH", summary="Rename or reconfigure a field (type and slug are fixed)",
              role=Role.ADMIN, body=UpdateFieldBody)
def update_field(ctx):
    sent = ctx.body.model_dump(exclude_unset=True)
    names = {"is_filterable": "filterable", "is_browsable": "browsable"}
    changes = {names.get(k, k): v for k, v in sent.items() if v is not None or k == "config"}
    return _field(container.metadata_service().update_field(ctx.path_params["field_id"], changes))


@router.route("/metadata/fields/{field_id}", "DELETE",
              summary="Delete a field (its values are hidden and dropped on each model's next write)",
              role=Role.ADMIN, status=204)
def delete_field(ctx):
    container.metadata_service().delete_field(ctx.path_params["field_id"])
    return Result(status=204)


@router.route("/metadata/fields/{slug}/values", summary="Distinct values of a field with the number of visible models",
              query=FieldValuesQuery)
def field_values(ctx):
    q = ctx.query
    values = container.metadata_service().field_values(ctx.path_params["slug"], ctx.user, q.kind, q.page_size)
    return Result(values, meta={"pageSize": q.page_size})
