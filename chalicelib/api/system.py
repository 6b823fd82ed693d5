"""The admin system view: queue depths with dead-letter counts, redrive, last scheduled runs."""
import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Router
from chalicelib.models import Role
from chalicelib.services.system_service import REDRIVE_DEFAULT, REDRIVE_MAX

router = Router(__name__, "admin")


class RedriveBody(ApiModel):
    max: pydantic.conint(strict=True, ge=1, le=REDRIVE_MAX) = REDRIVE_DEFAULT


@router.route("/admin/system", summary="Queue depths, dead letters, last scheduled runs and component health",
              role=Role.ADMIN)
def system_overview(ctx):
    return presenters.system_overview(container.system_service().overview())


@router.route("/admin/system/queues/{queue}/redrive", "POST", role=Role.ADMIN, body=RedriveBody,
              path_params={"queue": str},
              summary="Move up to `max` messages from a queue's dead-letter queue back to the queue (time-bounded)")
def redrive_queue(ctx):
    return container.system_service().redrive(ctx.user, ctx.path_params["queue"], ctx.body.max)
