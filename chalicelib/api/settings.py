import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Router
from chalicelib.models import Role

router = Router(__name__, "settings")


class SiteSettingsBody(ApiModel):
    site_title: pydantic.constr(min_length=1, max_length=120) | None = None
    allow_registration: bool | None = None
    maintenance_mode: bool | None = None


@router.route("/settings", summary="Site settings", role=Role.ADMIN)
def get_settings(ctx):
    return presenters.site_settings(container.settings_service().site())


@router.route("/settings", "PATCH", summary="Change site title, registration or maintenance mode",
              role=Role.ADMIN, body=SiteSettingsBody)
def update_settings(ctx):
    changes = ctx.body.model_dump(exclude_none=True)
    return presenters.site_settings(container.settings_service().update_site(changes))


@router.route("/settings/schedules/{name}", summary="Last report of a scheduled job", role=Role.ADMIN)
def schedule_report(ctx):
    from chalicelib.errors import NotFound

    report = container.settings_service().schedule_run(ctx.path_params["name"])
    if report is None:
        raise NotFound("This schedule has not run yet")
    return report
