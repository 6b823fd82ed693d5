"""Likes of models, images and comments: idempotency, exact counters under concurrency and retries,
received-like totals, once-per-liker notifications, visibility, the "most liked" order."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import container
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error, wait_for

SEED = {"models": seed_model, "images": seed_image}
REPO = {"models": lambda: container.catalog().models, "images": lambda: container.catalog().images}


def _likes_of(user, category="likes"):
    r = user["api"].get("/api/notifications", params={"category": category})
    assert r.status_code == 200, r.text
    return r.json()["data"]["items"]


def _count(collection, asset_id):
    return REPO[collection]().get(asset_id).like_count


@pytest.mark.parametrize("collection", ["models", "images"])
def test_like_is_idempotent_and_notifies_the_owner_once(make_user, collection):
    owner, fan = make_user("CURATOR"), make_user()
    asset = SEED[collection](owner["id"], title="Likeable")
    path = f"/api/{collection}/{asset.id}/like"
    api = fan["api"]

    assert api.get(path).json()["data"] == {"liked": False, "likeCount": 0}
    for _ in range(3):
        r = api.post(path)
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"liked": True, "likeCount": 1}
    assert api.get(path).json()["data"] == {"liked": True, "likeCount": 1}
    assert _count(collection, asset.id) == 1
    for _ in range(2):
        assert api.delete(path).json()["data"] == {"liked": False, "likeCount": 0}
    assert api.post(path).json()["data"] == {"liked": True, "likeCount": 1}

    # like -> unlike -> like: one notification, with the liker as actor and a link to the asset
    notes = [n for n in _likes_of(owner) if n["type"] == "like"]
    assert len(notes) == 1
    kind = collection[:-1]
    assert notes[0]["actorId"] == fan["id"] and notes[0]["link"] == {"kind": kind, "id": asset.id}
    assert container.community_service().received_likes(owner["id"]) == 1
    # Guests may read the count, not like.
    assert fan["api"].get(path).json()["data"]["liked"] is True
    from tests.integration.conftest import Api
    guest = Api(api.base)
    assert guest.get(path).json()["data"] == {"liked": False, "likeCount": 1}
    assert_error(guest.post(path), 401, "UNAUTHORIZED")
    assert_error(guest.delete(path), 401, "UNAUTHORIZED")


def test_received_totals_count_models_and_images_but_not_own_likes(make_user):
    owner, a, b = make_user("CURATOR"), make_user(), make_user()
    model, image = seed_model(owner["id"]), seed_image(owner["id"])
    for user in (a, b):
        assert user["api"].post(f"/api/models/{model.id}/like").status_code == 200
    assert a["api"].post(f"/api/images/{image.id}/like").status_code == 200
    own = owner["api"].post(f"/api/images/{image.id}/like")
    assert own.json()["data"] == {"liked": True, "likeCount": 2}  # the owner's like counts on the image...
    assert container.community_service().received_likes(owner["id"]) == 3  # ...not in what they received
    assert not [n for n in _likes_of(owner) if n["actorId"] == owner["id"]]  # nor notifies them
    owner["api"].delete(f"/api/images/{image.id}/like")
    b["api"].delete(f"/api/models/{model.id}/like")
    assert container.community_service().received_likes(owner["id"]) == 2
    assert container.community_service().received_likes(a["id"]) == 0


def test_received_total_follows_the_owner_who_was_liked(make_user, admin):
    owner, heir, fan = make_user("CURATOR"), make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    fan["api"].post(f"/api/models/{model.id}/like")
    r = admin["api"].patch(f"/api/models/{model.id}", json={"ownerId": heir["id"]})
    assert r.status_code == 200, r.text
    fan["api"].delete(f"/api/models/{model.id}/like")  # taken back from the owner it was given to
    service = container.community_service()
    assert service.received_likes(owner["id"]) == 0 and service.received_likes(heir["id"]) == 0


def test_concurrent_double_clicks_count_once(make_user):
    owner, fan = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    path = f"/api/models/{model.id}/like"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: fan["api"].post(path), range(8)))
    assert all(r.status_code == 200 and r.json()["data"]["liked"] for r in results), [r.text for r in results]
    assert _count("models", model.id) == 1
    assert container.community_service().received_likes(owner["id"]) == 1
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: fan["api"].delete(path), range(8)))
    assert all(r.status_code == 200 and not r.json()["data"]["liked"] for r in results)
    assert _count("models", model.id) == 0
    assert container.community_service().received_likes(owner["id"]) == 0


def test_concurrent_likes_by_many_members_and_toggling_stay_exact(make_user):
    owner = make_user("CURATOR")
    fans = [make_user() for _ in range(6)]
    image = seed_image(owner["id"])
    path = f"/api/images/{image.id}/like"

    def toggle(fan_and_round):
        fan, n = fan_and_round
        call = fan["api"].post if n % 2 == 0 else fan["api"].delete
        return call(path).status_code

    # Every member likes, unlikes and likes again, all at the same time.
    work = [(fan, n) for n in range(3) for fan in fans]
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(toggle, work))
    assert set(codes) == {200}
    liked = sum(1 for f in fans if f["api"].get(path).json()["data"]["liked"])
    assert _count("images", image.id) == liked
    assert container.community_service().received_likes(owner["id"]) == liked
    for fan in fans:
        fan["api"].post(path)
    assert _count("images", image.id) == len(fans)
    assert container.community_service().received_likes(owner["id"]) == len(fans)
    assert len([n for n in _likes_of(owner) if n["type"] == "like"]) == len(fans)


def test_a_claim_left_by_a_crashed_request_is_settled_exactly_once(make_user):
    """A request that died between claiming the like and moving the counters leaves a pending
    marker; the next like or unlike of the same member finishes it instead of double counting."""
    from chalicelib.repositories.community import LikeItem  # after the runtime named the tables

    owner, fan = make_user("CURATOR"), make_user()
    model = seed_model(owner["id"])
    abandoned = time.time() - 60
    LikeItem(f"U#{fan['id']}", f"model#{model.id}", owner_id=owner["id"], created_at=abandoned, pending="+",
             pending_at=abandoned).save()
    assert fan["api"].get(f"/api/models/{model.id}/like").json()["data"] == {"liked": True, "likeCount": 0}
    r = fan["api"].post(f"/api/models/{model.id}/like")  # the retry
    assert r.json()["data"] == {"liked": True, "likeCount": 1}
    assert fan["api"].post(f"/api/models/{model.id}/like").json()["data"]["likeCount"] == 1
    assert container.community_service().received_likes(owner["id"]) == 1

    # The same for an unlike that died half way: the next like completes it, then likes again.
    LikeItem(f"U#{fan['id']}", f"model#{model.id}").update(
        actions=[LikeItem.pending.set("-"), LikeItem.pending_at.set(abandoned)])
    assert fan["api"].post(f"/api/models/{model.id}/like").json()["data"] == {"liked": True, "likeCount": 1}
    assert container.community_service().received_likes(owner["id"]) == 1
    assert fan["api"].delete(f"/api/models/{model.id}/like").json()["data"] == {"liked": False, "likeCount": 0}


def test_likes_reach_the_most_liked_order(make_user):
    owner, fan = make_user("CURATOR"), make_user()
    older = seed_model(owner["id"], title="Liked later")
    seed_model(owner["id"], title="Newer, unliked")
    assert fan["api"].post(f"/api/models/{older.id}/like").status_code == 200

    def first_by_likes():
        data = fan["api"].get("/api/models", params={"curator": owner["id"], "sort": "liked"}).json()["data"]
        return data and data[0]["id"] == older.id and data[0]["likes"] == 1

    wait_for(first_by_likes, timeout=30)


@pytest.mark.parametrize("collection", ["models", "images"])
def test_likes_follow_visibility(make_user, admin, collection):
    owner, member, adult_fan = make_user("CURATOR"), make_user(), make_user()
    user = container.users_repo().get(adult_fan["id"])
    user.show_adult = True
    container.users_repo().save(user)
    seed = SEED[collection]
    hidden = {
        "private": seed(owner["id"], visibility="private"),
        "flagged": seed(owner["id"], moderation="flagged"),
        "removed": seed(owner["id"], moderation="removed"),
        "processing": seed(owner["id"], status="processing"),
        "adult": seed(owner["id"], is_adult=True),
    }
    for name, asset in hidden.items():
        path = f"/api/{collection}/{asset.id}/like"
        assert_error(member["api"].post(path), 404, "NOT_FOUND")
        assert_error(member["api"].get(path), 404, "NOT_FOUND")
        assert_error(member["api"].delete(path), 404, "NOT_FOUND")
        expected_owner = 200 if name in ("private", "processing", "adult") else 404  # flagged: a placeholder only
        assert owner["api"].post(path).status_code == expected_owner, name
    adult_path = f"/api/{collection}/{hidden['adult'].id}/like"
    assert adult_fan["api"].post(adult_path).json()["data"] == {"liked": True, "likeCount": 2}
    # Administrators see everything, including assets under review.
    assert admin["api"].post(f"/api/{collection}/{hidden['flagged'].id}/like").status_code == 200
    assert_error(member["api"].post(f"/api/{collection}/{'0' * 32}/like"), 404, "NOT_FOUND")
    assert_error(member["api"].post(f"/api/{collection}/bad%20id!/like"), 400, "VALIDATION_ERROR")
    # Never counted: the refused likes above left every counter untouched.
    assert _count(collection, hidden["removed"].id) == 0


# -- comment likes ---------------------------------------------------------------------------------
def test_comment_likes_are_idempotent_and_shown_per_viewer(make_user):
    owner, author, fan, other = make_user("CURATOR"), make_user(), make_user(), make_user()
    model = seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    comment = author["api"].post(base, json={"content": "Great model"}).json()["data"]
    reply = other["api"].post(base, json={"content": "Agreed", "parentId": comment["id"]}).json()["data"]
    like = f"{base}/{comment['id']}/like"
    for _ in range(3):
        r = fan["api"].post(like)
        assert r.status_code == 200 and r.json()["data"] == {"liked": True, "likeCount": 1}, r.text
    assert fan["api"].post(f"{base}/{reply['id']}/like").json()["data"] == {"liked": True, "likeCount": 1}

    listed = fan["api"].get(base).json()["data"][0]
    assert listed["likeCount"] == 1 and listed["viewerHasLiked"] is True
    assert listed["replies"][0]["viewerHasLiked"] is True and listed["replies"][0]["likeCount"] == 1
    theirs = other["api"].get(base).json()["data"][0]
    assert theirs["likeCount"] == 1 and theirs["viewerHasLiked"] is False
    from tests.integration.conftest import Api
    assert Api(fan["api"].base).get(base).json()["data"][0]["viewerHasLiked"] is False

    fan["api"].delete(like)
    fan["api"].post(like)
    notes = [n for n in _likes_of(author) if n["type"] == "comment-like"]
    assert len(notes) == 1 and notes[0]["link"]["commentId"] == comment["id"]
    assert fan["api"].delete(like).json()["data"] == {"liked": False, "likeCount": 0}
    assert fan["api"].delete(like).json()["data"] == {"liked": False, "likeCount": 0}
    # Comment likes are not "received likes" (those count models and images).
    assert container.community_service().received_likes(author["id"]) == 0


def test_concurrent_comment_likes_count_once(make_user):
    owner, fan = make_user("CURATOR"), make_user()
    image = seed_image(owner["id"])
    comment = owner["api"].post(f"/api/images/{image.id}/comments", json={"content": "Mine"}).json()["data"]
    like = f"/api/images/{image.id}/comments/{comment['id']}/like"
    with ThreadPoolExecutor(8) as pool:
        codes = [r.status_code for r in pool.map(lambda _: fan["api"].post(like), range(8))]
    assert set(codes) == {200}
    assert owner["api"].get(f"/api/images/{image.id}/comments/{comment['id']}").json()["data"]["likeCount"] == 1


def test_comment_likes_need_a_visible_live_comment_of_that_asset(make_user):
    owner, author, fan = make_user("CURATOR"), make_user(), make_user()
    model, elsewhere = seed_model(owner["id"]), seed_model(owner["id"])
    base = f"/api/models/{model.id}/comments"
    comment = author["api"].post(base, json={"content": "Soon gone"}).json()["data"]
    foreign = author["api"].post(f"/api/models/{elsewhere.id}/comments", json={"content": "x"}).json()["data"]
    assert_error(fan["api"].post(f"{base}/{foreign['id']}/like"), 404, "NOT_FOUND")  # another asset's comment
    assert_error(fan["api"].post(f"{base}/not-a-comment-id/like"), 400, "VALIDATION_ERROR")
    assert_error(fan["api"].post(f"{base}/{'1' * 13}{'a' * 8}/like"), 404, "NOT_FOUND")
    from tests.integration.conftest import Api
    assert_error(Api(fan["api"].base).post(f"{base}/{comment['id']}/like"), 401, "UNAUTHORIZED")
    assert author["api"].delete(f"{base}/{comment['id']}").status_code == 204
    assert_error(fan["api"].post(f"{base}/{comment['id']}/like"), 404, "NOT_FOUND")
    # When the asset becomes private, its comments cannot be liked by others either.
    container.catalog().models.update(elsewhere.id, visibility="private")
    assert_error(fan["api"].post(f"/api/models/{elsewhere.id}/comments/{foreign['id']}/like"), 404, "NOT_FOUND")
