"""VisionSuit API (Chalice). Registers blueprints and middleware; holds no logic."""
from chalice import Chalice

from chalicelib.api import (
    admin,
    auth,
    bulk,
    catalog,
    events,
    generator,
    health,
    images,
    models,
    notifications,
    openapi,
    safety,
    settings,
    uploads,
)
from chalicelib.api import galleries as galleries_api
from chalicelib.api import metadata as metadata_api
from chalicelib.api import tags as tags_api
from chalicelib.api.middleware import envelope_middleware
from chalicelib.api.routing import API_PREFIX

app = Chalice(app_name="visionsuit")
app.register_middleware(envelope_middleware, "http")

BLUEPRINTS = [health, auth, settings, safety, uploads, catalog, models, images, bulk, events, generator, metadata_api,
              tags_api, galleries_api, notifications, admin, openapi]
# Community and governance blueprints (one line each, so parallel work does not collide):

for module in BLUEPRINTS:
    app.register_blueprint(module.router.blueprint, url_prefix=API_PREFIX)
