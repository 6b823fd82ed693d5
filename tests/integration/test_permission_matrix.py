"""The permission matrix: every asset-scoped route, for each kind of caller, against an asset in each
state, with the status the platform must answer. One table (MATRIX) generates every case.

Callers: guest; user (a member, adult content off); owner (the curator who owns the asset);
other (a curator who does not); admin. States: public (active, safe), private, flagged (under
review), adult (public, adult, so hidden from guests and from members who did not opt in), removed
(taken down by moderation; the record stays for the audit trail).

Reading the rows: "404" where a caller may not know the asset exists (never 403, which would confirm
it), "403" where they can see it but may not act on it, "401" for guests on member routes. Owners
see their own asset under review as an "In Audit" placeholder (details and status answer, content
routes 404). Routes that change state get a fresh asset per case.

A second table (LISTED) checks the lists and counts the same way: which callers find which states.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.models import Role
from tests.integration.catalog_seed import seed_image, seed_model

ACTORS = ("guest", "user", "owner", "other", "admin")
STATES = ("public", "private", "flagged", "adult", "removed")
STATE_FIELDS = {"public": {}, "private": {"visibility": "private"}, "adult": {"is_adult": True}}


def row(spec: str) -> tuple[int, ...]:
    codes = tuple(int(c) for c in spec.split())
    if len(codes) == 1:
        codes *= len(STATES)
    assert len(codes) == len(STATES), spec
    return codes


def profile(guest: str, user: str, owner: str, other: str, admin: str) -> dict[str, tuple[int, ...]]:
    return {a: row(s) for a, s in zip(ACTORS, (guest, user, owner, other, admin), strict=True)}


#                 public private flagged adult removed
HIDDEN = "404 404 404 404 404"
VIEW = profile(guest="200 404 404 404 404", user="200 404 404 404 404", owner="200 200 200 200 404",
               other="200 404 404 404 404", admin="200")
CONTENT = profile(guest="200 404 404 404 404", user="200 404 404 404 404", owner="200 200 404 200 404",
                  other="200 404 404 404 404", admin="200")
ADMIN_ONLY_CASE = profile(guest="401", user="403", owner="403", other="403", admin="409 409 200 409 409")


def member_write(ok: int, admin_removed: int) -> dict[str, tuple[int, ...]]:
    return profile(guest="401", user=f"{ok} 404 404 404 404", owner=f"{ok} {ok} 404 {ok} 404",
                   other=f"{ok} 404 404 404 404", admin=f"{ok} {ok} {ok} {ok} {admin_removed}")


@dataclass
class Route:
    method: str
    path: str  # {id}: the asset; {version}: its primary version; {comment}: a comment on it
    expect: dict[str, tuple[int, ...]]
    kind: str = "model"
    body: dict | None = None
    fresh: bool = False  # the call changes the asset: every case gets its own
    needs_comment: bool = False
    notes: str = field(default="")


MATRIX = [
    # -- models: reads ------------------------------------------------------------------------
    Route("GET", "/api/models/{id}", VIEW),
    Route("GET", "/api/models/{id}/status", VIEW),
    Route("GET", "/api/models/{id}/versions", CONTENT),
    Route("GET", "/api/models/{id}/versions/{version}/header",
          profile(guest="401", user="404 404 404 404 404", owner="404 404 404 404 404", other=HIDDEN, admin="404"),
          notes="seeded versions have no stored header: 404 for whoever may see the model, 404 for the rest"),
    Route("GET", "/api/models/{id}/versions/{version}/download",
          profile(guest="401", user="302 404 404 404 404", owner="302 302 404 302 404", other="302 404 404 404 404",
                  admin="302 302 302 302 404"), notes="removed files are gone even for admins"),
    Route("GET", "/api/models/{id}/comments", CONTENT),
    Route("GET", "/api/models/{id}/like", CONTENT),
    # -- models: member actions ---------------------------------------------------------------
    Route("POST", "/api/models/{id}/comments", member_write(201, 201), body={"content": "Nice work"}, fresh=True),
    Route("POST", "/api/models/{id}/like", member_write(200, 200), fresh=True),
    Route("DELETE", "/api/models/{id}/like", member_write(200, 200), fresh=True),
    Route("POST", "/api/models/{id}/comments/{comment}/like", member_write(200, 200), fresh=True, needs_comment=True),
    Route("POST", "/api/models/{id}/flags",
          profile(guest="401", user="201 404 404 404 404", owner="403 403 403 403 404", other="201 404 404 404 404",
                  admin="201 201 201 201 409"), body={"reason": "spam"}, fresh=True,
          notes="owners may not report their own asset (403 even in audit: they know it exists)"),
    # -- models: owner actions ----------------------------------------------------------------
    Route("PATCH", "/api/models/{id}", profile(guest="401", user="403", owner="200 200 200 200 404",
                                               other="403 404 404 404 404", admin="200"),
          body={"description": "edited"}, fresh=True),
    Route("DELETE", "/api/models/{id}", profile(guest="401", user="403", owner="204 204 409 204 404",
                                                other="403 404 404 404 404", admin="204"), fresh=True),
    Route("POST", "/api/models/{id}/versions/{version}/promote",
          profile(guest="401", user="403", owner="200 200 200 200 404", other="403 404 404 404 404", admin="200"),
          fresh=True, notes="owners may keep editing an asset in audit (not publish or delete it)"),
    # -- models: administration ---------------------------------------------------------------
    Route("GET", "/api/moderation/model/{id}", profile(guest="401", user="403", owner="403", other="403",
                                                       admin="404 404 200 404 200")),
    Route("POST", "/api/moderation/model/{id}/approve", ADMIN_ONLY_CASE, body={}, fresh=True),
    Route("POST", "/api/moderation/model/{id}/remove", ADMIN_ONLY_CASE, body={"note": "Breaks the rules"}, fresh=True),
    # -- images ---------------------------------------------------------------------------------
    Route("GET", "/api/images/{id}", VIEW, kind="image"),
    Route("GET", "/api/images/{id}/status", VIEW, kind="image"),
    Route("GET", "/api/images/{id}/comments", CONTENT, kind="image"),
    Route("GET", "/api/images/{id}/like", CONTENT, kind="image"),
    Route("POST", "/api/images/{id}/comments", member_write(201, 201), kind="image", body={"content": "Lovely"},
          fresh=True),
    Route("POST", "/api/images/{id}/like", member_write(200, 200), kind="image", fresh=True),
    Route("POST", "/api/images/{id}/flags",
          profile(guest="401", user="201 404 404 404 404", owner="403 403 403 403 404", other="201 404 404 404 404",
                  admin="201 201 201 201 409"), kind="image", body={"reason": "spam"}, fresh=True),
    Route("PATCH", "/api/images/{id}", profile(guest="401", user="403", owner="200 200 200 200 404",
                                               other="403 404 404 404 404", admin="200"),
          kind="image", body={"description": "edited"}, fresh=True),
    Route("DELETE", "/api/images/{id}", profile(guest="401", user="403", owner="204 204 409 204 404",
                                                other="403 404 404 404 404", admin="204"), kind="image", fresh=True),
    Route("POST", "/api/moderation/image/{id}/approve", ADMIN_ONLY_CASE, kind="image", body={}, fresh=True),
]


def _case_id(route: Route) -> str:
    return f"{route.method} {route.path.replace('/api/', '')}"


@pytest.fixture(scope="module")
def actors(make_user, admin):
    owner = make_user("CURATOR")
    return {"guest": None, "user": make_user(), "owner": owner, "other": make_user("CURATOR"), "admin": admin}


def _enter_state(kind: str, asset, state: str, admin_id: str):
    """Put a public asset into ``state`` the way the platform does: screening flags it (a real case
    in the queue), an administrator removes it."""
    from chalicelib import container

    repo = container.catalog().models if kind == "model" else container.catalog().images
    if state in STATE_FIELDS:
        if STATE_FIELDS[state]:
            repo.update(asset.id, **STATE_FIELDS[state])
            container.search_indexer().refresh(kind, asset.id)
    else:
        moderation = container.moderation_service()
        assert moderation.auto_flag(kind, asset.id, ["matrix screening"])
        if state == "removed":
            moderation.remove(container.users_repo().get(admin_id), kind, asset.id, "Removed by the matrix")
    return repo.get(asset.id)


def _seed(kind: str, owner_id: str, state: str, admin_id: str):
    seed = seed_model if kind == "model" else seed_image
    return _enter_state(kind, seed(owner_id, title=f"Matrix {kind} {state}"), state, admin_id)


@pytest.fixture(scope="module")
def shared(actors):
    """One asset per kind and state for the read-only routes."""
    owner, admin_id = actors["owner"]["id"], actors["admin"]["id"]
    return {(kind, state): _seed(kind, owner, state, admin_id) for kind in ("model", "image") for state in STATES}


def _comment_on(kind: str, asset, actors) -> str:
    """A comment to act on, stored straight through the repository (posting through the API is
    rate limited per author and tested in test_comments.py); then the asset is put in its state."""
    import time

    from chalicelib.repositories.community import Comment, CommentRepository
    from chalicelib.services.notification_service import new_id

    now = time.time()
    comment = Comment(id=new_id(now), kind=kind, asset_id=asset.id, author_id=actors["admin"]["id"], content="First!",
                      created_at=now)
    assert CommentRepository().add(comment)
    return comment.id


def _call(route: Route, actors, api, asset, comment_id: str | None, actor: str):
    path = route.path.format(id=asset.id, version=getattr(asset, "primary_version_id", None) or "none",
                             comment=comment_id or "none")
    client = api if actor == "guest" else actors[actor]["api"]
    kwargs = {"allow_redirects": False}
    if route.body is not None:
        kwargs["json"] = route.body
    return getattr(client, route.method.lower())(path, **kwargs)


@pytest.mark.parametrize("route", MATRIX, ids=_case_id)
def test_matrix(route: Route, actors, shared, api):
    failures = []
    for actor in ACTORS:
        for state, expected in zip(STATES, route.expect[actor], strict=True):
            if route.fresh or route.needs_comment:
                asset = _seed(route.kind, actors["owner"]["id"], "public", actors["admin"]["id"])
                comment_id = _comment_on(route.kind, asset, actors) if route.needs_comment else None
                asset = _enter_state(route.kind, asset, state, actors["admin"]["id"])
            else:
                asset, comment_id = shared[(route.kind, state)], None
            response = _call(route, actors, api, asset, comment_id, actor)
            if response.status_code != expected:
                failures.append(f"{actor:6s} {state:8s} expected {expected} got {response.status_code}: "
                                f"{response.text[:160]}")
    assert not failures, f"{_case_id(route)}\n" + "\n".join(failures)


def test_matrix_covers_every_asset_route():
    """A new asset-scoped route must get a row here (or a reason to be left out)."""
    import app  # noqa: F401 (registers every route)
    from chalicelib.api.routing import ROUTES

    covered = {(r.method, r.path.split("{")[0]) for r in MATRIX}
    scoped = {(r.method, r.path.split("{")[0]) for r in ROUTES
              if r.path.startswith(("/api/models/{", "/api/images/{")) and r.role is not None and r.role != Role.ADMIN}
    assert scoped <= covered | {(m, p) for m, p in scoped if p in ("/api/models/", "/api/images/")}


# -- lists, profiles and counts ----------------------------------------------------------------
# What each caller finds of one curator's assets, per state: F = in full, P = the "In Audit"
# placeholder (name only), - = absent. "member+" is a member who opted in to adult content.
#                public private flagged adult removed
LISTED = {
    "guest":   "F - - - -",
    "user":    "F - - - -",
    "member+": "F - - F -",
    "owner":   "F F P F -",
    "other":   "F - - - -",
    "admin":   "F F F F F",
}
# How many of those five each caller's /api/meta/stats counts (per kind). Owners' own counts include
# what moderation removed (the counters cannot tell removed from private; documented).
COUNTED = {"guest": 1, "user": 1, "member+": 2, "owner": 5, "other": 1, "admin": 5}


@pytest.fixture(scope="module")
def listing_world(actors, make_user):
    from chalicelib import container

    adult_member = make_user()
    adult_member["api"].patch("/api/auth/me", json={"showAdultContent": True}).raise_for_status()
    callers = {**actors, "member+": adult_member}
    before = {who: _stats(callers, who) for who in COUNTED}
    curator = make_user("CURATOR")
    callers["owner"] = curator  # the owner of this world's assets
    before["owner"] = _stats(callers, "owner")
    assets = {(kind, state): _seed(kind, curator["id"], state, actors["admin"]["id"])
              for kind in ("model", "image") for state in STATES}
    assert container  # records are indexed synchronously by the seeding
    return callers, curator, assets, before


def _stats(callers, who) -> dict:
    client = callers[who]["api"] if callers[who] else None
    if client is None:
        import requests

        from chalicelib import container

        return requests.get(f"{container.config().public_url}/api/meta/stats", timeout=30).json()["data"]
    return client.get("/api/meta/stats").json()["data"]


def _found(items: list[dict], asset_id: str) -> str:
    for item in items:
        if item["id"] == asset_id:
            return "P" if item.get("placeholder") else "F"
    return "-"


@pytest.mark.parametrize("who", list(LISTED))
@pytest.mark.parametrize("kind", ["model", "image"])
def test_lists_and_profiles_show_each_caller_what_they_may_see(who, kind, listing_world, api):
    callers, curator, assets, _ = listing_world
    client = api if callers[who] is None else callers[who]["api"]
    expected = dict(zip(STATES, LISTED[who].split(), strict=True))
    listed = client.get(f"/api/{kind}s", params={"curator": curator["id"], "pageSize": 50})
    assert listed.status_code == 200, listed.text
    profile = client.get(f"/api/users/{curator['id']}/profile")
    assert profile.status_code == 200, profile.text
    on_profile = profile.json()["data"][f"{kind}s"]["items"]
    for state in STATES:
        asset_id = assets[(kind, state)].id
        assert _found(listed.json()["data"], asset_id) == expected[state], (who, kind, state, "list")
        assert _found(on_profile, asset_id) == expected[state], (who, kind, state, "profile")


@pytest.mark.parametrize("who", list(COUNTED))
def test_stats_count_only_what_the_caller_may_see(who, listing_world):
    callers, _, _, before = listing_world
    after = _stats(callers, who)
    for key in ("models", "images"):
        assert after[key] - before[who][key] == COUNTED[who], (who, key, before[who], after)
