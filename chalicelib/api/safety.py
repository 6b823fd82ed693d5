import pydantic

from chalicelib import container
from chalicelib.api.routing import ApiModel, Router
from chalicelib.models import Role

router = Router(__name__, "safety")


class AdultKeywordsBody(ApiModel):
    keywords: pydantic.conlist(pydantic.constr(min_length=1, max_length=60), max_length=500)


@router.route("/safety/adult-keywords", summary="Adult keyword list", role=Role.ADMIN)
def get_keywords(ctx):
    return {"keywords": container.safety_service().adult_keywords()}


@router.route("/safety/adult-keywords", "PUT", summary="Replace the adult keyword list (assets are re-evaluated)",
              role=Role.ADMIN, body=AdultKeywordsBody)
def put_keywords(ctx):
    return {"keywords": container.safety_service().set_adult_keywords(ctx.body.keywords), "recomputing": True}
