from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.services.upload_service import FileSpec, SessionRequest

router = Router(__name__, "uploads")

Text = pydantic.constr(min_length=1, max_length=100)


class FileBody(ApiModel):
    name: pydantic.constr(min_length=1, max_length=255)
    size: pydantic.conint(ge=1)
    content_type: pydantic.constr(min_length=3, max_length=100)
    role: Literal["model", "cover", "image"] | None = None


class CreateSessionBody(ApiModel):
    kind: Literal["model", "model-version", "images", "avatar", "gallery-cover"]
    files: pydantic.conlist(FileBody, min_length=1, max_length=12)
    title: pydantic.constr(max_length=180) | None = None
    description: pydantic.constr(max_length=5000) = ""
    trigger_words: pydantic.conlist(Text, max_length=20) | None = None
    tags: pydantic.conlist(pydantic.constr(min_length=1, max_length=60), max_length=24) | None = None
    category: pydantic.constr(max_length=80) | None = None
    visibility: Literal["public", "private"] = "private"
    gallery_id: pydantic.constr(max_length=64) | None = None
    gallery_title: pydantic.constr(min_length=1, max_length=160) | None = None
    model_id: pydantic.constr(max_length=64) | None = None
    version_name: pydantic.constr(min_length=1, max_length=60) | None = None


class PartsBody(ApiModel):
    file_index: pydantic.conint(ge=0, le=11)
    part_numbers: pydantic.conlist(pydantic.conint(ge=1, le=10_000), min_length=1, max_length=100)


@router.route("/uploads", "POST", summary="Start an upload session: presigned PUTs or multipart part URLs per file",
              role=Role.USER, body=CreateSessionBody, status=201)
def create_session(ctx):
    b = ctx.body
    req = SessionRequest(
        kind=b.kind, files=[FileSpec(f.name, f.size, f.content_type, f.role) for f in b.files], title=b.title,
        description=b.description, trigger_words=[t.strip() for t in b.trigger_words or []] or None, tags=b.tags,
        category=b.category, visibility=b.visibility, gallery_id=b.gallery_id, gallery_title=b.gallery_title,
        model_id=b.model_id, version_name=b.version_name)
    session, urls = container.upload_service().create(ctx.user, req)
    return Result(presenters.upload_session(session, urls=urls), status=201)


@router.route("/uploads/{upload_id}", summary="What has arrived: files, uploaded parts, processing status",
              role=Role.USER)
def get_session(ctx):
    session, files = container.upload_service().describe(ctx.user, ctx.path_params["upload_id"])
    return presenters.upload_session(session, files=files)


@router.route("/uploads/{upload_id}/parts", "POST", summary="More presigned part URLs for a multipart file",
              role=Role.USER, body=PartsBody)
def more_parts(ctx):
    return container.upload_service().part_urls(ctx.user, ctx.path_params["upload_id"], ctx.body.file_index,
                                                ctx.body.part_numbers)


@router.route("/uploads/{upload_id}/complete", "POST", summary="Finish the session (completes multipart uploads)",
              role=Role.USER)
def complete_session(ctx):
    return presenters.upload_session(container.upload_service().complete(ctx.user, ctx.path_params["upload_id"]))


@router.route("/uploads/{upload_id}", "DELETE", summary="Abort: remove parts, objects and placeholder records",
              role=Role.USER)
def abort_session(ctx):
    container.upload_service().abort(ctx.user, ctx.path_params["upload_id"])
    return Result(status=204)
