import pydantic

from chalicelib import container
from chalicelib.api.routing import Result, Router, parse_body

router = Router(__name__, "events")


class StorageNotification(pydantic.BaseModel):
    """MinIO's webhook body: S3's ``Records`` plus MinIO's own ``EventName``/``Key`` summary."""

    model_config = pydantic.ConfigDict(extra="allow")
    Records: list


@router.route("/events/storage", "POST", summary="MinIO webhook notifications (shared-secret bearer), fed to ingest",
              role=None, security="storage-events", maintenance_exempt=True, status=202)
def storage_events(ctx):
    service = container.storage_events_service()
    # Authenticated before the body is looked at.
    service.authenticate(ctx.headers.get("authorization"))
    count = service.accept(parse_body(ctx.raw_body, StorageNotification).model_dump())
    return Result({"accepted": count}, status=202)
