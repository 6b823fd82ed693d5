"""Bulk operations on models and images: all-or-nothing, ownership checked per item, bounded size."""
from typing import Literal

import pydantic

from chalicelib import container
from chalicelib.api.listing import Id
from chalicelib.api.routing import ApiModel, Router
from chalicelib.models import Role
from chalicelib.services.asset_service import MAX_BULK

router = Router(__name__, "bulk")

Ids = pydantic.conlist(Id, min_length=1, max_length=MAX_BULK)


class BulkDelete(ApiModel):
    kind: Literal["model", "image"]
    ids: Ids


class MetadataOperation(ApiModel):
    field_slug: pydantic.constr(min_length=1, max_length=64)
    action: Literal["set", "remove"]
    value: str | int | float | bool | list[str] | None = None

    @pydantic.model_validator(mode="after")
    def _value_for_set(self):
        if self.action == "set" and self.value is None:
            raise ValueError("value is required when action is set")
        if self.action == "remove" and self.value is not None:
            raise ValueError("remove takes no value")
        return self


class BulkMetadata(ApiModel):
    model_ids: Ids
    operations: pydantic.conlist(MetadataOperation, min_length=1, max_length=20)

    @pydantic.model_validator(mode="after")
    def _one_operation_per_field(self):
        slugs = [op.field_slug for op in self.operations]
        if len(slugs) != len(set(slugs)):
            raise ValueError("each field may appear in one operation only")
        return self


@router.route("/bulk/delete", "POST", summary="Delete up to 100 models or images (all or nothing)",
              role=Role.CURATOR, body=BulkDelete)
def bulk_delete(ctx):
    deleted = container.asset_service().bulk_delete(ctx.user, ctx.body.kind, ctx.body.ids)
    return {"deletedCount": len(deleted), "deletedIds": deleted}


@router.route("/bulk/metadata", "POST", summary="Set or remove metadata values on up to 100 models (all or nothing)",
              role=Role.CURATOR, body=BulkMetadata)
def bulk_metadata(ctx):
    ops = [(op.field_slug, op.action, op.value) for op in ctx.body.operations]
    updated = container.asset_service().bulk_metadata(ctx.user, ctx.body.model_ids, ops)
    return {"updatedCount": len(updated), "updatedIds": updated}
