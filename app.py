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
from chalicelib.api import applications as applications_api
from chalicelib.api import comments as comments_api
from chalicelib.api import galleries as galleries_api
from chalicelib.api import generator_admin as generator_admin_api
from chalicelib.api import likes as likes_api
from chalicelib.api import meta as meta_api
from chalicelib.api import metadata as metadata_api
from chalicelib.api import moderation as moderation_api
from chalicelib.api import rankings as rankings_api
from chalicelib.api import system as system_api
from chalicelib.api import tags as tags_api
from chalicelib.api import users as users_api
from chalicelib.api.middleware import envelope_middleware
from chalicelib.api.routing import API_PREFIX

app = Chalice(app_name="visionsuit")
app.register_middleware(envelope_middleware, "http")

BLUEPRINTS = [health, auth, settings, safety, uploads, catalog, models, images, bulk, events, generator, metadata_api,
              tags_api, galleries_api, notifications, admin, openapi]
# Community and governance blueprints (one line each, so parallel work does not collide):
BLUEPRINTS.append(moderation_api)
BLUEPRINTS.append(rankings_api)
BLUEPRINTS.append(meta_api)
BLUEPRINTS.append(comments_api)
BLUEPRINTS.append(likes_api)
BLUEPRINTS.append(users_api)
BLUEPRINTS.append(applications_api)
# Generation blueprints
BLUEPRINTS.append(generator_admin_api)
# Operations
BLUEPRINTS.append(system_api)

for module in BLUEPRINTS:
    app.register_blueprint(module.router.blueprint, url_prefix=API_PREFIX)
