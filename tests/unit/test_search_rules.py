"""Pure rules of the search index: words, documents, query plans, audiences and sort keys."""
from __future__ import annotations

import random

import pytest

from chalicelib.errors import Forbidden, ItemsRejected, ValidationError
from chalicelib.models import Gallery, ModelAsset, Role, User
from chalicelib.repositories.search_index import sort_keys
from chalicelib.services.search_service import (
    MAX_TERMS,
    SearchQuery,
    audiences_for,
    build_doc,
    matches,
    normalize_query,
    plan,
)
from chalicelib.services.text import facet_value, fold, tag_slug, words


def _user(role=Role.USER, adult=False, uid="u1"):
    return User(uid, "e@x", "Émile Zola", role, "h", 0, 0, show_adult=adult)


def _model(**kw):
    values = dict(id="m1", owner_id="o1", title="Crimson Dragon", status="ready", created_at=1_700_000_000.5,
                  updated_at=0, visibility="public", tags=["Blue Hair"], trigger_words=["drgnstyle"],
                  base_model="SDXL 1.0", description="painted by hand")
    values.update(kw)
    return ModelAsset(**values)


def test_words_fold_case_accents_and_punctuation():
    assert words("Émile's  CAFÉ—crème_brûlée 2.0") == ["emile", "s", "cafe", "creme", "brulee", "2", "0"]
    assert fold("Straße") == "strasse"
    assert tag_slug("  Blue   Hair ") == "blue-hair" and tag_slug("!!!") == ""
    assert facet_value(True) == "true" and facet_value(3.0) == "3" and facet_value(2.5) == "2.5"
    assert facet_value("Ünïcode Value") == "unicode value"


def test_document_terms_and_audiences():
    doc = build_doc("model", _model(), _user(uid="o1"))
    assert doc.audience == "s"
    assert {"A", "O:o1", "K:lora", "B:sdxl 1 0", "G:blue-hair"} <= set(doc.terms)
    for word in ("crimson", "dragon", "drgnstyle", "blue", "hair", "emile", "zola", "sdxl", "painted"):
        assert f" {word} " in doc.words
    assert build_doc("model", _model(is_adult=True), None).audience == "x"
    for hidden in (dict(visibility="private"), dict(moderation="flagged"), dict(status="processing")):
        assert build_doc("model", _model(**hidden), None).audience == "h"
    gallery = Gallery("g1", "o1", "Trip", 0, 0, visibility="public")
    assert build_doc("gallery", gallery, None).audience == "s"


def test_every_searchable_word_has_its_term_within_the_budget():
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(400)]
    for _ in range(50):
        model = _model(description=" ".join(rng.choices(vocabulary, k=200)), tags=rng.sample(vocabulary, 15))
        doc = build_doc("model", model, None)
        assert len(doc.terms) <= MAX_TERMS
        for word in doc.words.split():
            assert "W:" + word[:3] in doc.terms, word


def test_plan_uses_the_last_word_as_a_prefix():
    p = plan(normalize_query(SearchQuery(kind="model", text="Crimson DR", tags=["Blue Hair"], curator_id="o1")))
    assert ("words", " crimson ") in p.conditions and ("words", " dr") in p.conditions
    assert "W:cri" in p.terms and not any(t.startswith("W:dr") for t in p.terms)  # too short to drive
    assert "G:blue-hair" in p.terms and "O:o1" in p.terms
    assert plan(normalize_query(SearchQuery(kind="model"))).terms == ["A"]


@pytest.mark.parametrize("text,expected", [("crimson dra", True), ("dragon", True), ("drag", True), ("dragons", False),
                                           ("emile", True), ("hand painted", True), ("crim dragon", False)])
def test_matches_text(text, expected):
    doc = build_doc("model", _model(), _user(uid="o1"))
    assert matches(doc, normalize_query(SearchQuery(kind="model", text=text)), ["s"]) is expected


def test_audiences_by_viewer():
    q = SearchQuery(kind="model")
    assert audiences_for(None, q) == ["s"]
    assert audiences_for(_user(), q) == ["s"]
    assert audiences_for(_user(adult=True), q) == ["s", "x"]
    assert audiences_for(_user(Role.ADMIN), q) == ["s", "x", "h"]
    assert audiences_for(_user(uid="o1"), SearchQuery(kind="model", curator_id="o1")) == ["s", "x", "h"]
    assert audiences_for(_user(uid="o1"), SearchQuery(kind="model", curator_id="o1", visibility="private")) == ["h"]
    with pytest.raises(Forbidden):
        audiences_for(_user(), SearchQuery(kind="model", visibility="private"))
    with pytest.raises(Forbidden):
        audiences_for(None, SearchQuery(kind="model", curator_id="o1", visibility="private"))
    assert audiences_for(_user(adult=True), SearchQuery(kind="model", nsfw="only")) == ["x"]
    assert audiences_for(_user(adult=True), SearchQuery(kind="model", nsfw="exclude")) == ["s"]
    assert audiences_for(_user(Role.ADMIN), SearchQuery(kind="model", nsfw="exclude")) == ["s"]
    with pytest.raises(ValidationError):
        audiences_for(_user(Role.ADMIN), SearchQuery(kind="model", nsfw="only", visibility="private"))
    with pytest.raises(Forbidden):
        audiences_for(_user(), SearchQuery(kind="model", nsfw="only"))
    with pytest.raises(Forbidden):
        audiences_for(None, SearchQuery(kind="model", nsfw="only"))


def test_query_normalisation_rejects_what_the_kind_cannot_sort_by():
    with pytest.raises(ValidationError):
        normalize_query(SearchQuery(kind="gallery", sort="downloads"))
    with pytest.raises(ValidationError):
        normalize_query(SearchQuery(kind="model", tags=["***"]))
    assert normalize_query(SearchQuery(kind="model", tags=["B", "a", "b"])).tags == ["a", "b"]


def test_sort_keys_order_like_people_expect():
    def name_key(title, asset_id="id"):
        return sort_keys(build_doc("model", _model(id=asset_id, title=title), None))["s_name"]

    titles = ["Castle 10", "Castle 2", "castle", "Castle Gate", "Émile", "Zebra", "2 castles"]
    ordered = sorted(titles, key=name_key)
    assert ordered == ["2 castles", "castle", "Castle 2", "Castle 10", "Castle Gate", "Émile", "Zebra"]
    low = sort_keys(build_doc("model", _model(download_count=9), None))["s_downloads"]
    high = sort_keys(build_doc("model", _model(download_count=10), None))["s_downloads"]
    assert high > low  # zero-padded counts compare as numbers


def test_bulk_rejections_report_the_most_telling_status():
    assert ItemsRejected("x", [{"code": "NOT_FOUND"}, {"code": "FORBIDDEN"}]).status == 403
    assert ItemsRejected("x", [{"code": "NOT_FOUND"}, {"code": "VALIDATION_ERROR"}]).status == 404
    assert ItemsRejected("x", [{"code": "VALIDATION_ERROR"}]).status == 400


def test_tag_pairs_or_the_many_tags_marker():
    few = build_doc("model", _model(tags=["b", "a", "c"]), None)
    assert {"GG:a+b", "GG:a+c", "GG:b+c"} <= set(few.terms) and "GX" not in few.terms
    many = build_doc("model", _model(tags=[f"t{n}" for n in range(7)]), None)
    assert "GX" in many.terms and not any(t.startswith("GG:") for t in many.terms)
    p = plan(normalize_query(SearchQuery(kind="model", tags=["z", "a"])))
    assert ("GG:a+z", "GX") in p.drivers and ("G:a",) in p.drivers
