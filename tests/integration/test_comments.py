"""Comments on models and images: threads one level deep, paging, edit and delete rules, tombstones,
notifications, visibility of the commented asset, double submits, rate limits and hostile input."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import container
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import Api, assert_error

SEED = {"models": seed_model, "images": seed_image}


def _post(user, base, content, parent_id=None, status=201):
    body = {"content": content} if parent_id is None else {"content": content, "parentId": parent_id}
    r = user["api"].post(base, json=body)
    assert r.status_code == status, r.text
    return r.json()["data"]


def _notes(user, category="comments"):
    r = user["api"].get("/api/notifications", params={"category": category})
    assert r.status_code == 200, r.text
    return r.json()["data"]["items"]


def _rename(user, name):
    record = container.users_repo().get(user["id"])
    record.display_name = name
    container.users_repo().save(record)


@pytest.mark.parametrize("collection", ["models", "images"])
def test_threads_are_one_level_deep_and_notify_owner_and_parent_author(make_user, collection):
    owner, alice, bob, carol = make_user("CURATOR"), make_user(), make_user(), make_user()
    _rename(alice, "Alice")
    asset = SEED[collection](owner["id"], title="Nebula")
    base = f"/api/{collection}/{asset.id}/comments"

    top = _post(alice, base, "  First!\r\nSecond line  ")
    assert top["content"] == "First!\nSecond line" and top["parentId"] is None and top["deleted"] is False
    assert top["author"] == {"id": alice["id"], "displayName": "Alice", "role": "USER", "avatar": None}
    assert top["authorName"] == "Alice" and top["editedAt"] is None and top["replies"] == []
    assert top["likeCount"] == 0 and top["viewerHasLiked"] is False and top["canEdit"] and top["canDelete"]
    reply = _post(bob, base, "A reply", parent_id=top["id"])
    nested = _post(carol, base, "A reply to the reply", parent_id=reply["id"])
    assert reply["parentId"] == top["id"] and nested["parentId"] == top["id"]  # one level: joins the thread
    assert "replies" not in reply

    listed = Api(owner["api"].base).get(base).json()  # guests read public threads
    assert [c["id"] for c in listed["data"]] == [top["id"]]
    thread = listed["data"][0]
    assert thread["replyCount"] == 2 and [r["id"] for r in thread["replies"]] == [reply["id"], nested["id"]]
    assert thread["canEdit"] is False and thread["canDelete"] is False
    only_latest = owner["api"].get(base, params={"replies": 1}).json()["data"][0]
    assert [r["id"] for r in only_latest["replies"]] == [nested["id"]] and only_latest["replyCount"] == 2
    assert owner["api"].get(base, params={"replies": 0}).json()["data"][0]["replies"] == []
    one = owner["api"].get(f"{base}/{reply['id']}").json()["data"]
    assert one["id"] == reply["id"] and one["content"] == "A reply"
    page = owner["api"].get(f"{base}/{top['id']}/replies").json()
    assert [r["id"] for r in page["data"]] == [reply["id"], nested["id"]] and page["meta"]["cursor"] is None
    assert_error(owner["api"].get(f"{base}/{reply['id']}/replies"), 404, "NOT_FOUND")  # replies have none

    kind = collection[:-1]
    owner_notes = _notes(owner)
    assert sorted(n["type"] for n in owner_notes) == ["comment", "comment", "comment"]
    assert owner_notes[-1]["title"] == "Alice commented on “Nebula”"
    assert owner_notes[-1]["body"].startswith("First!")
    assert owner_notes[-1]["link"] == {"kind": kind, "id": asset.id, "commentId": top["id"]}
    alice_notes = _notes(alice)
    assert [n["type"] for n in alice_notes] == ["reply", "reply"]
    assert {n["actorId"] for n in alice_notes} == {bob["id"], carol["id"]}
    assert _notes(bob) == []  # a reply to a reply notifies the thread's author, not the replied-to member

    # The owner commenting on their own asset notifies nobody; replying to Alice notifies only her.
    _post(owner, base, "Thanks all")
    _post(owner, base, "Thank you", parent_id=top["id"])
    assert len(_notes(owner)) == 3 and len(_notes(alice)) == 3


def test_paging_is_stable_when_comments_come_and_go_between_pages(make_user):
    owner, member = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    ids = [_post(member, base, f"comment {n}")["id"] for n in range(7)]
    _post(owner, base, "a reply keeps comment 4 as a tombstone", parent_id=ids[4])

    seen, cursor, pages = [], None, 0
    while True:
        params = {"pageSize": 3, "replies": 0, **({"cursor": cursor} if cursor else {})}
        body = member["api"].get(base, params=params).json()
        pages += 1
        seen += [c["id"] for c in body["data"]]
        if pages == 1:
            # Between pages: one seen and two unseen comments are deleted (one keeps its thread), one arrives.
            for gone in (ids[0], ids[3], ids[4]):
                assert member["api"].delete(f"{base}/{gone}").status_code == 204
            late = _post(member, base, "late")["id"]
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert seen == ids[:3] + [ids[4]] + ids[5:] + [late]
    assert len(seen) == len(set(seen))
    tombstone = member["api"].get(f"{base}/{ids[4]}").json()["data"]
    assert tombstone["deleted"] is True and tombstone["content"] == "" and tombstone["author"] is None
    assert tombstone["replyCount"] == 1 and len(tombstone["replies"]) == 1
    # A cursor is bound to its thread.
    other = seed_model(owner["id"])
    first = member["api"].get(base, params={"pageSize": 1}).json()["meta"]["cursor"]
    assert_error(member["api"].get(f"/api/models/{other.id}/comments", params={"cursor": first}), 400,
                 "VALIDATION_ERROR", field="cursor")
    assert_error(member["api"].get(f"{base}/{ids[1]}/replies", params={"cursor": first}), 400, "VALIDATION_ERROR")


def test_reply_pages_have_no_duplicates_or_gaps(make_user):
    owner, member = make_user("CURATOR"), make_user()
    image = seed_image(owner["id"])
    base = f"/api/images/{image.id}/comments"
    top = _post(owner, base, "Thread")["id"]
    replies = [_post(member, base, f"reply {n}", parent_id=top)["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"pageSize": 2, **({"cursor": cursor} if cursor else {})}
        body = owner["api"].get(f"{base}/{top}/replies", params=params).json()
        seen += [r["id"] for r in body["data"]]
        if len(seen) == 2:
            assert member["api"].delete(f"{base}/{replies[2]}").status_code == 204
            replies.append(_post(member, base, "late reply", parent_id=top)["id"])
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
    assert seen == replies[:2] + replies[3:]
    assert owner["api"].get(f"{base}/{top}").json()["data"]["replyCount"] == 5


def test_edit_is_for_the_author_only(make_user, admin):
    owner, author, other = make_user("CURATOR"), make_user(), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    c = _post(author, base, "Typo hree")
    one = f"{base}/{c['id']}"
    for intruder in (other, owner, admin):
        assert_error(intruder["api"].patch(one, json={"content": "Hijacked"}), 403, "FORBIDDEN")
    assert_error(Api(author["api"].base).patch(one, json={"content": "x"}), 401, "UNAUTHORIZED")
    same = author["api"].patch(one, json={"content": "Typo hree"}).json()["data"]
    assert same["editedAt"] is None  # nothing changed
    edited = author["api"].patch(one, json={"content": "Typo here"})
    assert edited.status_code == 200, edited.text
    data = edited.json()["data"]
    assert data["content"] == "Typo here" and data["editedAt"] is not None and data["createdAt"] == c["createdAt"]
    assert owner["api"].get(one).json()["data"]["content"] == "Typo here"
    assert author["api"].delete(one).status_code == 204
    assert_error(author["api"].patch(one, json={"content": "Back"}), 404, "NOT_FOUND")


def test_delete_rules_tombstones_and_audit(make_user, admin):
    owner, author, other = make_user("CURATOR"), make_user(), make_user()
    model = seed_model(owner["id"], title="Target")
    base = f"/api/models/{model.id}/comments"
    lonely = _post(author, base, "Nobody answers")
    thread = _post(author, base, "Discuss")
    reply = _post(other, base, "Answer", parent_id=thread["id"])

    for intruder in (other, owner):  # the asset's owner moderates nothing; administrators do
        assert_error(intruder["api"].delete(f"{base}/{lonely['id']}"), 403, "FORBIDDEN")
    assert_error(Api(author["api"].base).delete(f"{base}/{lonely['id']}"), 401, "UNAUTHORIZED")
    assert author["api"].delete(f"{base}/{lonely['id']}").status_code == 204
    assert_error(author["api"].get(f"{base}/{lonely['id']}"), 404, "NOT_FOUND")  # gone without a trace
    assert_error(author["api"].delete(f"{base}/{lonely['id']}"), 404, "NOT_FOUND")

    assert author["api"].delete(f"{base}/{thread['id']}").status_code == 204
    listed = other["api"].get(base).json()["data"]
    assert [c["id"] for c in listed] == [thread["id"]]
    tomb = listed[0]
    assert tomb["deleted"] and tomb["content"] == "" and tomb["author"] is None and tomb["authorName"] is None
    assert tomb["canDelete"] is False and [r["id"] for r in tomb["replies"]] == [reply["id"]]
    assert_error(other["api"].post(base, json={"content": "late", "parentId": thread["id"]}), 404, "NOT_FOUND",
                 field="parentId")
    assert_error(other["api"].patch(f"{base}/{thread['id']}", json={"content": "x"}), 404, "NOT_FOUND")

    # An administrator removes the last reply: audited, the author told, and the tombstone leaves too.
    assert admin["api"].delete(f"{base}/{reply['id']}").status_code == 204
    assert other["api"].get(base).json()["data"] == []
    audited = container.audit_service().page(None, 50, action="comment.delete")[0]
    assert any(e.target_id == reply["id"] and e.actor_id == admin["id"] and e.details["authorId"] == other["id"]
               for e in audited)
    removed = [n for n in _notes(other, "moderation") if n["type"] == "comment-removed"]
    assert len(removed) == 1 and "Target" in removed[0]["title"]
    # The author deleting their own comment is not audited.
    assert not any(e.target_id == lonely["id"] for e in audited)


def test_deleted_authors_show_as_deleted_user(make_user):
    from chalicelib.repositories.users import UserItem  # after the runtime named the tables

    owner, leaver = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    c = _post(leaver, base, "Goodbye")
    UserItem(f"USER#{leaver['id']}").delete()
    shown = owner["api"].get(base).json()["data"][0]
    assert shown["id"] == c["id"] and shown["author"] is None and shown["authorName"] == "Deleted user"
    assert shown["content"] == "Goodbye" and shown["deleted"] is False


def test_author_avatars_are_shown(make_user):
    owner, member = make_user("CURATOR"), make_user()
    avatar = seed_image(member["id"], purpose="avatar",
                        thumbnails={"small": {"key": "assets/avatars/a.webp", "width": 64, "height": 64,
                                              "mime": "image/webp"}})
    container.users_repo().set_avatar(member["id"], avatar.id)
    model = seed_model(owner["id"])
    shown = _post(member, f"/api/models/{model.id}/comments", "With a face")
    assert set(shown["author"]["avatar"]) == {"small"} and shown["author"]["avatar"]["small"].startswith("http")


def test_comments_follow_the_visibility_of_their_asset(make_user, admin):
    owner, member, adult_fan = make_user("CURATOR"), make_user(), make_user()
    record = container.users_repo().get(adult_fan["id"])
    record.show_adult = True
    container.users_repo().save(record)
    guest = Api(member["api"].base)
    cases = {
        # name: (asset, who may read and write besides admins)
        "public": (seed_model(owner["id"]), {"guest-read", "member", "owner", "adult_fan"}),
        "private": (seed_model(owner["id"], visibility="private"), {"owner"}),
        "flagged": (seed_model(owner["id"], moderation="flagged"), set()),
        "removed": (seed_image(owner["id"], moderation="removed"), set()),
        "processing": (seed_image(owner["id"], status="processing"), {"owner"}),
        "adult": (seed_image(owner["id"], is_adult=True), {"owner", "adult_fan"}),
    }
    actors = {"member": member, "owner": owner, "adult_fan": adult_fan}
    for name, (asset, allowed) in cases.items():
        collection = "models" if asset.__class__.__name__ == "ModelAsset" else "images"
        base = f"/api/{collection}/{asset.id}/comments"
        admin_comment = _post(admin, base, f"admin on {name}")  # administrators see everything
        r = guest.get(base)
        if "guest-read" in allowed:
            assert r.status_code == 200
        else:
            assert_error(r, 404, "NOT_FOUND")
            assert_error(guest.get(f"{base}/{admin_comment['id']}"), 404, "NOT_FOUND")
        assert_error(guest.post(base, json={"content": "hi"}), 401, "UNAUTHORIZED")
        for who, actor in actors.items():
            listing = actor["api"].get(base)
            post = actor["api"].post(base, json={"content": f"{who} on {name}"})
            like = actor["api"].post(f"{base}/{admin_comment['id']}/like")
            replies = actor["api"].get(f"{base}/{admin_comment['id']}/replies")
            if who in allowed:
                assert listing.status_code == 200 and post.status_code == 201 and like.status_code == 200, name
                assert replies.status_code == 200
            else:
                for r in (listing, post, like, replies):
                    assert_error(r, 404, "NOT_FOUND")
        # Hidden assets do not reveal whether a comment exists: the same 404 as for a missing asset.
        missing = member["api"].get(f"/api/{collection}/{'f' * 32}/comments")
        assert_error(missing, 404, "NOT_FOUND")
    # The owner of a flagged asset sees an "in audit" placeholder, not its discussion.
    flagged_base = f"/api/models/{cases['flagged'][0].id}/comments"
    assert_error(owner["api"].get(flagged_base), 404, "NOT_FOUND")


def test_admin_deletes_on_a_private_asset(make_user, admin):
    owner, member = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    c = _post(member, base, "Before it went private")
    container.catalog().models.update(model.id, visibility="private")
    assert_error(member["api"].delete(f"{base}/{c['id']}"), 404, "NOT_FOUND")  # the author no longer sees it
    assert [x["id"] for x in owner["api"].get(base).json()["data"]] == [c["id"]]
    assert admin["api"].delete(f"{base}/{c['id']}").status_code == 204


def test_double_submits_post_one_comment(make_user):
    owner, member = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    first = _post(member, base, "Only once")
    again = _post(member, base, "Only once", status=200)  # a retried request
    assert again["id"] == first["id"]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: member["api"].post(base, json={"content": "Clicked six times"}), range(6)))
    assert sorted(r.status_code for r in results) == [200] * 5 + [201], [r.text for r in results]
    assert len({r.json()["data"]["id"] for r in results}) == 1
    # The same text as a reply, by someone else, or after deleting the first is a new comment.
    assert _post(member, base, "Only once", parent_id=first["id"])["id"] != first["id"]
    assert _post(owner, base, "Only once")["id"] != first["id"]
    assert member["api"].delete(f"{base}/{first['id']}").status_code == 204
    assert _post(member, base, "Only once")["id"] != first["id"]
    texts = [c["content"] for c in owner["api"].get(base, params={"pageSize": 50}).json()["data"]]
    assert texts.count("Clicked six times") == 1 and texts.count("Only once") == 2
    assert len(_notes(owner)) == 4  # one per comment the member actually posted (the owner's own: none)


def test_comment_creation_is_rate_limited(make_user):
    owner, member = make_user("CURATOR"), make_user()
    image = seed_image(owner["id"])
    base = f"/api/images/{image.id}/comments"
    statuses = []
    for n in range(21):  # a fixed window of 10 per minute: the 11th, or at worst the 21st, is refused
        r = member["api"].post(base, json={"content": f"spam {n}"})
        statuses.append(r.status_code)
        if r.status_code == 429:
            body = assert_error(r, 429, "RATE_LIMITED")
            assert 0 < int(r.headers["Retry-After"]) <= 60 and body["data"] is None
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {201} and len(statuses) >= 11
    # Other members are not affected, and refused posts left nothing behind.
    assert owner["api"].post(base, json={"content": "still fine"}).status_code == 201
    assert len(owner["api"].get(base, params={"pageSize": 50}).json()["data"]) == len(statuses)


@pytest.mark.parametrize("collection", ["models", "images"])
def test_hostile_and_malformed_input_is_refused(make_user, collection):
    owner, member = make_user("CURATOR"), make_user()
    asset = SEED[collection](owner["id"])
    other = SEED[collection](owner["id"])
    base = f"/api/{collection}/{asset.id}/comments"
    api = member["api"]
    mine = _post(member, base, "Legit")
    foreign = _post(member, f"/api/{collection}/{other.id}/comments", "Elsewhere")

    bad_bodies = [
        ({"data": "not json", "headers": {"Content-Type": "application/json"}}, "body"),
        ({"json": ["a list"]}, "body"),
        ({"json": {}}, "content"),
        ({"json": {"content": ""}}, "content"),
        ({"json": {"content": "   \n\t "}}, "content"),
        ({"json": {"content": None}}, "content"),
        ({"json": {"content": 42}}, "content"),
        ({"json": {"content": ["x"]}}, "content"),
        ({"json": {"content": {"$ne": ""}}}, "content"),
        ({"json": {"content": "x" * 2001}}, "content"),
        ({"json": {"content": "nul\x00byte"}}, "content"),
        ({"json": {"content": "bell\x07"}}, "content"),
        ({"data": b'{"content": "lone \\ud800"}', "headers": {"Content-Type": "application/json"}}, "content"),
        ({"json": {"content": "ok", "extra": 1}}, "extra"),
        ({"json": {"content": "ok", "authorId": owner["id"]}}, "authorId"),
        ({"json": {"content": "ok", "parentId": "../../etc"}}, "parentId"),
        ({"json": {"content": "ok", "parentId": 5}}, "parentId"),
    ]
    for kwargs, field in bad_bodies:
        assert_error(api.post(base, **kwargs), 400, "VALIDATION_ERROR", field=field)
        if "json" in kwargs and isinstance(kwargs["json"], dict) and "parentId" not in kwargs["json"]:
            assert_error(api.patch(f"{base}/{mine['id']}", **kwargs), 400, "VALIDATION_ERROR", field=field)
    huge = api.post(base, data=b'{"content": "' + b"x" * 300_000 + b'"}', headers={"Content-Type": "application/json"})
    assert_error(huge, 413, "PAYLOAD_TOO_LARGE")
    assert _post(member, base, "é" * 2000)["content"] == "é" * 2000  # the limit counts characters, not bytes
    assert _post(member, base, "<script>alert(1)</script>")["content"] == "<script>alert(1)</script>"  # stored as text

    # Ids from elsewhere: a comment of another asset is not this asset's comment.
    assert_error(api.post(base, json={"content": "x", "parentId": foreign["id"]}), 404, "NOT_FOUND", field="parentId")
    assert_error(api.post(base, json={"content": "x", "parentId": "1" * 13 + "0" * 8}), 404, "NOT_FOUND")
    for method in ("get", "delete"):
        assert_error(getattr(api, method)(f"{base}/{foreign['id']}"), 404, "NOT_FOUND")
    assert_error(api.patch(f"{base}/{foreign['id']}", json={"content": "x"}), 404, "NOT_FOUND")
    assert_error(api.get(f"{base}/{foreign['id']}/replies"), 404, "NOT_FOUND")
    for bad_id in ("abc", "1" * 22, "1" * 13 + "G" * 8, "T%23" + "1" * 21):
        assert_error(api.get(f"{base}/{bad_id}"), 400, "VALIDATION_ERROR")
        assert_error(api.delete(f"{base}/{bad_id}"), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"/api/{collection}/{'x' * 65}/comments"), 400, "VALIDATION_ERROR")

    bad_queries = [{"pageSize": 0}, {"pageSize": 51}, {"pageSize": "ten"}, {"replies": -1}, {"replies": 11},
                   {"cursor": "!!!"}, {"cursor": "x" * 501}, {"unknown": "1"}, {"cursor": "eyJrIjoxfQ"}]
    for params in bad_queries:
        assert_error(api.get(base, params=params), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{base}/{mine['id']}/replies", params={"pageSize": 101}), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{base}/{mine['id']}", params={"replies": 99}), 400, "VALIDATION_ERROR")
    # A well-formed cursor holding something other than a comment id.
    from chalicelib.pagination import encode_cursor
    forged = encode_cursor({"id": "T#../x"}, {"thread": f"{collection[:-1]}#{asset.id}"})
    assert_error(api.get(base, params={"cursor": forged}), 400, "VALIDATION_ERROR", field="cursor")
    # Nothing above was written.
    contents = [c["content"] for c in api.get(base, params={"pageSize": 50}).json()["data"]]
    assert contents == ["Legit", "é" * 2000, "<script>alert(1)</script>"]
