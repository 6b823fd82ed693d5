"""Server-side search over the HTTP API, checked against a brute-force oracle over the same tables."""
from __future__ import annotations

import random
import re
import time

import pytest

from chalicelib import container
from chalicelib.services.search_service import SearchQuery
from chalicelib.services.text import fold, tag_slug, words
from tests.integration.catalog_seed import seed_image, seed_model
from tests.integration.conftest import assert_error

VOCAB = ["dragon", "drake", "castle", "crimson", "portrait", "pixel", "watercolor", "warrior", "émile", "nebula"]
TAGS = ["fantasy", "blue-hair", "sci-fi", "anime", "landscape"]
BASES = ["SDXL 1.0", "SD 1.5", "Pony"]


def _all_pages(api, path, params, limit=50):
    items, cursor = [], None
    for _ in range(limit):
        r = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["data"]
        cursor = body["meta"]["cursor"]
        if not cursor:
            return items
    raise AssertionError("pagination did not end")


# -- the oracle: the query's meaning over every model record, written without the index -----------
def _searchable_words(model, owner_name) -> set[str]:
    texts = [model.title, model.description, owner_name, *model.trigger_words, model.base_model or "",
             *[t.replace("-", " ") for t in model.tags]]
    return {w for t in texts for w in words(t)}


def _oracle(viewer, q="", tags=(), base=None, kind=None, curator=None, sort="newest"):
    users = {}
    out = []
    for m in container.catalog().models.scan_all():
        admin = viewer is not None and viewer.role.name == "ADMIN"
        own = viewer is not None and m.owner_id == viewer.id and curator == viewer.id
        listable = m.status == "ready" and m.visibility == "public" and m.moderation == "active"
        if not (admin or own):
            if not listable or (m.is_adult and not (viewer and viewer.show_adult)):
                continue
        if users.get(m.owner_id) is None:
            users[m.owner_id] = container.users_repo().get(m.owner_id)
        owner = users[m.owner_id]
        bag = _searchable_words(m, owner.display_name if owner else "")
        query_words = words(q)
        if query_words:
            if not all(w in bag for w in query_words[:-1]):
                continue
            if not any(b.startswith(query_words[-1]) for b in bag):
                continue
        if tags and not set(tags) <= {tag_slug(t) for t in m.tags}:
            continue
        if base and fold(m.base_model or "") != fold(base):
            continue
        if kind and m.kind != kind:
            continue
        if curator and m.owner_id != curator:
            continue
        out.append(m)
    key = {"newest": lambda m: (int(m.created_at * 1000), m.id),
           "downloads": lambda m: (m.download_count, int(m.created_at * 1000), m.id),
           "liked": lambda m: (m.like_count, int(m.created_at * 1000), m.id)}
    if sort == "name":
        return sorted(out, key=lambda m: (_natural(m.title), m.id))
    return sorted(out, key=key[sort], reverse=True)


def _natural(title: str) -> str:
    return re.sub(r"\d+", lambda g: g.group().zfill(10), "!".join(words(title)))


@pytest.fixture(scope="module")
def corpus(make_user):
    rng = random.Random(20261121)
    curators = [make_user("CURATOR") for _ in range(3)]
    models = []
    for n in range(45):
        owner = rng.choice(curators)
        title = " ".join(rng.sample(VOCAB, 2)) + f" {n}"
        models.append(seed_model(
            owner["id"], title=title.title(), description=rng.choice(["", "A " + rng.choice(VOCAB) + " study"]),
            trigger_words=[rng.choice(VOCAB) + "style"], tags=rng.sample(TAGS, rng.randint(0, 3)),
            base_model=rng.choice(BASES), kind=rng.choice(["lora", "lora", "checkpoint"]),
            visibility=rng.choice(["public"] * 4 + ["private"]), is_adult=rng.random() < 0.25,
            download_count=rng.randint(0, 9), like_count=rng.randint(0, 4)))
    return {"curators": curators, "models": models}


QUERIES = [
    {}, {"q": "dragon"}, {"q": "dra"}, {"q": "DRAGON cas"}, {"q": "emile"}, {"q": "Émi"}, {"q": "watercolorstyle"},
    {"tags": "fantasy"}, {"tags": "fantasy,blue-hair"}, {"tags": "Blue Hair"}, {"baseModel": "sdxl 1.0"},
    {"type": "checkpoint"}, {"q": "nebula", "tags": "anime"}, {"sort": "downloads"}, {"sort": "liked", "tags": "sci-fi"},
    {"sort": "name"}, {"q": "por", "sort": "name"}, {"q": "pixel warrior"}, {"q": "zzzunmatched"}, {"q": "d"},
]


def _oracle_args(params):
    tags = [tag_slug(t) for t in params.get("tags", "").split(",") if t]
    return dict(q=params.get("q", ""), tags=tags, base=params.get("baseModel"), kind=params.get("type"),
                curator=params.get("curator"), sort=params.get("sort", "newest"))


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all")
def test_guest_results_match_the_oracle(api, corpus, params):
    _settled(lambda: ([m["id"] for m in _all_pages(api, "/api/models", {**params, "pageSize": 7})],
                      [m.id for m in _oracle(None, **_oracle_args(params))]))


def _settled(compare, attempts: int = 20):
    """Earlier tests' uploads may still be settling in the background (the pollers run in this
    process), so a comparison is repeated until the index and the tables agree."""
    for _ in range(attempts):
        got, expected = compare()
        if got == expected:
            return
        time.sleep(0.5)
    assert got == expected


@pytest.mark.parametrize("role", ["USER", "ADMIN"])
def test_member_and_admin_results_match_the_oracle(make_user, corpus, role):
    member = make_user(role)
    user = container.users_repo().get(member["id"])
    for show_adult in (False, True):
        user.show_adult = show_adult
        container.users_repo().save(user)
        for params in ({}, {"q": "dr"}, {"tags": "fantasy", "sort": "downloads"}):
            _settled(lambda p=params: ([m["id"] for m in _all_pages(member["api"], "/api/models", {**p, "pageSize": 10})],
                                       [m.id for m in _oracle(user, **_oracle_args(p))]))


def test_owner_sees_own_private_models_only_through_the_curator_filter(corpus, api):
    owner = corpus["curators"][0]
    mine = [m for m in corpus["models"] if m.owner_id == owner["id"]]
    private = [m.id for m in mine if m.visibility == "private"]
    assert private, "seed should give the first curator a private model"
    own_list = {m["id"] for m in _all_pages(owner["api"], "/api/models", {"curator": owner["id"]})}
    assert set(private) <= own_list
    assert not set(private) & {m["id"] for m in _all_pages(owner["api"], "/api/models", {})}
    assert not set(private) & {m["id"] for m in _all_pages(api, "/api/models", {"curator": owner["id"]})}
    only_private = _all_pages(owner["api"], "/api/models", {"curator": owner["id"], "visibility": "private"})
    assert {m["id"] for m in only_private} == set(private)
    other = corpus["curators"][1]
    assert_error(other["api"].get("/api/models", params={"curator": owner["id"], "visibility": "private"}),
                 403, "FORBIDDEN")
    assert_error(api.get("/api/models", params={"visibility": "private"}), 403, "FORBIDDEN")


def test_pages_have_no_duplicates_or_gaps_while_items_change(api, corpus, make_user):
    owner = make_user("CURATOR")
    stable = [seed_model(owner["id"], title=f"Pagination subject {n}", tags=["pagetest"]) for n in range(20)]
    seen, cursor, deleted, inserted = [], None, [], []
    for step in range(30):
        r = api.get("/api/models", params={"tags": "pagetest", "pageSize": 3, **({"cursor": cursor} if cursor else {})})
        body = r.json()
        seen += [m["id"] for m in body["data"]]
        cursor = body["meta"]["cursor"]
        if not cursor:
            break
        # Between pages: a newer model appears and a not-yet-seen one is deleted.
        inserted.append(seed_model(owner["id"], title=f"Inserted {step}", tags=["pagetest"]).id)
        victim = next((m for m in reversed(stable) if m.id not in seen and m.id not in deleted), None)
        if victim and step % 2:
            owner["api"].delete(f"/api/models/{victim.id}")
            deleted.append(victim.id)
    assert len(seen) == len(set(seen)), "duplicates across pages"
    survivors = [m.id for m in stable if m.id not in deleted]
    assert set(survivors) <= set(seen), "a model present throughout was skipped"
    assert all(i not in seen for i in inserted), "newer inserts appear on page one of a fresh query, not mid-way"


def test_cursor_is_bound_to_its_query(api, corpus):
    r = api.get("/api/models", params={"pageSize": 2})
    cursor = r.json()["meta"]["cursor"]
    assert cursor
    assert api.get("/api/models", params={"pageSize": 5, "cursor": cursor}).status_code == 200  # page size may change
    assert_error(api.get("/api/models", params={"q": "dragon", "cursor": cursor}), 400, "VALIDATION_ERROR", "cursor")
    assert_error(api.get("/api/models", params={"sort": "name", "cursor": cursor}), 400, "VALIDATION_ERROR", "cursor")
    assert_error(api.get("/api/images", params={"cursor": cursor}), 400, "VALIDATION_ERROR", "cursor")
    for junk in ("%%%", "e30", "eyJrIjoxfQ", "A" * 2001):
        r = api.get("/api/models", params={"cursor": junk})
        assert r.status_code == 400, (junk, r.text)


@pytest.mark.parametrize("params,field", [
    ({"pageSize": "0"}, "pageSize"), ({"pageSize": "101"}, "pageSize"), ({"pageSize": "ten"}, "pageSize"),
    ({"sort": "random"}, "sort"), ({"type": "vae"}, "type"), ({"visibility": "secret"}, "visibility"),
    ({"q": "x" * 201}, "q"), ({"tags": ",".join(f"t{n}" for n in range(11))}, "tags"), ({"tags": ","}, "tags"),
    ({"curator": "../../etc"}, "curator"), ({"baseModel": "b" * 101}, "baseModel"), ({"unknown": "1"}, "unknown"),
    ({"metadata.Bad Slug": "x"}, None),
])
def test_hostile_query_parameters_are_rejected(api, params, field):
    assert_error(api.get("/api/models", params=params), 400, "VALIDATION_ERROR", field)


def test_images_search_lists_only_visible_explorer_images(api, make_user):
    owner = make_user("CURATOR")
    shown = seed_image(owner["id"], title="Nebula over Émile's castle", tags=["space"], meta={"prompt": "glowing nebula"})
    seed_image(owner["id"], title="Nebula private", visibility="private")
    seed_image(owner["id"], title="Nebula adult", is_adult=True)
    seed_image(owner["id"], title="Nebula avatar", purpose="avatar")
    found = [i["id"] for i in _all_pages(api, "/api/images", {"q": "nebula", "curator": owner["id"]})]
    assert found == [shown.id]
    assert [i["id"] for i in _all_pages(api, "/api/images", {"q": "glowing", "curator": owner["id"]})] == [shown.id]
    assert [i["id"] for i in _all_pages(api, "/api/images", {"q": "emile cas", "curator": owner["id"]})] == [shown.id]
    mine = _all_pages(owner["api"], "/api/images", {"curator": owner["id"]})
    assert len(mine) == 3  # the avatar is not an explorer image


def test_index_follows_edits_and_deletes(api, make_user):
    owner = make_user("CURATOR")
    model = seed_model(owner["id"], title="Quasar lantern", tags=["glow"])
    assert [m["id"] for m in _all_pages(api, "/api/models", {"q": "quasar"})] == [model.id]
    r = owner["api"].patch(f"/api/models/{model.id}", json={"title": "Pulsar lantern", "tags": ["Night Sky"]})
    assert r.status_code == 200, r.text
    assert _all_pages(api, "/api/models", {"q": "quasar"}) == []
    assert [m["id"] for m in _all_pages(api, "/api/models", {"q": "pulsar", "tags": "night-sky"})] == [model.id]
    assert owner["api"].patch(f"/api/models/{model.id}", json={"visibility": "private"}).status_code == 200
    assert _all_pages(api, "/api/models", {"q": "pulsar"}) == []
    assert owner["api"].delete(f"/api/models/{model.id}").status_code == 204
    assert _all_pages(owner["api"], "/api/models", {"q": "pulsar", "curator": owner["id"]}) == []
    assert container.search_index().indexed_terms("model", model.id) is None


def test_tag_counters_follow_the_index(make_user):
    owner = make_user("CURATOR")
    tag = "counter-" + owner["id"][:8]
    models = [seed_model(owner["id"], title="Counted", tags=[tag]) for _ in range(3)]
    seed_model(owner["id"], title="Counted private", tags=[tag], visibility="private")
    counts = dict(container.search_indexer().facet_counts("model", None, f"G:{tag}"))
    assert counts == {"": 3}
    owner["api"].delete(f"/api/models/{models[0].id}")
    assert dict(container.search_indexer().facet_counts("model", None, f"G:{tag}")) == {"": 2}
    container.search_indexer().refresh("model", models[1].id)  # idempotent: counted once
    assert dict(container.search_indexer().facet_counts("model", None, f"G:{tag}")) == {"": 2}


def test_downloads_reach_the_popularity_order_through_one_queued_refresh(make_user):
    from tests.integration.conftest import wait_for

    owner = make_user("CURATOR")
    older = seed_model(owner["id"], title="Popular later")
    seed_model(owner["id"], title="Newer")
    api = owner["api"]
    for _ in range(3):
        r = api.get(f"/api/models/{older.id}/versions/{older.primary_version_id}/download", allow_redirects=False)
        assert r.status_code == 302
    assert container.catalog().models.get(older.id).download_count == 3

    def first_by_downloads():
        data = api.get("/api/models", params={"curator": owner["id"], "sort": "downloads"}).json()["data"]
        return data and data[0]["id"] == older.id and data[0]["downloads"] == 3

    wait_for(first_by_downloads, timeout=30)


def test_concurrent_refreshes_of_one_asset_converge(make_user):
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.repositories.search_index import PostingItem, sort_keys
    from chalicelib.services.search_service import build_doc

    owner = make_user("CURATOR")
    prefix = "conc" + owner["id"][:6]
    model = seed_model(owner["id"], title="Contended", tags=[f"{prefix}-0"])
    repo = container.catalog().models

    def churn(n):
        for step in range(3):
            repo.update(model.id, tags=[f"{prefix}-{(n + step) % 5}"])
            container.search_indexer().refresh("model", model.id)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(churn, range(4)))
    container.search_indexer().refresh("model", model.id)
    stored = repo.get(model.id)
    doc = build_doc("model", stored, container.users_repo().get(owner["id"]))
    audience, terms = container.search_index().indexed_terms("model", model.id)
    assert (audience, terms) == (doc.audience, sorted(doc.terms))
    sk = sort_keys(doc)["sk"]
    for term in terms:
        assert PostingItem.count(f"P#model#{audience}#{term}", PostingItem.sk == sk) == 1, term
    counts = dict(container.search_indexer().facet_counts("model", None, f"G:{prefix}"))
    assert counts == {stored.tags[0][len(prefix):]: 1}


def test_curator_rename_reaches_their_assets_words(make_user, api):
    from tests.integration.conftest import wait_for

    owner = make_user("CURATOR")
    model = seed_model(owner["id"], title="Signature piece")
    new_name = "Zephyrine " + owner["id"][:6]
    assert owner["api"].patch("/api/auth/me", json={"displayName": new_name}).status_code == 200
    wait_for(lambda: [m["id"] for m in api.get("/api/models", params={"q": new_name}).json()["data"]] == [model.id],
             timeout=30)


def test_two_tag_filters_find_assets_with_few_and_with_many_tags(make_user, api):
    owner = make_user("CURATOR")
    a, b = "pair-a-" + owner["id"][:6], "pair-b-" + owner["id"][:6]
    few = seed_model(owner["id"], title="Few tags", tags=[a, b])
    many = seed_model(owner["id"], title="Many tags", tags=[a, b] + [f"extra{n}" for n in range(6)])
    seed_model(owner["id"], title="Only one", tags=[a])
    r = api.get("/api/models", params={"tags": f"{a},{b}"})
    assert [m["id"] for m in r.json()["data"]] == [many.id, few.id]
    for _ in range(3):  # make the pair the cheapest way in: G:a and G:b now outnumber GG:a+b plus GX
        seed_model(owner["id"], title="Only a", tags=[a])
        seed_model(owner["id"], title="Only b", tags=[b])
    page = container.search_service().search(None, SearchQuery(kind="model", tags=[a, b]), None, 24)
    assert page.stats["driver"] == f"GG:{a}+{b}|GX" or page.stats["driverCount"] <= 4
    assert [m.id for m in page.items] == [many.id, few.id]


def test_nsfw_filter_only_where_allowed(make_user, api):
    owner = make_user("CURATOR")
    safe = seed_model(owner["id"], title="Nsfwfilter safe")
    adult = seed_model(owner["id"], title="Nsfwfilter adult", is_adult=True)
    member = make_user("USER")
    assert_error(api.get("/api/models", params={"q": "nsfwfilter", "nsfw": "only"}), 403, "FORBIDDEN")
    assert_error(member["api"].get("/api/models", params={"q": "nsfwfilter", "nsfw": "only"}), 403, "FORBIDDEN")
    assert_error(api.get("/api/models", params={"nsfw": "maybe"}), 400, "VALIDATION_ERROR", "nsfw")
    user = container.users_repo().get(member["id"])
    user.show_adult = True
    container.users_repo().save(user)
    ids = lambda **p: [m["id"] for m in member["api"].get("/api/models", params={"q": "nsfwfilter", **p}).json()["data"]]  # noqa: E731
    assert ids() == [adult.id, safe.id]
    assert ids(nsfw="only") == [adult.id]
    assert ids(nsfw="exclude") == [safe.id]


def test_reindex_tasks_are_idempotent_and_junk_is_dropped(make_user, runtime, api):
    import json

    import boto3

    from tests.integration.test_ingest import _drain

    owner = make_user("CURATOR")
    model = seed_model(owner["id"], title="Requeued lantern")
    container.catalog().models.update(model.id, title="Requeued beacon")  # changed behind the index's back
    sqs, url = boto3.client("sqs"), runtime.env["VS_QUEUE_INGEST_URL"]
    task = {"task": "reindex", "kind": "model", "id": model.id}
    for body in (task, task, {"task": "reindex", "kind": "vault", "id": model.id}, {"task": "reindex", "kind": "model"},
                 {"task": "reindex", "kind": "model", "id": "x" * 65}, {"task": "reindex-owner", "ownerId": 7}, task):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    _drain(runtime)
    assert [m["id"] for m in api.get("/api/models", params={"q": "requeued beacon"}).json()["data"]] == [model.id]
    assert api.get("/api/models", params={"q": "requeued lantern"}).json()["data"] == []
    counts = dict(container.search_indexer().facet_counts("model", None, f"O:{owner['id']}"))
    assert counts == {"": 1}  # three deliveries of one task filed it once
