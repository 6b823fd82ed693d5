"""VisionSuit API (Chalice). Registers blueprints and middleware; holds no logic."""
from chalice import Chalice

from chalicelib.api import auth, catalog, events, generator, health, openapi, safety, settings, uploads
from chalicelib.api.middleware import envelope_middleware
from chalicelib.api.routing import API_PREFIX

app = Chalice(app_name="visionsuit")
app.register_middleware(envelope_middleware, "http")

for module in (health, auth, settings, safety, uploads, catalog, events, generator, openapi):
    app.register_blueprint(module.router.blueprint, url_prefix=API_PREFIX)
