import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role

router = Router(__name__, "uploads")


class CreateUploadBody(ApiModel):
    filename: pydantic.constr(min_length=1, max_length=255)
    content_type: pydantic.constr(min_length=3, max_length=100)
    size: pydantic.conint(ge=1)


@router.route("/uploads", "POST", summary="Start an upload: returns a presigned PUT URL bound to type and size",
              role=Role.CURATOR, body=CreateUploadBody, status=201)
def create_upload(ctx):
    b = ctx.body
    upload, url, headers = container.upload_service().create(ctx.user, b.filename, b.content_type, b.size)
    return Result({"upload": presenters.upload(upload), "put": {"url": url, "method": "PUT", "headers": headers}},
                  status=201)


@router.route("/uploads/{upload_id}", summary="Upload session status as recorded by ingest", role=Role.CURATOR)
def get_upload(ctx):
    return presenters.upload(container.upload_service().get(ctx.user, ctx.path_params["upload_id"]))
