import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Router
from chalicelib.models import Role
from chalicelib.services.settings_service import MAX_ENDPOINT_LABEL, MAX_ENDPOINT_URL, MAX_ENDPOINTS, MAX_SITE_TITLE

router = Router(__name__, "settings")


class ServiceEndpoint(ApiModel):
    label: pydantic.constr(min_length=1, max_length=MAX_ENDPOINT_LABEL)
    url: pydantic.constr(min_length=1, max_length=MAX_ENDPOINT_URL)
    kind: pydantic.constr(pattern=r"^[a-z][a-z0-9-]{0,31}$") | None = None


class SiteSettingsBody(ApiModel):
    site_title: pydantic.constr(min_length=1, max_length=MAX_SITE_TITLE) | None = None
    allow_registration: pydantic.StrictBool | None = None
    maintenance_mode: pydantic.StrictBool | None = None
    service_endpoints: pydantic.conlist(ServiceEndpoint, max_length=MAX_ENDPOINTS) | None = None


@router.route("/settings", summary="Site settings", role=Role.ADMIN)
def get_settings(ctx):
    return presenters.site_settings(container.settings_service().site())


@router.route("/settings", "PATCH", summary="Change site title, registration, maintenance mode or status-page links",
              role=Role.ADMIN, body=SiteSettingsBody)
def update_settings(ctx):
    changes = ctx.body.model_dump(exclude_none=True)
    return presenters.site_settings(container.settings_service().update_site(changes, ctx.user))


@router.route("/settings/schedules/{name}", summary="Last report of a scheduled job", role=Role.ADMIN)
def schedule_report(ctx):
    from chalicelib.errors import NotFound

    report = container.settings_service().schedule_run(ctx.path_params["name"])
    if report is None:
        raise NotFound("This schedule has not run yet")
    return report
