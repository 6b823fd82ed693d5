"""Comments on models and images: threads (one level of replies), post, edit, delete."""
import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta
from chalicelib.services.community_service import COMMENT_ID, MAX_CONTENT, MAX_INLINE_REPLIES, valid_comment_id

router = Router(__name__, "comments")

CommentId = pydantic.constr(pattern=COMMENT_ID.pattern)
Content = pydantic.constr(min_length=1, max_length=MAX_CONTENT)
Cursor = pydantic.constr(max_length=500)
# The collection in the path, its asset kind and the name of its id parameter (shared with the asset routes).
COLLECTIONS = (("models", "model", "model_id"), ("images", "image", "image_id"))


def parse_comment_id(value: str) -> str:
    if not valid_comment_id(value):
        raise ValueError(value)
    return value


class ThreadQuery(ApiModel):
    cursor: Cursor | None = None
    page_size: pydantic.conint(ge=1, le=50) = 20
    replies: pydantic.conint(ge=0, le=MAX_INLINE_REPLIES) = 3  # latest replies shown under each comment


class RepliesQuery(ApiModel):
    cursor: Cursor | None = None
    page_size: pydantic.conint(ge=1, le=100) = 20


class CommentQuery(ApiModel):
    replies: pydantic.conint(ge=0, le=MAX_INLINE_REPLIES) = 3


class NewComment(ApiModel):
    content: Content
    parent_id: CommentId | None = None  # a reply; replying to a reply joins its thread


class CommentEdit(ApiModel):
    content: Content


def _page(page) -> Result:
    return Result([presenters.comment(v) for v in page.items], meta=page_meta(page.cursor, page.page_size))


def _register(collection: str, kind: str, id_name: str) -> None:
    base = f"/{collection}/{{{id_name}}}/comments"
    one = base + "/{comment_id}"
    asset = {id_name: record_id}
    both = {id_name: record_id, "comment_id": parse_comment_id}

    @router.route(base, summary=f"Comments on a {kind}, oldest first, each with its latest replies",
                  query=ThreadQuery, path_params=asset)
    def list_comments(ctx):
        q = ctx.query
        return _page(container.community_service().comments(ctx.user, kind, ctx.path_params[id_name], q.cursor,
                                                            q.page_size, q.replies))

    @router.route(base, "POST", summary=f"Comment on a {kind} or reply to a comment (rate limited)",
                  role=Role.USER, body=NewComment, path_params=asset, status=201)
    def post_comment(ctx):
        view, created = container.community_service().post_comment(ctx.user, kind, ctx.path_params[id_name],
                                                                    ctx.body.content, ctx.body.parent_id)
        return Result(presenters.comment(view), status=201 if created else 200)

    @router.route(one, summary=f"One comment on a {kind} (a top-level one with its latest replies)",
                  query=CommentQuery, path_params=both)
    def get_comment(ctx):
        p = ctx.path_params
        return presenters.comment(container.community_service().comment(ctx.user, kind, p[id_name], p["comment_id"],
                                                                         ctx.query.replies))

    @router.route(one + "/replies", summary=f"Replies to a comment on a {kind}, oldest first",
                  query=RepliesQuery, path_params=both)
    def list_replies(ctx):
        p, q = ctx.path_params, ctx.query
        return _page(container.community_service().replies(ctx.user, kind, p[id_name], p["comment_id"], q.cursor,
                                                           q.page_size))

    @router.route(one, "PATCH", summary="Edit your own comment", role=Role.USER, body=CommentEdit, path_params=both)
    def edit_comment(ctx):
        p = ctx.path_params
        return presenters.comment(container.community_service().edit_comment(ctx.user, kind, p[id_name],
                                                                              p["comment_id"], ctx.body.content))

    @router.route(one, "DELETE", summary="Delete your comment (administrators: any comment)", role=Role.USER,
                  path_params=both, status=204)
    def delete_comment(ctx):
        p = ctx.path_params
        container.community_service().delete_comment(ctx.user, kind, p[id_name], p["comment_id"])
        return Result(status=204)


for _collection, _kind, _id_name in COLLECTIONS:
    _register(_collection, _kind, _id_name)
