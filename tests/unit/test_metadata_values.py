"""Metadata field definitions and value validation: every type, every boundary, hostile input.

The service runs against an in-memory repository with the same contract as
``repositories/metadata.py`` (registry version, slug claims retired on delete).
"""
import math
import random
import re
import time
from dataclasses import replace

import pytest

from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.services.metadata_service import MAX_NUMBER, MetadataService, slugify
from chalicelib.services.safe_pattern import MAX_STATES, SafePattern, UnsafePattern
from chalicelib.services.text import facet_value


class FakeFieldRepo:
    def __init__(self):
        self.fields = {}
        self.claims = {}  # slug -> (field id, type, retired)
        self.version = 0

    def registry(self):
        return self.version, set(self.fields)

    def get_many(self, ids):
        return [self.fields[i] for i in ids]

    def get(self, field_id):
        return self.fields.get(field_id)

    def create(self, record):
        claim = self.claims.get(record.slug)
        if claim and not (claim[2] and claim[1] == record.type):
            return False, claim[1] if claim[2] else None
        self.claims[record.slug] = (record.id, record.type, False)
        self.fields[record.id] = record
        self.version += 1
        return True, None

    def replace(self, record, expected_updated_at):
        current = self.fields.get(record.id)
        if current is None or current.updated_at != expected_updated_at:
            return False
        self.fields[record.id] = record
        self.version += 1
        return True

    def remove(self, record):
        if self.fields.pop(record.id, None) is None:
            return False
        self.claims[record.slug] = (record.id, record.type, True)
        self.version += 1
        return True


class Facets:
    def __init__(self):
        self.terms: dict[str, int] = {}
        self.calls = []

    def __call__(self, kind, viewer, prefix, limit=200):
        self.calls.append((kind, viewer, prefix, limit))
        ranked = sorted(((k[len(prefix):], n) for k, n in self.terms.items() if k.startswith(prefix)),
                        key=lambda kv: (-kv[1], kv[0]))
        return ranked[:limit]


@pytest.fixture
def facets():
    return Facets()


@pytest.fixture
def service(facets):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    s.create_field("Artist", "text", sort_order=3)
    s.create_field("Steps", "number", sort_order=1)
    s.create_field("Tested", "boolean")
    s.create_field("Released", "date")
    s.create_field("Homepage", "url")
    s.create_field("Scale", "enum", config={"enumOptions": ["1:12", "1:24", "Tiny"]})
    s.create_field("Colors", "multi_enum", config={"enumOptions": ["Red", "Green", "Blue"]})
    s.create_field("Code", "text", config={"validationPattern": r"[A-Z]{2}-\d{3}"}, filterable=False)
    return s


def errors_of(exc_info) -> dict[str, str]:
    return {d["field"]: d["message"] for d in exc_info.value.details}


def bad(service, slug, value) -> str:
    with pytest.raises(ValidationError) as e:
        service.validate_values({slug: value})
    assert e.value.field == slug
    return e.value.message


# -- every type, valid values --------------------------------------------------------------
def test_valid_values_are_normalised(service):
    out = service.validate_values({
        "artist": "  Maker Name ", "steps": 30.0, "tested": False, "released": "2024-02-29",
        "homepage": " https://example.com/a?b=c#d ", "scale": "tiny", "colors": ["Blue", "red"], "code": "AB-123",
    })
    assert out == {"artist": "Maker Name", "steps": 30, "tested": False, "released": "2024-02-29",
                   "homepage": "https://example.com/a?b=c#d", "scale": "Tiny", "colors": ["Red", "Blue"],
                   "code": "AB-123"}
    assert isinstance(out["steps"], int)


def test_none_means_remove(service):
    assert service.validate_values({"artist": None, "colors": None}) == {"artist": None, "colors": None}


# -- text --------------------------------------------------------------------------------------
def test_text_boundaries(service):
    assert service.validate_values({"artist": "x" * 1000})["artist"] == "x" * 1000
    assert "1000" in bad(service, "artist", "x" * 1001)
    assert "empty" in bad(service, "artist", "   ")
    bad(service, "artist", "nul\x00byte")
    bad(service, "artist", "bell\x07")
    assert service.validate_values({"artist": "line\nbreak\ttab"})["artist"] == "line\nbreak\ttab"
    for hostile in (12, True, ["a"], {"$gt": ""}, {"nested": {"deep": 1}}):
        assert bad(service, "artist", hostile) == "Expected a string"


def test_text_huge_value_is_rejected_cheaply(service):
    started = time.monotonic()
    bad(service, "code", "A" * 200_000)
    assert time.monotonic() - started < 0.5


def test_validation_pattern(service):
    assert service.validate_values({"code": "XY-999"})["code"] == "XY-999"
    for value in ("xy-999", "XY-99", "XY-9999", "XY-999\nXY-999", "prefix XY-999"):
        assert "pattern" in bad(service, "code", value)


# -- numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value,expected", [(0, 0), (-5, -5), (1.5, 1.5), (2.0, 2), (MAX_NUMBER, MAX_NUMBER),
                                            (-MAX_NUMBER, -MAX_NUMBER), (1e-300, 1e-300)])
def test_numbers(service, value, expected):
    out = service.validate_values({"steps": value})["steps"]
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, False, "12", "1e3", [1],
                                   {"n": 1}, MAX_NUMBER + 1, 10**400, -(10**400), 1e300])
def test_hostile_numbers(service, value):
    bad(service, "steps", value)


# -- booleans ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 0, "true", "false", "yes", [], {}, 1.0])
def test_booleans_are_strict(service, value):
    assert bad(service, "tested", value) == "Expected true or false"


def test_boolean_values(service):
    assert service.validate_values({"tested": True}) == {"tested": True}


# -- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["2024-02-29", "0001-01-01", "9999-12-31", "2023-12-31"])
def test_dates(service, value):
    assert service.validate_values({"released": value})["released"] == value


@pytest.mark.parametrize("value", ["2023-02-29", "2023-02-30", "2023-13-01", "2023-00-10", "0000-01-01", "2023-1-5",
                                   "2023-01-05T00:00:00", "2023-01-05Z", " 2023-01-05", "20230105", "2023/01/05",
                                   "２０２３-０１-０５", 20230105, ["2023-01-05"]])
def test_bad_dates(service, value):
    bad(service, "released", value)


# -- urls --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["http://example.com", "HTTPS://Example.COM/path?q=1", "https://x.io:8443/a",
                                   "https://[::1]/", "https://xn--bcher-kva.example/"])
def test_urls(service, value):
    assert service.validate_values({"homepage": value})["homepage"] == value


@pytest.mark.parametrize("value", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox", "file:///etc/passwd", "ftp://example.com",
    "//example.com/x", "https://", "https:///path", "http://user:pw@example.com/", "https://exa mple.com",
    "https://example.com:99999/", "https://example.com/\x00", "example.com", "",
    "https://example.com/" + "a" * 2000, 42, ["https://example.com"],
])
def test_hostile_urls(service, value):
    bad(service, "homepage", value)


def test_url_length_boundary(service):
    url = "https://example.com/" + "a" * (2000 - len("https://example.com/"))
    assert service.validate_values({"homepage": url})["homepage"] == url


# -- enums -------------------------------------------------------------------------------------
def test_enum(service):
    assert service.validate_values({"scale": "1:12"})["scale"] == "1:12"
    assert service.validate_values({"scale": "TINY"})["scale"] == "Tiny"
    for value in ("1:48", "", ["1:12"], 12, {"v": "1:12"}):
        bad(service, "scale", value)


def test_multi_enum(service):
    assert service.validate_values({"colors": ["Green"]})["colors"] == ["Green"]
    assert service.validate_values({"colors": ["blue", "Green", "RED"]})["colors"] == ["Red", "Green", "Blue"]
    assert "repeat" in bad(service, "colors", ["Red", "red"])
    assert "repeat" in bad(service, "colors", ["Red", "Red"])
    for value in ([], "Red", ["Purple"], [["Red"]], [{"v": "Red"}], [None], [1]):
        bad(service, "colors", value)


def test_multi_enum_size_limit(facets):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    options = [f"opt{i}" for i in range(60)]
    s.create_field("Many", "multi_enum", config={"enumOptions": options})
    assert len(s.validate_values({"many": options[:50]})["many"]) == 50
    bad(s, "many", options[:51])


# -- the whole object -------------------------------------------------------------------------
def test_unknown_fields_and_every_problem_reported(service):
    with pytest.raises(ValidationError) as e:
        service.validate_values({"nope": 1, "steps": "x", "tested": 1, "artist": "fine"})
    assert set(errors_of(e)) == {"nope", "steps", "tested"}
    assert errors_of(e)["nope"] == "Unknown metadata field"


@pytest.mark.parametrize("values", [["artist"], "artist=x", None, 5])
def test_values_must_be_an_object(service, values):
    with pytest.raises(ValidationError):
        service.validate_values(values)


def test_non_string_keys_are_unknown(service):
    with pytest.raises(ValidationError):
        service.validate_values({1: "x"})


# -- regex patterns ----------------------------------------------------------------------------
@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|a)*b", r"(.*a){20}", r"(\w+\s?)+$", r".*.*.*.*.*x", r"(a*)*b"])
def test_regex_bombs_run_in_linear_time(facets, pattern):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    s.create_field("Bomb", "text", config={"validationPattern": pattern})
    started = time.monotonic()
    for value in ("a" * 999 + "!", ("a " * 500).strip() + "!"):  # the inputs that make backtracking explode
        with pytest.raises(ValidationError):
            s.validate_values({"bomb": value})
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("pattern,reason", [
    ("(", "invalid"), ("a{2,1}", "invalid"), (r"(a)\1", "groupref"), (r"(?=a)a", "assert"), (r"(?<!a)b", "assert"),
    (r"a*+", "possessive"), (r"(?>a+)", "atomic"), (r"(?(1)a|b)", ""), ("x" * 201, "longer than 200"),
    (r"\d{1,100000}", "too complex"), (r"(\w{1,40}){1,40}", "too complex"),
])
def test_unsafe_or_invalid_patterns_rejected(facets, pattern, reason):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    with pytest.raises(ValidationError) as e:
        s.create_field("Code", "text", config={"validationPattern": pattern})
    assert e.value.field == "config.validationPattern"
    assert reason in e.value.message


def test_safe_pattern_agrees_with_re():
    patterns = [r"[A-Z][a-z]+(-[A-Z][a-z]+)*", r"(?i)ab[c-e]+", r"\d{3}-\d{4}", r"(ab|a)(bc|c)", r"colou?r",
                r"^a+\b.*$", r"(?m)^ab$\n^c$", r"[^\W\d_]+", r"\bfoo\b.*", r"x|", r"(?s)a.b", r"a.b", r"(?a)\w+",
                r"[\s\S]{0,3}", r"(?i)[^k]", r"(?i)K", r"^$", r"\B", r"a*?b??", r"\Aab\Z", r"[a-c]{2,3}|\d"]
    alphabet = "abcfoxkABK-_ \n09é\u212a."
    rng = random.Random(7)
    for pattern in patterns:
        ours, theirs = SafePattern(pattern), re.compile(pattern)
        for _ in range(1500):
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
            assert ours.fullmatch(value) == bool(theirs.fullmatch(value)), (pattern, value)


def test_safe_pattern_program_is_bounded():
    with pytest.raises(UnsafePattern):
        SafePattern(f"a{{{MAX_STATES + 1}}}")


# -- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("type,config,field", [
    ("enum", {}, "config.enumOptions"),
    ("enum", {"enumOptions": []}, "config.enumOptions"),
    ("multi_enum", {"enumOptions": "a,b"}, "config.enumOptions"),
    ("enum", {"enumOptions": [f"o{i}" for i in range(201)]}, "config.enumOptions"),
    ("enum", {"enumOptions": ["ok", "x" * 101]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["Style", "style"]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["1:12", "1-12"]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["a", "!!!"]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["a", " "]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["a", 3]}, "config.enumOptions.1"),
    ("enum", {"enumOptions": ["a", {"x": 1}]}, "config.enumOptions.1"),
    ("text", {"enumOptions": ["a"]}, "config.enumOptions"),
    ("number", {"validationPattern": "a"}, "config.validationPattern"),
    ("text", {"validationPattern": 5}, "config.validationPattern"),
    ("text", {"displayHint": "x" * 51}, "config.displayHint"),
    ("text", {"colour": "red"}, "config.colour"),
    ("text", ["enumOptions"], "config"),
])
def test_bad_configs(facets, type, config, field):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    with pytest.raises(ValidationError) as e:
        s.create_field("Field", type, config=config)
    assert field in errors_of(e)


def test_config_boundaries_accepted(facets):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    options = [f"option {i}" for i in range(200)]
    f = s.create_field("Big", "enum", config={"enumOptions": options, "displayHint": "h" * 50})
    assert f.config == {"enumOptions": options, "displayHint": "h" * 50}
    assert s.create_field("Long", "enum", config={"enumOptions": ["x" * 100]}).config["enumOptions"] == ["x" * 100]
    assert s.create_field("Pat", "text", config={"validationPattern": "a" * 200}).config["validationPattern"] == "a" * 200


# -- definitions -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,slug", [("Artist", "artist"), ("Base Resolution (px)", "base-resolution-px"),
                                       ("  Café   Ñandú ", "cafe-nandu"), ("A--B__C", "a-b-c"), ("x" * 100, "x" * 64)])
def test_slug_is_derived_from_the_name(name, slug):
    assert slugify(name) == slug


def test_names(facets):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    assert s.create_field("  Two   words ", "text").name == "Two words"
    assert s.create_field("n" * 100, "text").slug == "n" * 64
    for name in ("", "   ", "n" * 101, "!!!", "日本語"):
        with pytest.raises(ValidationError) as e:
            s.create_field(name, "text")
        assert e.value.field == "name"


def test_unknown_type_and_config_reported_together(facets):
    s = MetadataService(FakeFieldRepo(), facets, cache_seconds=0)
    with pytest.raises(ValidationError) as e:
        s.create_field("", "colour", config={"displayHint": "x" * 60})
    assert {"name", "type", "config.displayHint"} <= set(errors_of(e))


def test_slug_clash_is_a_conflict(service):
    with pytest.raises(Conflict):
        service.create_field("ARTIST!", "text")


def test_type_is_immutable_and_slug_fixed(service):
    steps = next(f for f in service.list_fields() if f.slug == "steps")
    with pytest.raises(ValidationError) as e:
        service.update_field(steps.id, {"type": "text"})
    assert e.value.field == "type"
    renamed = service.update_field(steps.id, {"type": "number", "name": "Sampling steps", "sort_order": 9})
    assert (renamed.name, renamed.slug, renamed.type, renamed.sort_order) == ("Sampling steps", "steps", "number", 9)
    with pytest.raises(NotFound):
        service.update_field("missing", {"name": "x"})


def test_config_update_is_checked_against_the_type(service):
    scale = next(f for f in service.list_fields() if f.slug == "scale")
    with pytest.raises(ValidationError):
        service.update_field(scale.id, {"config": None})
    with pytest.raises(ValidationError):
        service.update_field(scale.id, {"config": {"validationPattern": "a"}})


def test_deleted_field_values_are_hidden_and_slug_reserved_for_its_type(service):
    stored = {"steps": 20, "artist": "Maker"}
    steps = next(f for f in service.list_fields() if f.slug == "steps")
    service.delete_field(steps.id)
    with pytest.raises(NotFound):
        service.delete_field(steps.id)
    assert [v["fieldSlug"] for v in service.present_values(stored)] == ["artist"]
    with pytest.raises(ValidationError):
        service.validate_values({"steps": 3})
    # Re-using the slug with another type would re-interpret the stored numbers: refused.
    with pytest.raises(Conflict) as e:
        service.create_field("Steps", "enum", config={"enumOptions": ["few", "many"]})
    assert "number" in e.value.message
    # The same type may take it back; the stored values fit it.
    service.create_field("Steps", "number")
    assert [v["fieldSlug"] for v in service.present_values(stored)] == ["steps", "artist"]


def test_merge_drops_stale_values(service):
    scale = next(f for f in service.list_fields() if f.slug == "scale")
    current = {"scale": "1:24", "artist": "Maker", "gone": "x", "colors": ["Red"]}
    service.update_field(scale.id, {"config": {"enumOptions": ["1:12"]}})
    merged = service.merge_values(current, {"artist": None, "tested": True})
    assert merged == {"colors": ["Red"], "tested": True}


# -- presentation ------------------------------------------------------------------------------
def test_present_values_in_sort_order_with_display_values(service):
    values = {"artist": "Maker", "steps": 1.5, "tested": True, "colors": ["Red", "Blue"], "released": "2024-01-02",
              "scale": "not-an-option"}
    presented = service.present_values(values)
    # sortOrder 0 first (by name), then Steps (1), then Artist (3); the stale enum value is hidden.
    assert [p["fieldSlug"] for p in presented] == ["colors", "released", "tested", "steps", "artist"]
    by_slug = {p["fieldSlug"]: p for p in presented}
    assert by_slug["tested"]["displayValue"] == "Yes"
    assert by_slug["steps"] == {"fieldSlug": "steps", "fieldName": "Steps", "type": "number", "value": 1.5,
                                "displayValue": "1.5"}
    assert by_slug["colors"]["displayValue"] == "Red, Blue"
    assert service.present_values(None) == []


# -- filters -----------------------------------------------------------------------------------
def test_filter_terms_match_what_the_index_files(service):
    terms = service.filter_terms({"metadata.tested": "TRUE", "steps": "30.0", "metadata.released": "2024-02-29",
                                  "metadata.scale": "1:12", "metadata.colors": "blue", "metadata.artist": "Maker  NAME",
                                  "metadata.homepage": "https://Example.com/x"})
    assert terms == {"tested": "true", "steps": "30", "released": facet_value("2024-02-29"),
                     "scale": facet_value("1:12"), "colors": "blue", "artist": "maker name",
                     "homepage": facet_value("https://Example.com/x")}
    assert service.filter_terms({"steps": "1.50"}) == {"steps": facet_value(1.5)}


@pytest.mark.parametrize("key,value", [("metadata.tested", "yes"), ("metadata.steps", "nan"), ("metadata.steps", "1e400"),
                                       ("metadata.steps", "ten"), ("metadata.released", "2023-02-30"),
                                       ("metadata.scale", "1:48"), ("metadata.nope", "x"), ("metadata.code", "AB-123"),
                                       ("metadata.artist", "   "), ("metadata.artist", "!!!")])
def test_bad_filters(service, key, value):
    with pytest.raises(ValidationError) as e:
        service.filter_terms({key: value})
    assert e.value.field == "metadata." + key.removeprefix("metadata.")


# -- facets ------------------------------------------------------------------------------------
def test_field_values_map_terms_back_to_values(service, facets):
    facets.terms = {"F:scale=1 12": 4, "F:scale=gone": 9, "F:steps=30": 2, "F:steps=1.5": 2, "F:released=2024 02 29": 1,
                    "F:tested=true": 3, "F:tested=false": 1, "F:artist=maker name": 5}
    assert service.field_values("scale", None) == [{"value": "1:12", "modelCount": 4}]
    assert service.field_values("steps", None) == [{"value": 1.5, "modelCount": 2}, {"value": 30, "modelCount": 2}]
    assert service.field_values("released", None) == [{"value": "2024-02-29", "modelCount": 1}]
    assert service.field_values("tested", None, limit=1) == [{"value": True, "modelCount": 3}]
    assert service.field_values("artist", None) == [{"value": "maker name", "modelCount": 5}]
    assert facets.calls[0][2] == "F:scale="
    with pytest.raises(NotFound):
        service.field_values("nope", None)


def test_definitions_are_cached_by_registry_version(facets):
    repo = FakeFieldRepo()
    s = MetadataService(repo, facets, cache_seconds=0)
    s.create_field("Artist", "text")
    reads = []
    original = repo.get_many
    repo.get_many = lambda ids: reads.append(ids) or original(ids)
    s.list_fields()
    s.list_fields()
    assert len(reads) == 1
    artist = s.list_fields()[0]
    repo.fields[artist.id] = replace(artist, name="Changed elsewhere")
    repo.version += 1
    assert s.list_fields()[0].name == "Changed elsewhere"


def test_tightened_pattern_keeps_stored_values(service):
    code = next(f for f in service.list_fields() if f.slug == "code")
    service.update_field(code.id, {"config": {"validationPattern": r"[A-Z]{3}-\d{3}"}})
    assert [p["value"] for p in service.present_values({"code": "AB-123"})] == ["AB-123"]
    assert service.merge_values({"code": "AB-123"}, {"tested": True}) == {"code": "AB-123", "tested": True}
    with pytest.raises(ValidationError):
        service.validate_values({"code": "AB-123"})
