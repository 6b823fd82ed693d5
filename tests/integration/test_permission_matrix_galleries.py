"""The permission matrix for galleries: each kind of caller against a public gallery, a private one,
and a public gallery held back because a model in it is under review (hidden from the community,
visible to its owner and administrators). Generated from one table like test_permission_matrix.py."""
from __future__ import annotations

import pytest

from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.test_permission_matrix import ACTORS

STATES = ("public", "private", "held")


def row(spec: str) -> tuple[int, ...]:
    codes = tuple(int(c) for c in spec.split())
    return codes * len(STATES) if len(codes) == 1 else codes


#                        public private held
READ = {"guest": "200 404 404", "user": "200 404 404", "owner": "200", "other": "200 404 404", "admin": "200"}
OWNER_WRITE = {"guest": "401", "user": "403", "owner": "{ok}", "other": "403 404 404", "admin": "{ok}"}


def expect(table: dict, ok: int = 200) -> dict[str, tuple[int, ...]]:
    return {a: row(table[a].format(ok=ok)) for a in ACTORS}


GALLERY_MATRIX = [
    ("GET", "/api/galleries/{id}", None, expect(READ)),
    ("GET", "/api/galleries/{id}/entries", None, expect(READ)),
    ("PATCH", "/api/galleries/{id}", {"description": "edited"}, expect(OWNER_WRITE)),
    ("POST", "/api/galleries/{id}/entries", "image", expect(OWNER_WRITE, 200)),  # a per-item batch report
    ("DELETE", "/api/galleries/{id}", None, expect(OWNER_WRITE, 204)),
]


@pytest.fixture(scope="module")
def actors(make_user, admin):
    return {"guest": None, "user": make_user(), "owner": make_user("CURATOR"), "other": make_user("CURATOR"),
            "admin": admin}


def _gallery(actors, state: str) -> str:
    from chalicelib import container

    owner = actors["owner"]
    model = seed_model(owner["id"], title="Gallery matrix model")
    r = owner["api"].post("/api/galleries", json={"title": f"Matrix gallery {state}",
                                                  "visibility": "private" if state == "private" else "public"})
    assert r.status_code == 201, r.text
    gallery_id = r.json()["data"]["id"]
    r = owner["api"].post(f"/api/galleries/{gallery_id}/entries", json={"items": [{"kind": "model", "id": model.id}]})
    assert r.status_code in (200, 201), r.text
    if state == "held":
        assert container.moderation_service().auto_flag("model", model.id, ["matrix screening"])
    return gallery_id


@pytest.mark.parametrize("method, path, body, expected", GALLERY_MATRIX, ids=[f"{m} {p}" for m, p, _, _ in GALLERY_MATRIX])
def test_gallery_matrix(method, path, body, expected, actors, api):
    failures = []
    for actor in ACTORS:
        for state, code in zip(STATES, expected[actor], strict=True):
            gallery_id = _gallery(actors, state)
            client = api if actor == "guest" else actors[actor]["api"]
            payload = body
            if body == "image":
                image = seed_image(actors["owner"]["id"], title="Entry image")
                payload = {"items": [{"kind": "image", "id": image.id}]}
            kwargs = {"json": payload} if payload is not None else {}
            response = getattr(client, method.lower())(path.format(id=gallery_id), **kwargs)
            if response.status_code != code:
                failures.append(f"{actor:6s} {state:8s} expected {code} got {response.status_code}: "
                                f"{response.text[:160]}")
    assert not failures, f"{method} {path}\n" + "\n".join(failures)
