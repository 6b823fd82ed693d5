from chalice import Response

from chalicelib import container, envelope, presenters
from chalicelib.api.routing import Router
from chalicelib.models import Role

router = Router(__name__, "models")


@router.route("/models/by-hash/{hash}", summary="Resolve SHA256/AutoV1/AutoV2/AutoV3/CRC32/BLAKE3 (full or short) to a version")
def by_hash(ctx):
    return container.catalog_service().by_hash(ctx.user, ctx.path_params["hash"])


@router.route("/models/{model_id}/status", summary="Processing status of a model and its versions")
def model_status(ctx):
    service = container.catalog_service()
    model, versions, cover = service.model_status(ctx.user, ctx.path_params["model_id"])
    return presenters.model_status(model, versions, service.preview_urls(cover), ctx.user)


@router.route("/images/{image_id}/status", summary="Processing status, metadata and previews of an image")
def image_status(ctx):
    image, previews = container.catalog_service().image_status(ctx.user, ctx.path_params["image_id"])
    return presenters.image_status(image, previews, ctx.user)


@router.route("/models/{model_id}/versions/{version_id}/header", summary="302 to the raw safetensors header (owner/admin)",
              role=Role.USER, status=302)
def header(ctx):
    return _redirect(container.catalog_service().header_url(ctx.user, ctx.path_params["model_id"],
                                                            ctx.path_params["version_id"]))


def _redirect(url: str) -> Response:
    return Response(body=envelope.ok({"url": url}), status_code=302,
                    headers={"Location": url, "Content-Type": "application/json", "Cache-Control": "no-store"})


@router.route("/models/{model_id}/versions/{version_id}/download", summary="302 to a short-lived presigned download",
              role=Role.USER, status=302)
def download(ctx):
    return _redirect(container.catalog_service().download(ctx.user, ctx.path_params["model_id"],
                                                          ctx.path_params["version_id"]))
