"""Comments and likes on models and images.

Every read and write first asks ``visibility.can_view_content`` about the asset: whoever may not
see an asset's content gets 404 for its comments and likes too (existence is not revealed). Threads
are one level deep: a reply to a reply joins the top-level comment's thread. Like counters move
exactly once per (user, target) transition (see ``repositories.community``); like notifications go
out once per liker and target, however often the like is toggled. See docs/decisions.md
"Comments and likes".
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.models import Role, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.services.notification_service import new_id, snippet
from chalicelib.services.visibility import can_view, can_view_content

if TYPE_CHECKING:
    from chalicelib.repositories.community import Comment

log = logging.getLogger(__name__)

KINDS = ("model", "image")
COMMENT_ID = re.compile(r"^[0-9]{13}[0-9a-f]{8}$")
MAX_CONTENT = 2000
MAX_INLINE_REPLIES = 10
DOUBLE_SUBMIT_SECONDS = 60  # the same text by the same author in the same thread within this is one comment
IN_FLIGHT_SECONDS = 5  # a double-submit marker younger than this may belong to a request still writing
# Control characters other than tab and newline have no place in a comment (and break renderers); lone
# surrogates (valid in JSON escapes, not in UTF-8) could not even be stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff\ud800-\udfff]")


def _records():
    """The community repository module, for its record types (no I/O). Imported on first use:
    repository modules read their table names from the environment when imported."""
    from chalicelib.repositories import community

    return community


def _target(c: Comment):
    return _records().LikeTarget.of_comment(c)


def valid_comment_id(value: str) -> bool:
    return isinstance(value, str) and bool(COMMENT_ID.match(value))


def clean_content(text: str) -> str:
    """The stored form of a comment: newlines normalised, outer whitespace trimmed, 1-2000 characters,
    no control characters."""
    if not isinstance(text, str):
        raise ValidationError("Content must be text", field="content")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise ValidationError("Content contains control characters", field="content")
    if not text:
        raise ValidationError("Content must not be empty", field="content")
    if len(text) > MAX_CONTENT:
        raise ValidationError(f"Content is limited to {MAX_CONTENT} characters", field="content")
    return text


def id_time(comment_id: str) -> float:
    """When a time-ordered id was made (seconds)."""
    return int(comment_id[:13]) / 1000


@dataclass
class CommentView:
    comment: Comment
    author: User | None
    avatar: dict | None
    liked: bool
    can_edit: bool
    can_delete: bool
    replies: list[CommentView] | None = None  # top-level comments in a thread listing only


@dataclass
class CommentPage:
    items: list[CommentView]
    cursor: str | None
    page_size: int


@dataclass
class LikeState:
    liked: bool
    like_count: int


@dataclass
class _Asset:
    kind: str
    record: object
    title: str = ""
    owner_id: str = ""


class CommunityService:
    def __init__(self, comments, likes, models, images, users, limiter, notifications, audit, indexer,
                 previews=None, clock=time.time, sleep=time.sleep, comment_limit: int = 10,
                 comment_window: int = 60) -> None:
        self._comments = comments
        self._likes = likes
        self._repos = {"model": models, "image": images}
        self._users = users
        self._limiter = limiter
        self._notifications = notifications  # () -> notification service
        self._audit = audit  # () -> audit service
        self._indexer = indexer  # () -> search indexer (popularity refresh)
        self._previews = previews  # (image) -> thumbnail URLs, for avatars
        self._clock = clock
        self._sleep = sleep
        self._comment_limit = comment_limit
        self._comment_window = comment_window

    # -- access ---------------------------------------------------------------------------
    def _asset(self, viewer: User | None, kind: str, asset_id: str) -> _Asset:
        if kind not in KINDS:
            raise NotFound("Not found")
        record = self._repos[kind].get(asset_id)
        if record is None or not can_view_content(viewer, record):
            raise NotFound(f"{kind.capitalize()} not found")
        return _Asset(kind, record, record.title, record.owner_id)

    def _comment(self, asset: _Asset, comment_id: str, field_name: str | None = None) -> Comment:
        c = self._comments.get(asset.kind, asset.record.id, comment_id) if valid_comment_id(comment_id) else None
        if c is None or c.deleted:
            raise NotFound("Comment not found", field=field_name)
        return c

    # -- reading --------------------------------------------------------------------------
    def comments(self, viewer: User | None, kind: str, asset_id: str, cursor: str | None, page_size: int,
                 replies: int = 3) -> CommentPage:
        """Top-level comments oldest first, each with its latest ``replies`` replies and reply count."""
        asset = self._asset(viewer, kind, asset_id)
        fingerprint = {"thread": f"{kind}#{asset.record.id}"}
        after = self._after(cursor, fingerprint)
        top, more = self._comments.top_level(kind, asset.record.id, after, page_size)
        replies = max(0, min(replies, MAX_INLINE_REPLIES))
        thread = {c.id: (self._comments.latest_replies(kind, asset.record.id, c.id, replies)
                         if replies and c.reply_count > 0 else []) for c in top}
        views = self._views(viewer, top + [r for rs in thread.values() for r in rs])
        items = []
        for c in top:
            view = views[c.id]
            view.replies = [views[r.id] for r in thread[c.id]]
            items.append(view)
        next_cursor = encode_cursor({"id": top[-1].id}, fingerprint) if more and top else None
        return CommentPage(items, next_cursor, page_size)

    def replies(self, viewer: User | None, kind: str, asset_id: str, comment_id: str, cursor: str | None,
                page_size: int) -> CommentPage:
        """A top-level comment's replies, oldest first."""
        asset = self._asset(viewer, kind, asset_id)
        c = self._comments.get(kind, asset.record.id, comment_id) if valid_comment_id(comment_id) else None
        if c is None or c.parent_id is not None:
            raise NotFound("Comment not found")
        fingerprint = {"thread": f"{kind}#{asset.record.id}#{c.id}"}
        items, more = self._comments.replies(kind, asset.record.id, c.id, self._after(cursor, fingerprint), page_size)
        views = self._views(viewer, items)
        next_cursor = encode_cursor({"id": items[-1].id}, fingerprint) if more and items else None
        return CommentPage([views[r.id] for r in items], next_cursor, page_size)

    def comment(self, viewer: User | None, kind: str, asset_id: str, comment_id: str,
                replies: int = 3) -> CommentView:
        """One comment (a tombstone too); a top-level one with its latest replies."""
        asset = self._asset(viewer, kind, asset_id)
        c = self._comments.get(kind, asset.record.id, comment_id) if valid_comment_id(comment_id) else None
        if c is None:
            raise NotFound("Comment not found")
        return self._view(viewer, c, replies)

    @staticmethod
    def _after(cursor: str | None, fingerprint: dict) -> str | None:
        key = decode_cursor(cursor, fingerprint)
        if key is None:
            return None
        if not valid_comment_id(key.get("id")):
            raise ValidationError("Malformed cursor", field="cursor")
        return key["id"]

    def _view(self, viewer: User | None, c: Comment, replies: int = 3) -> CommentView:
        thread = []
        if c.parent_id is None and c.reply_count > 0 and replies:
            thread = self._comments.latest_replies(c.kind, c.asset_id, c.id, min(replies, MAX_INLINE_REPLIES))
        views = self._views(viewer, [c, *thread])
        view = views[c.id]
        if c.parent_id is None:
            view.replies = [views[r.id] for r in thread]
        return view

    def _views(self, viewer: User | None, comments: list[Comment]) -> dict[str, CommentView]:
        authors = self._users.get_many({c.author_id for c in comments if c.author_id})
        avatars = self._avatars(viewer, authors.values())
        liked = self._likes.liked_among(viewer.id, [_target(c) for c in comments if not c.deleted]) \
            if viewer else set()
        out = {}
        for c in comments:
            author = authors.get(c.author_id) if c.author_id else None
            mine = viewer is not None and not c.deleted and c.author_id == viewer.id
            out[c.id] = CommentView(
                comment=c, author=author, avatar=avatars.get(author.id) if author else None,
                liked=_target(c).sk in liked, can_edit=mine,
                can_delete=not c.deleted and (mine or (viewer is not None and viewer.role >= Role.ADMIN)))
        return out

    def _avatars(self, viewer: User | None, authors) -> dict[str, dict]:
        wanted = {a.id: a.avatar_image_id for a in authors if a.avatar_image_id}
        if not wanted or self._previews is None:
            return {}
        images = self._repos["image"].get_many(wanted.values())
        out = {}
        for user_id, image_id in wanted.items():
            image = images.get(image_id)
            if image is not None and can_view(viewer, image):
                out[user_id] = self._previews(image) or None
        return out

    # -- writing --------------------------------------------------------------------------
    def post_comment(self, viewer: User, kind: str, asset_id: str, content: str,
                     parent_id: str | None = None) -> tuple[CommentView, bool]:
        """Add a comment or a reply; (view, True) when created. Posting the same text again within a
        minute (a double click, a retried request) returns the first comment with False."""
        asset = self._asset(viewer, kind, asset_id)
        content = clean_content(content)
        parent = None
        if parent_id is not None:
            parent = self._comment(asset, parent_id, "parentId")
            if parent.parent_id is not None:  # one level: a reply to a reply joins the thread
                parent = self._comment(asset, parent.parent_id, "parentId")
        self._limiter.check("comment", viewer.id, self._comment_limit, self._comment_window)
        now = self._clock()
        comment = _records().Comment(id=new_id(now), kind=kind, asset_id=asset.record.id, author_id=viewer.id,
                                     content=content, created_at=now, parent_id=parent.id if parent else None)
        digest = hashlib.sha256(f"{comment.parent_id or ''}\n{content}".encode()).hexdigest()[:32]
        earlier = self._claim_or_replay(comment, digest, now)
        if earlier is not None:
            return self._view(viewer, earlier), False
        if not self._comments.add(comment):
            self._comments.release_double_submit(kind, asset.record.id, viewer.id, digest, comment.id)
            raise NotFound("Comment not found", field="parentId")
        self._limiter.hit("comment", viewer.id, self._comment_window)
        self._notify_comment(viewer, asset, comment, parent)
        return self._view(viewer, comment), True

    def _claim_or_replay(self, c: Comment, digest: str, now: float) -> Comment | None:
        """None when ``c`` may be written; the earlier identical comment when this is a double submit."""
        until = now + DOUBLE_SUBMIT_SECONDS
        earlier_id = self._comments.claim_double_submit(c.kind, c.asset_id, c.author_id, digest, c.id, now, until)
        if earlier_id is None:
            return None
        deadline = now + IN_FLIGHT_SECONDS
        while True:
            earlier = self._comments.get(c.kind, c.asset_id, earlier_id)
            if earlier is not None and not earlier.deleted:
                return earlier
            # Deleted since, or never written (its request failed): this post is a new comment.
            if earlier is not None or self._clock() - id_time(earlier_id) >= IN_FLIGHT_SECONDS \
                    or self._clock() >= deadline:
                break
            self._sleep(0.1)
        if self._comments.take_over_double_submit(c.kind, c.asset_id, c.author_id, digest, earlier_id, c.id, until):
            return None
        raise Conflict("The same comment is being posted already")

    def edit_comment(self, viewer: User, kind: str, asset_id: str, comment_id: str, content: str) -> CommentView:
        asset = self._asset(viewer, kind, asset_id)
        c = self._comment(asset, comment_id)
        if c.author_id != viewer.id:
            raise Forbidden("Only the author can edit a comment")
        content = clean_content(content)
        if content != c.content:  # resending the same text changes nothing (and keeps editedAt)
            if not self._comments.edit(c, content, self._clock()):
                raise NotFound("Comment not found")
            c = self._comments.get(kind, asset.record.id, c.id) or c
        return self._view(viewer, c)

    def delete_comment(self, viewer: User, kind: str, asset_id: str, comment_id: str) -> None:
        """Authors delete their own comments, administrators anyone's (audited, author told). A comment
        with replies stays as a "deleted" tombstone holding its thread; otherwise it disappears."""
        asset = self._asset(viewer, kind, asset_id)
        c = self._comment(asset, comment_id)
        own = c.author_id == viewer.id
        if not own and viewer.role < Role.ADMIN:
            raise Forbidden("Only the author or an administrator can delete a comment")
        removed = self._comments.remove_reply(c) if c.parent_id else self._comments.remove_top_level(c) != "absent"
        if not removed:
            raise NotFound("Comment not found")
        if not own:
            self._audit().record(viewer, "comment.delete", "comment", c.id,
                                 {"kind": kind, "assetId": asset.record.id, "authorId": c.author_id,
                                  "content": snippet(c.content, 280)})
            self._safely(lambda: self._notifications().notify(
                c.author_id, "moderation", "comment-removed",
                f"A moderator removed your comment on “{asset.title}”",
                snippet(c.content), link={"kind": kind, "id": asset.record.id}, actor_id=viewer.id))

    # -- likes ----------------------------------------------------------------------------
    def like_state(self, viewer: User | None, kind: str, asset_id: str) -> LikeState:
        asset = self._asset(viewer, kind, asset_id)
        target = _records().LikeTarget.asset(kind, asset.record.id)
        liked = viewer is not None and self._likes.has_liked(viewer.id, target)
        return LikeState(liked, max(0, asset.record.like_count))

    def set_asset_like(self, viewer: User, kind: str, asset_id: str, liked: bool) -> LikeState:
        """Like or unlike a model or image. Idempotent: repeating either changes nothing."""
        asset = self._asset(viewer, kind, asset_id)
        target = _records().LikeTarget.asset(kind, asset.record.id)
        if liked:
            # The owner's received total does not count their own likes.
            changed = self._likes.like(viewer.id, target, asset.owner_id if asset.owner_id != viewer.id else None)
        else:
            changed = self._likes.unlike(viewer.id, target)
        if changed:
            self._indexer().touch(kind, asset.record.id)  # "most liked" catches up within the refresh window
            if liked:
                self._safely(lambda: self._notifications().notify(
                    asset.owner_id, "likes", "like", f"{viewer.display_name} liked your {kind} “{asset.title}”",
                    link={"kind": kind, "id": asset.record.id}, actor_id=viewer.id,
                    once_key=f"like#{kind}#{asset.record.id}#{viewer.id}"))
        record = self._repos[kind].get(asset.record.id) or asset.record
        return LikeState(liked, max(0, record.like_count))

    def set_comment_like(self, viewer: User, kind: str, asset_id: str, comment_id: str, liked: bool) -> LikeState:
        asset = self._asset(viewer, kind, asset_id)
        c = self._comment(asset, comment_id)
        target = _target(c)
        changed = self._likes.like(viewer.id, target, None) if liked else self._likes.unlike(viewer.id, target)
        if changed and liked and c.author_id:
            self._safely(lambda: self._notifications().notify(
                c.author_id, "likes", "comment-like",
                f"{viewer.display_name} liked your comment on “{asset.title}”",
                snippet(c.content), link={"kind": kind, "id": asset.record.id, "commentId": c.id},
                actor_id=viewer.id, once_key=f"comment-like#{c.id}#{viewer.id}"))
        current = self._comments.get(kind, asset.record.id, c.id) or c
        return LikeState(liked, max(0, current.like_count))

    def received_likes(self, user_id: str) -> int:
        """Likes received on a user's models and images (their own likes not counted)."""
        return self._likes.received(user_id)

    # -- notifications --------------------------------------------------------------------
    def _notify_comment(self, viewer: User, asset: _Asset, c: Comment, parent: Comment | None) -> None:
        link = {"kind": asset.kind, "id": asset.record.id, "commentId": c.id}
        told = set()
        if parent is not None and parent.author_id:
            told.add(parent.author_id)
            self._safely(lambda: self._notifications().notify(
                parent.author_id, "comments", "reply", f"{viewer.display_name} replied to your comment on "
                f"“{asset.title}”", snippet(c.content), link=link, actor_id=viewer.id))
        if asset.owner_id not in told:
            self._safely(lambda: self._notifications().notify(
                asset.owner_id, "comments", "comment", f"{viewer.display_name} commented on “{asset.title}”",
                snippet(c.content), link=link, actor_id=viewer.id))

    @staticmethod
    def _safely(send) -> None:
        # The comment or like is already stored; a notification that fails must not undo that for the caller.
        try:
            send()
        except Exception:
            log.exception("notification failed")
