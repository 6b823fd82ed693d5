"""Comment and like rules without I/O: content cleaning, ids, one-level threads, who may edit or delete,
what is notified (once keys, nobody about their own actions), received-like ownership, rate limits.
The service runs on in-memory fakes of its repositories."""
from __future__ import annotations

import dataclasses
import itertools

import pytest

from chalicelib.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from chalicelib.models import ImageAsset, ModelAsset, Role, User
from chalicelib.pagination import encode_cursor
from chalicelib.services import community_service as cs
from chalicelib.services.community_service import CommunityService, clean_content, id_time, valid_comment_id
from chalicelib.services.notification_service import new_id
from tests.unit.fakes import Records

# -- fakes -----------------------------------------------------------------------------------


class Comments:
    """Mirrors the repository's contract (not its storage layout)."""

    def __init__(self):
        self.items: dict[tuple, object] = {}  # (kind, asset id, comment id) -> Comment
        self.markers: dict[tuple, str] = {}

    def get(self, kind, asset_id, comment_id):
        c = self.items.get((kind, asset_id, comment_id))
        return dataclasses.replace(c) if c else None

    def _thread(self, kind, asset_id, parent_id):
        return sorted((c for (k, a, _), c in self.items.items() if (k, a) == (kind, asset_id)
                       and c.parent_id == parent_id and not (c.deleted and not c.reply_count)), key=lambda c: c.id)

    def top_level(self, kind, asset_id, after, limit):
        rest = [c for c in self._thread(kind, asset_id, None) if after is None or c.id > after]
        return rest[:limit], len(rest) > limit

    def replies(self, kind, asset_id, parent_id, after, limit):
        rest = [c for c in self._thread(kind, asset_id, parent_id) if after is None or c.id > after]
        return rest[:limit], len(rest) > limit

    def latest_replies(self, kind, asset_id, parent_id, limit):
        return self._thread(kind, asset_id, parent_id)[-limit:] if limit else []

    def claim_double_submit(self, kind, asset_id, author_id, digest, comment_id, now, until):
        key = (kind, asset_id, author_id, digest)
        if key in self.markers:
            return self.markers[key]
        self.markers[key] = comment_id
        return None

    def take_over_double_submit(self, kind, asset_id, author_id, digest, old_id, comment_id, until):
        self.markers[(kind, asset_id, author_id, digest)] = comment_id
        return True

    def release_double_submit(self, kind, asset_id, author_id, digest, comment_id):
        self.markers.pop((kind, asset_id, author_id, digest), None)

    def add(self, c):
        if c.parent_id:
            parent = self.items.get((c.kind, c.asset_id, c.parent_id))
            if parent is None or parent.deleted:
                return False
            parent.reply_count += 1
        self.items[(c.kind, c.asset_id, c.id)] = dataclasses.replace(c)
        return True

    def edit(self, c, content, now):
        stored = self.items[(c.kind, c.asset_id, c.id)]
        stored.content, stored.edited_at = content, now
        return True

    def remove_top_level(self, c):
        stored = self.items[(c.kind, c.asset_id, c.id)]
        if stored.reply_count:
            stored.deleted, stored.content, stored.author_id = True, "", None
            return "tombstoned"
        del self.items[(c.kind, c.asset_id, c.id)]
        return "deleted"

    def remove_reply(self, c):
        del self.items[(c.kind, c.asset_id, c.id)]
        parent = self.items[(c.kind, c.asset_id, c.parent_id)]
        parent.reply_count -= 1
        if parent.deleted and not parent.reply_count:
            del self.items[(c.kind, c.asset_id, parent.id)]
        return True


class Likes:
    def __init__(self, records):
        self.markers: dict[tuple, str | None] = {}  # (user, sk) -> owner counted
        self.totals: dict[str, int] = {}
        self.records = records

    def like(self, user_id, target, owner_id):
        if (user_id, target.sk) in self.markers:
            return False
        self.markers[(user_id, target.sk)] = owner_id
        self._count(target, owner_id, 1)
        return True

    def unlike(self, user_id, target):
        if (user_id, target.sk) not in self.markers:
            return False
        self._count(target, self.markers.pop((user_id, target.sk)), -1)
        return True

    def _count(self, target, owner_id, delta):
        if target.comment is None:
            self.records[target.kind].get(target.asset_id).like_count += delta
            if owner_id:
                self.totals[owner_id] = self.totals.get(owner_id, 0) + delta

    def has_liked(self, user_id, target):
        return (user_id, target.sk) in self.markers

    def liked_among(self, user_id, targets):
        return {t.sk for t in targets if (user_id, t.sk) in self.markers}

    def received(self, user_id):
        return self.totals.get(user_id, 0)


class Limiter:
    def __init__(self, limit=None):
        self.hits = 0
        self.limit = limit

    def check(self, scope, subject, limit, window):
        if self.limit is not None and self.hits >= self.limit:
            raise RateLimited("Too many", retry_after=30)

    def hit(self, scope, subject, window):
        self.hits += 1
        return self.hits


class Notifications:
    def __init__(self):
        self.sent = []
        self.claimed = set()

    def notify(self, recipient_id, category, type, title, body="", link=None, actor_id=None, once_key=None):
        if actor_id == recipient_id or (once_key and (recipient_id, once_key) in self.claimed):
            return None
        if once_key:
            self.claimed.add((recipient_id, once_key))
        self.sent.append({"to": recipient_id, "category": category, "type": type, "title": title, "link": link})
        return True


class Audit:
    def __init__(self):
        self.entries = []

    def record(self, actor, action, target_kind, target_id, details=None):
        self.entries.append((actor.id, action, target_kind, target_id, details))


class Indexer:
    def __init__(self):
        self.touched = []

    def touch(self, kind, asset_id):
        self.touched.append((kind, asset_id))


def user(uid, role=Role.USER, show_adult=False):
    return User(uid, f"{uid}@x.test", uid.capitalize(), role, "", 0, 0, show_adult=show_adult)


OWNER, ALICE, BOB, ADMIN = user("owner", Role.CURATOR), user("alice"), user("bob"), user("admin", Role.ADMIN)


@pytest.fixture
def world():
    ticks = itertools.count(1_700_000_000_000)
    models = Records([ModelAsset("m1", "owner", "Nebula", "ready", 1, 1, visibility="public"),
                      ModelAsset("m-private", "owner", "Secret", "ready", 1, 1, visibility="private"),
                      ModelAsset("m-adult", "owner", "Spicy", "ready", 1, 1, visibility="public", is_adult=True),
                      ModelAsset("m-flagged", "owner", "Held", "ready", 1, 1, visibility="public",
                                 moderation="flagged")])
    images = Records([ImageAsset("i1", "owner", "Shot", "ready", "k", "f.png", 1, 1, visibility="public")])
    users = Records([OWNER, ALICE, BOB, ADMIN])
    comments, notes, audit, indexer, limiter = Comments(), Notifications(), Audit(), Indexer(), Limiter()
    likes = Likes({"model": models, "image": images})
    service = CommunityService(comments, likes, models, images, users, limiter, lambda: notes, lambda: audit,
                               lambda: indexer, clock=lambda: next(ticks) / 1000, sleep=lambda s: None)
    return dataclasses.make_dataclass("World", ["service", "comments", "likes", "notes", "audit", "indexer",
                                                "limiter", "models"])(service, comments, likes, notes, audit,
                                                                      indexer, limiter, models)


# -- pure rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, cleaned", [
    ("  hello  ", "hello"), ("a\r\nb\rc", "a\nb\nc"), ("tab\tok", "tab\tok"), ("é" * 2000, "é" * 2000),
    ("<b>kept as text</b>", "<b>kept as text</b>"),
])
def test_content_is_cleaned(raw, cleaned):
    assert clean_content(raw) == cleaned


@pytest.mark.parametrize("raw", ["", "   ", "\n\n", "x" * 2001, "nul\x00", "esc\x1b[31m", "del\x7f", "bom\ufeff",
                                 "a\u2028b", "lone \ud800 surrogate", None, 5, ["x"]])
def test_bad_content_is_refused(raw):
    with pytest.raises(ValidationError) as e:
        clean_content(raw)
    assert e.value.field == "content"


def test_comment_ids_are_time_ordered_unique_and_validated():
    ids = [new_id(1_700_000_000 + n / 1000) for n in range(200)] + [new_id(1_700_000_000.5) for _ in range(50)]
    assert len(set(ids)) == len(ids)
    assert sorted(ids[:200]) == ids[:200]
    assert all(valid_comment_id(i) for i in ids)
    assert id_time(ids[0]) == pytest.approx(1_700_000_000, abs=0.001)
    for bad in ("", "1" * 20, "1" * 22, "1" * 13 + "ABCDEF12", "T#" + ids[0][2:], None, 12):
        assert not valid_comment_id(bad)


def test_like_targets_have_distinct_keys():
    from chalicelib.repositories.community import Comment, LikeTarget  # names its tables on import

    c = Comment("1" * 13 + "a" * 8, "model", "m1", "alice", "x", 0)
    keys = {LikeTarget.asset("model", "m1").sk, LikeTarget.asset("image", "m1").sk, LikeTarget.of_comment(c).sk}
    assert len(keys) == 3


# -- threads ------------------------------------------------------------------------------------
def test_a_reply_to_a_reply_joins_the_top_level_thread(world):
    s = world.service
    top, _ = s.post_comment(ALICE, "model", "m1", "Top")
    reply, _ = s.post_comment(BOB, "model", "m1", "Reply", top.comment.id)
    nested, _ = s.post_comment(OWNER, "model", "m1", "Nested", reply.comment.id)
    assert reply.comment.parent_id == top.comment.id and nested.comment.parent_id == top.comment.id
    page = s.comments(None, "model", "m1", None, 10, replies=1)
    assert [v.comment.id for v in page.items] == [top.comment.id]
    assert [r.comment.id for r in page.items[0].replies] == [nested.comment.id]
    assert page.items[0].comment.reply_count == 2
    # Alice hears of both replies; Bob, whose reply was answered, joins no second level.
    assert [(n["to"], n["type"]) for n in world.notes.sent] == [
        ("owner", "comment"), ("alice", "reply"), ("owner", "comment"), ("alice", "reply")]


def test_parent_must_be_a_live_comment_of_the_same_asset(world):
    s = world.service
    elsewhere, _ = s.post_comment(ALICE, "image", "i1", "On the image")
    with pytest.raises(NotFound) as e:
        s.post_comment(ALICE, "model", "m1", "x", elsewhere.comment.id)
    assert e.value.field == "parentId"
    top, _ = s.post_comment(ALICE, "model", "m1", "Soon deleted")
    s.delete_comment(ALICE, "model", "m1", top.comment.id)
    with pytest.raises(NotFound):
        s.post_comment(BOB, "model", "m1", "x", top.comment.id)
    with pytest.raises(NotFound):
        s.post_comment(BOB, "model", "m1", "x", "not-an-id")


def test_cursor_is_bound_to_its_thread_and_holds_a_comment_id(world):
    s = world.service
    for n in range(3):
        s.post_comment(ALICE, "model", "m1", f"c{n}")
    first = s.comments(None, "model", "m1", None, 2)
    assert first.cursor
    assert [v.comment.content for v in s.comments(None, "model", "m1", first.cursor, 2).items] == ["c2"]
    with pytest.raises(ValidationError):
        s.comments(None, "image", "i1", first.cursor, 2)
    forged = encode_cursor({"id": "R#x"}, {"thread": "model#m1"})
    with pytest.raises(ValidationError):
        s.comments(None, "model", "m1", forged, 2)


# -- permissions --------------------------------------------------------------------------------
@pytest.mark.parametrize("asset_id, viewer, visible", [
    ("m1", None, True), ("m-private", None, False), ("m-private", ALICE, False), ("m-private", OWNER, True),
    ("m-private", ADMIN, True), ("m-adult", None, False), ("m-adult", ALICE, False),
    ("m-adult", user("fan", show_adult=True), True), ("m-flagged", OWNER, False), ("m-flagged", ADMIN, True),
    ("missing", ADMIN, False),
])
def test_comments_and_likes_need_the_asset_content(world, asset_id, viewer, visible):
    s = world.service
    calls = [lambda: s.comments(viewer, "model", asset_id, None, 5), lambda: s.like_state(viewer, "model", asset_id)]
    if viewer is not None:
        calls += [lambda: s.post_comment(viewer, "model", asset_id, "hi"),
                  lambda: s.set_asset_like(viewer, "model", asset_id, True)]
    for call in calls:
        if visible:
            call()
        else:
            with pytest.raises(NotFound):
                call()


def test_edit_is_the_authors_and_delete_the_authors_or_an_admins(world):
    s = world.service
    c, _ = s.post_comment(ALICE, "model", "m1", "Mine")
    for other in (BOB, OWNER, ADMIN):
        with pytest.raises(Forbidden):
            s.edit_comment(other, "model", "m1", c.comment.id, "Theirs")
    for other in (BOB, OWNER):
        with pytest.raises(Forbidden):
            s.delete_comment(other, "model", "m1", c.comment.id)
    edited = s.edit_comment(ALICE, "model", "m1", c.comment.id, "Mine, edited")
    assert edited.comment.edited_at is not None and edited.comment.content == "Mine, edited"
    assert not world.audit.entries
    s.delete_comment(ADMIN, "model", "m1", c.comment.id)
    assert world.audit.entries[0][:4] == ("admin", "comment.delete", "comment", c.comment.id)
    assert world.notes.sent[-1]["to"] == "alice" and world.notes.sent[-1]["category"] == "moderation"
    with pytest.raises(NotFound):
        s.delete_comment(ADMIN, "model", "m1", c.comment.id)


def test_views_say_who_may_edit_and_delete(world):
    s = world.service
    c, _ = s.post_comment(ALICE, "model", "m1", "Mine")
    mine, theirs, admins = (s.comment(v, "model", "m1", c.comment.id) for v in (ALICE, BOB, ADMIN))
    assert (mine.can_edit, mine.can_delete) == (True, True)
    assert (theirs.can_edit, theirs.can_delete) == (False, False)
    assert (admins.can_edit, admins.can_delete) == (False, True)


# -- double submits and limits ------------------------------------------------------------------
def test_same_text_again_is_the_same_comment(world):
    s = world.service
    first, created = s.post_comment(ALICE, "model", "m1", "Once")
    again, created_again = s.post_comment(ALICE, "model", "m1", "  Once ")
    assert created and not created_again and again.comment.id == first.comment.id
    assert world.limiter.hits == 1 and len(world.notes.sent) == 1


def test_a_marker_whose_comment_never_appeared_is_taken_over(world):
    s = world.service
    world.comments.markers[("model", "m1", "alice", _digest(None, "Lost"))] = new_id(1_600_000_000)
    view, created = s.post_comment(ALICE, "model", "m1", "Lost")
    assert created and world.comments.get("model", "m1", view.comment.id)


def test_a_marker_of_a_comment_still_being_written_is_a_conflict(world, monkeypatch):
    s = world.service
    monkeypatch.setattr(world.comments, "take_over_double_submit", lambda *a: False)
    world.comments.markers[("model", "m1", "alice", _digest(None, "Racing"))] = new_id(1_700_000_000)
    with pytest.raises(Conflict):
        s.post_comment(ALICE, "model", "m1", "Racing")


def _digest(parent_id, content):
    import hashlib

    return hashlib.sha256(f"{parent_id or ''}\n{content}".encode()).hexdigest()[:32]


def test_rate_limit_refuses_before_anything_is_written(world):
    world.limiter.limit = 0
    with pytest.raises(RateLimited):
        world.service.post_comment(ALICE, "model", "m1", "Spam")
    assert not world.comments.items and not world.comments.markers and not world.notes.sent


# -- likes --------------------------------------------------------------------------------------
def test_likes_notify_once_touch_the_index_and_skip_own_received(world):
    s = world.service
    assert s.set_asset_like(ALICE, "model", "m1", True).like_count == 1
    assert s.set_asset_like(ALICE, "model", "m1", True).like_count == 1
    s.set_asset_like(ALICE, "model", "m1", False)
    s.set_asset_like(ALICE, "model", "m1", True)
    assert [n["type"] for n in world.notes.sent] == ["like"]
    assert world.indexer.touched == [("model", "m1")] * 3  # only real transitions
    assert s.received_likes("owner") == 1
    assert s.set_asset_like(OWNER, "model", "m1", True).like_count == 2
    assert s.received_likes("owner") == 1 and len(world.notes.sent) == 1


def test_comment_likes_notify_the_author_once(world):
    s = world.service
    c, _ = s.post_comment(ALICE, "image", "i1", "Nice")
    world.notes.sent.clear()
    for liked in (True, False, True, True):
        s.set_comment_like(BOB, "image", "i1", c.comment.id, liked)
    assert [(n["to"], n["type"]) for n in world.notes.sent] == [("alice", "comment-like")]
    assert s.comment(BOB, "image", "i1", c.comment.id).liked is True
    assert s.comment(ALICE, "image", "i1", c.comment.id).liked is False
    assert s.received_likes("alice") == 0


def test_a_failing_notification_does_not_fail_the_action(world, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("notifications table unavailable")

    monkeypatch.setattr(world.notes, "notify", broken)
    view, created = world.service.post_comment(ALICE, "model", "m1", "Still posted")
    assert created and world.comments.get("model", "m1", view.comment.id)
    assert world.service.set_asset_like(ALICE, "model", "m1", True).liked


def test_unknown_kinds_are_not_found(world):
    with pytest.raises(NotFound):
        world.service.comments(None, "gallery", "m1", None, 5)
    assert cs.KINDS == ("model", "image")
