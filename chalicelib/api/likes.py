"""Likes of models, images and comments. Idempotent: a repeated like or unlike changes nothing."""
from chalicelib import container, presenters
from chalicelib.api.comments import COLLECTIONS, parse_comment_id
from chalicelib.api.params import record_id
from chalicelib.api.routing import Router
from chalicelib.models import Role

router = Router(__name__, "likes")


def _register(collection: str, kind: str, id_name: str) -> None:
    path = f"/{collection}/{{{id_name}}}/like"
    comment_path = f"/{collection}/{{{id_name}}}/comments/{{comment_id}}/like"
    asset = {id_name: record_id}
    both = {id_name: record_id, "comment_id": parse_comment_id}

    @router.route(path, summary=f"Whether you like a {kind}, and its like count", path_params=asset)
    def like_state(ctx):
        return presenters.like_state(container.community_service().like_state(ctx.user, kind, ctx.path_params[id_name]))

    @router.route(path, "POST", summary=f"Like a {kind}", role=Role.USER, path_params=asset)
    def like(ctx):
        return presenters.like_state(container.community_service().set_asset_like(ctx.user, kind,
                                                                                  ctx.path_params[id_name], True))

    @router.route(path, "DELETE", summary=f"Take back a like of a {kind}", role=Role.USER, path_params=asset)
    def unlike(ctx):
        return presenters.like_state(container.community_service().set_asset_like(ctx.user, kind,
                                                                                  ctx.path_params[id_name], False))

    @router.route(comment_path, "POST", summary=f"Like a comment on a {kind}", role=Role.USER, path_params=both)
    def like_comment(ctx):
        p = ctx.path_params
        return presenters.like_state(container.community_service().set_comment_like(ctx.user, kind, p[id_name],
                                                                                    p["comment_id"], True))

    @router.route(comment_path, "DELETE", summary=f"Take back a like of a comment on a {kind}", role=Role.USER,
                  path_params=both)
    def unlike_comment(ctx):
        p = ctx.path_params
        return presenters.like_state(container.community_service().set_comment_like(ctx.user, kind, p[id_name],
                                                                                    p["comment_id"], False))


for _collection, _kind, _id_name in COLLECTIONS:
    _register(_collection, _kind, _id_name)
