from chalicelib import container, presenters
from chalicelib.api.routing import Router

router = Router(__name__, "meta")


@router.route("/health", summary="Reachability of the API, storage, database, queue and GPU agents",
              maintenance_exempt=True)
def health(ctx):
    return container.health_service().report()


@router.route("/meta/config", summary="Public site configuration (title, registration, maintenance)",
              maintenance_exempt=True)
def public_config(ctx):
    return presenters.site_settings(container.settings_service().site())
