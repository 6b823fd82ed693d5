"""Catalogue totals for the home page (what this viewer may see). Site configuration is served by
``health.public_config`` at ``/api/meta/config``."""
from chalicelib import container
from chalicelib.api.routing import Router

router = Router(__name__, "meta")


@router.route("/meta/stats", summary="Numbers of models, images and galleries this viewer can see")
def stats(ctx):
    return container.stats_service().stats(ctx.user)
