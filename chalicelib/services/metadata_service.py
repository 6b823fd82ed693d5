"""Typed metadata fields: admin CRUD, validation of values on every write, filters and facets.

Values live on models (``ModelAsset.metadata_values``: slug -> value) and are indexed by the search
index as ``F:<slug>=<facet_value(v)>`` (one term per element of a ``multi_enum``). Everything that
interprets a value goes through the field definitions here:

- ``validate_values`` / ``merge_values`` on writes (model PATCH, bulk metadata);
- ``filter_terms`` for ``metadata.<slug>=<value>`` search filters;
- ``present_values`` on reads, which shows only values that still fit their field: values of a
  deleted field or a removed enum option are hidden, and ``merge_values`` drops them on the
  model's next write (patterns are checked when a value is written, not again on reads).

Field definitions are read through a registry version (one GetItem), so every process sees a
change on its next call; presentation may use a copy up to ``cache_seconds`` old.
"""
from __future__ import annotations

import datetime
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import MetadataField, User
from chalicelib.services.safe_pattern import SafePattern, UnsafePattern
from chalicelib.services.text import facet_value, fold

FIELD_TYPES = ("text", "number", "boolean", "date", "url", "enum", "multi_enum")
ENUM_TYPES = ("enum", "multi_enum")
MAX_FIELDS = 100
MAX_NAME = 100
MAX_SLUG = 64
MAX_TEXT = 1000
MAX_URL = 2000
MAX_ENUM_OPTIONS = 200
MAX_ENUM_OPTION = 100
MAX_MULTI_VALUES = 50
MAX_DISPLAY_HINT = 50
# Numbers must survive a JavaScript client unchanged: integers are exact up to 2^53 - 1.
MAX_NUMBER = 2**53 - 1
FACET_LIMIT = 200
CONFIG_KEYS = ("enumOptions", "validationPattern", "displayHint")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FACET_DATE = re.compile(r"([0-9]{4}) ([0-9]{2}) ([0-9]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SLUG_SEPARATORS = re.compile(r"[^a-z0-9]+")
_MISSING = object()


def slugify(name: str) -> str:
    """``"Base Resolution (px)"`` -> ``"base-resolution-px"``: a-z, 0-9 and single hyphens."""
    folded = fold(name).encode("ascii", "ignore").decode()
    return _SLUG_SEPARATORS.sub("-", folded).strip("-")[:MAX_SLUG].rstrip("-")


class _Invalid(Exception):
    """One bad value; collected per field so a form can mark every bad field at once."""


def _problem(field: str, message: str) -> dict:
    return {"code": "VALIDATION_ERROR", "field": field, "message": message}


def _raise_all(problems: list[dict]) -> None:
    if problems:
        raise ValidationError(problems[0]["message"], field=problems[0]["field"], details=problems)


def _format_number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


class MetadataService:
    def __init__(self, repo, facet_counts: Callable[..., list[tuple[str, int]]], cache_seconds: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._repo = repo
        self._facet_counts = facet_counts  # (kind, viewer, prefix, limit) -> [(value, count)], visibility-aware
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[int, list[MetadataField]] = (-1, [])
        self._checked_at = float("-inf")
        self._patterns: dict[str, SafePattern] = {}

    # -- definitions ------------------------------------------------------------------------
    def list_fields(self, fresh: bool = True) -> list[MetadataField]:
        """Every field in display order (sortOrder, then name). ``fresh=False`` may reuse a copy
        up to ``cache_seconds`` old (presentation only; writes and filters always re-check)."""
        if not fresh and self._clock() - self._checked_at < self._cache_seconds:
            return self._cached[1]
        version, ids = self._repo.registry()
        if version != self._cached[0]:
            fields = sorted(self._repo.get_many(ids), key=lambda f: (f.sort_order, f.name.casefold(), f.slug))
            self._cached = (version, fields)
        self._checked_at = self._clock()
        return self._cached[1]

    def _by_slug(self) -> dict[str, MetadataField]:
        return {f.slug: f for f in self.list_fields()}

    def get_field(self, field_id: str) -> MetadataField:
        found = self._repo.get(field_id)
        if found is None:
            raise NotFound("Metadata field not found")
        return found

    def create_field(self, name: str, type: str, filterable: bool = True, browsable: bool = False,
                     config: dict | None = None, sort_order: int = 0) -> MetadataField:
        problems: list[dict] = []
        name = self._check_name(name, problems)
        slug = slugify(name) if name else ""
        if name and not slug:
            problems.append(_problem("name", "Name must contain at least one letter or digit (a-z, 0-9)"))
        if type not in FIELD_TYPES:
            problems.append(_problem("type", f"type must be one of {', '.join(FIELD_TYPES)}"))
            type = "text"  # keep checking config against something, to report everything at once
        config = self._check_config(type, config or {}, problems)
        _raise_all(problems)
        if len(self._repo.registry()[1]) >= MAX_FIELDS:
            raise ValidationError(f"At most {MAX_FIELDS} metadata fields can be defined", field="name")
        now = self._clock()
        field = MetadataField(id=str(uuid.uuid4()), name=name, slug=slug, type=type, created_at=now, updated_at=now,
                              filterable=filterable, browsable=browsable, config=config, sort_order=sort_order)
        created, retired_type = self._repo.create(field)
        if not created and retired_type:
            raise Conflict(f"The slug '{slug}' belonged to a deleted {retired_type} field whose values are still "
                           f"stored on models; re-create it as {retired_type} or choose another name", field="name")
        if not created:
            raise Conflict(f"A metadata field with the slug '{slug}' already exists", field="name")
        return field

    def update_field(self, field_id: str, changes: dict) -> MetadataField:
        """``changes``: any of name, type (must equal the current type), filterable, browsable,
        config (replaces the whole config), sort_order. The slug never changes: values are stored under it."""
        current = self.get_field(field_id)
        problems: list[dict] = []
        if "type" in changes and changes["type"] != current.type:
            problems.append(_problem("type", "The type of a metadata field cannot be changed; create a new field instead"))
        updated = current
        if "name" in changes:
            updated = replace(updated, name=self._check_name(changes["name"], problems))
        if "config" in changes:
            updated = replace(updated, config=self._check_config(current.type, changes["config"] or {}, problems))
        for key in ("filterable", "browsable", "sort_order"):
            if key in changes:
                updated = replace(updated, **{key: changes[key]})
        _raise_all(problems)
        updated = replace(updated, updated_at=max(self._clock(), current.updated_at + 1e-3))
        if not self._repo.replace(updated, expected_updated_at=current.updated_at):
            if self._repo.get(field_id) is None:
                raise NotFound("Metadata field not found")
            raise Conflict("The field was changed by someone else meanwhile; reload and retry")
        return updated

    def delete_field(self, field_id: str) -> None:
        """Values stay on models (no Scan in a request) but are hidden from then on and dropped by each
        model's next write; the slug stays reserved for the same type until re-used (see the repository)."""
        if not self._repo.remove(self.get_field(field_id)):
            raise NotFound("Metadata field not found")

    @staticmethod
    def _check_name(name, problems: list[dict]) -> str:
        name = " ".join(str(name or "").split())
        if not 1 <= len(name) <= MAX_NAME:
            problems.append(_problem("name", f"Name must be 1-{MAX_NAME} characters"))
        return name

    @staticmethod
    def _check_config(type: str, config: dict, problems: list[dict]) -> dict:
        if not isinstance(config, dict):
            problems.append(_problem("config", "config must be an object"))
            return {}
        clean: dict = {}
        for key in config:
            if key not in CONFIG_KEYS:
                problems.append(_problem(f"config.{key}", f"Unknown config key; allowed: {', '.join(CONFIG_KEYS)}"))
        options = config.get("enumOptions")
        if type in ENUM_TYPES:
            if not isinstance(options, list) or not 1 <= len(options) <= MAX_ENUM_OPTIONS:
                problems.append(_problem("config.enumOptions", f"{type} fields need 1-{MAX_ENUM_OPTIONS} enumOptions"))
            else:
                clean["enumOptions"] = _check_options(options, problems)
        elif options is not None:
            problems.append(_problem("config.enumOptions", "enumOptions apply to enum and multi_enum fields only"))
        pattern = config.get("validationPattern")
        if pattern is not None:
            if type != "text":
                problems.append(_problem("config.validationPattern", "validationPattern applies to text fields only"))
            elif not isinstance(pattern, str):
                problems.append(_problem("config.validationPattern", "validationPattern must be a string"))
            else:
                try:
                    SafePattern(pattern)
                    clean["validationPattern"] = pattern
                except UnsafePattern as e:
                    problems.append(_problem("config.validationPattern", str(e)))
        hint = config.get("displayHint")
        if hint is not None:
            if not isinstance(hint, str) or len(hint.strip()) > MAX_DISPLAY_HINT:
                problems.append(_problem("config.displayHint", f"displayHint must be a string of at most {MAX_DISPLAY_HINT} characters"))
            elif hint.strip():
                clean["displayHint"] = hint.strip()
        return clean

    # -- values -----------------------------------------------------------------------------
    def validate_values(self, values: dict) -> dict:
        """Check every value against its field; returns the normalised values (``None`` = remove).
        Raises ``ValidationError`` listing every bad field (``field`` = the slug)."""
        if not isinstance(values, dict):
            raise ValidationError("metadata values must be an object of field slug -> value", field="metadata")
        fields = self._by_slug()
        problems: list[dict] = []
        clean: dict = {}
        for slug, value in values.items():
            field = fields.get(slug) if isinstance(slug, str) else None
            if field is None:
                problems.append(_problem(str(slug)[:MAX_SLUG], "Unknown metadata field"))
                continue
            if value is None:
                clean[slug] = None
                continue
            try:
                clean[slug] = self._coerce(field, value)
            except _Invalid as e:
                problems.append(_problem(slug, str(e)))
        _raise_all(problems)
        return clean

    def merge_values(self, current: dict | None, changes: dict) -> dict:
        """The values to store after applying ``changes`` (validated; ``None`` removes) to ``current``.
        Stored values that no longer fit their field (deleted field, removed option) are dropped."""
        validated = self.validate_values(changes)
        merged = self._still_valid(current or {}, self._by_slug())
        for slug, value in validated.items():
            if value is None:
                merged.pop(slug, None)
            else:
                merged[slug] = value
        return merged

    def present_values(self, values: dict | None) -> list[dict]:
        """``[{fieldSlug, fieldName, type, value, displayValue}]`` for defined fields, in display order."""
        fields = self.list_fields(fresh=False)
        valid = self._still_valid(values or {}, {f.slug: f for f in fields})
        return [{"fieldSlug": f.slug, "fieldName": f.name, "type": f.type, "value": valid[f.slug],
                 "displayValue": _display(f, valid[f.slug])} for f in fields if f.slug in valid]

    def _still_valid(self, values: dict, fields: dict[str, MetadataField]) -> dict:
        kept = {}
        for slug, value in values.items():
            field = fields.get(slug)
            if field is None or value is None:
                continue
            try:
                # Stored values passed the pattern when written; a pattern tightened later neither hides
                # them nor costs a pattern run per value on every list page.
                kept[slug] = self._coerce(field, value, check_pattern=False)
            except _Invalid:
                continue
        return kept

    def _coerce(self, field: MetadataField, value, check_pattern: bool = True):
        if field.type == "text":
            return self._coerce_text(field, value, check_pattern)
        return getattr(self, f"_coerce_{field.type}")(field, value)

    def _coerce_text(self, field: MetadataField, value, check_pattern: bool = True) -> str:
        if not isinstance(value, str):
            raise _Invalid("Expected a string")
        text = value.strip()
        if not text:
            raise _Invalid("Text must not be empty (use null to remove the value)")
        if len(text) > MAX_TEXT:
            raise _Invalid(f"Text is limited to {MAX_TEXT} characters")
        if _CONTROL.search(text):
            raise _Invalid("Text must not contain control characters")
        pattern = field.config.get("validationPattern")
        if pattern and check_pattern and not self._pattern(pattern).fullmatch(text):
            raise _Invalid(f"Value does not match the pattern {pattern}")
        return text

    def _pattern(self, source: str) -> SafePattern:
        if source not in self._patterns:
            if len(self._patterns) > 256:
                self._patterns.clear()
            self._patterns[source] = SafePattern(source)
        return self._patterns[source]

    @staticmethod
    def _coerce_number(field: MetadataField, value) -> int | float:
        # bool is an int subclass: true must not silently become 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("Expected a number")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Invalid("Numbers must be finite")
            if value.is_integer():
                value = int(value)
        if abs(value) > MAX_NUMBER:
            raise _Invalid(f"Numbers are limited to ±{MAX_NUMBER}")
        return value

    @staticmethod
    def _coerce_boolean(field: MetadataField, value) -> bool:
        if not isinstance(value, bool):
            raise _Invalid("Expected true or false")
        return value

    @staticmethod
    def _coerce_date(field: MetadataField, value) -> str:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise _Invalid("Expected a date as YYYY-MM-DD")
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise _Invalid("Not a calendar date") from None

    @staticmethod
    def _coerce_url(field: MetadataField, value) -> str:
        if not isinstance(value, str):
            raise _Invalid("Expected a URL string")
        url = value.strip()
        if len(url) > MAX_URL:
            raise _Invalid(f"URLs are limited to {MAX_URL} characters")
        if _CONTROL.search(url) or any(c.isspace() for c in url):
            raise _Invalid("URLs must not contain spaces or control characters")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise _Invalid("Malformed URL") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise _Invalid("Only http and https URLs are allowed")
        if not parts.hostname:
            raise _Invalid("URL needs a host")
        if parts.username is not None or parts.password is not None:
            raise _Invalid("URLs must not contain credentials")
        return url

    @staticmethod
    def _coerce_enum(field: MetadataField, value) -> str:
        if not isinstance(value, str):
            raise _Invalid("Expected one of the field's options")
        return _option(field, value)

    @staticmethod
    def _coerce_multi_enum(field: MetadataField, value) -> list[str]:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_MULTI_VALUES:
            raise _Invalid(f"Expected a list of 1-{MAX_MULTI_VALUES} options (use null to remove the value)")
        if not all(isinstance(v, str) for v in value):
            raise _Invalid("Every element must be one of the field's options")
        chosen = [_option(field, v) for v in value]
        if len(set(chosen)) != len(chosen):
            raise _Invalid("Options must not repeat")
        order = {o: i for i, o in enumerate(field.config.get("enumOptions", []))}
        return sorted(chosen, key=order.__getitem__)

    # -- search -----------------------------------------------------------------------------
    def filter_terms(self, filters: dict[str, str]) -> dict[str, str]:
        """``{slug or "metadata.<slug>": raw query value}`` -> ``{slug: facet value}``: the value the search
        index files under ``F:<slug>=...``. The field must exist and be filterable."""
        fields = self._by_slug()
        problems: list[dict] = []
        terms: dict[str, str] = {}
        for key, raw in filters.items():
            slug = key.removeprefix("metadata.")
            param = f"metadata.{slug}"
            field = fields.get(slug)
            if field is None or not field.filterable:
                problems.append(_problem(param, "Unknown or non-filterable metadata field"))
                continue
            try:
                terms[slug] = facet_value(self._parse_filter(field, raw))
            except _Invalid as e:
                problems.append(_problem(param, str(e)))
        _raise_all(problems)
        return terms

    @staticmethod
    def _parse_filter(field: MetadataField, raw) -> object:
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_URL:
            raise _Invalid("Expected a non-empty filter value")
        raw = raw.strip()
        if field.type == "boolean":
            if raw.lower() not in ("true", "false"):
                raise _Invalid("Expected true or false")
            return raw.lower() == "true"
        if field.type == "number":
            try:
                number = float(raw)
            except ValueError:
                raise _Invalid("Expected a number") from None
            if not math.isfinite(number):
                raise _Invalid("Numbers must be finite")
            return number
        if field.type == "date":
            return MetadataService._coerce_date(field, raw)
        if field.type in ENUM_TYPES:
            return _option(field, raw)
        # text and url: matched on their folded form, like the index stores them; no pattern check,
        # so a value listed by the facets endpoint can always be used as a filter.
        if not facet_value(raw):
            raise _Invalid("Expected letters or digits in the filter value")
        return raw

    def field_values(self, slug: str, viewer: User | None, kind: str = "model", limit: int = 50) -> list[dict]:
        """Distinct values of a field with the number of models the viewer may see carrying each one."""
        field = self._by_slug().get(slug)
        if field is None:
            raise NotFound("Metadata field not found")
        limit = max(1, min(limit, FACET_LIMIT))
        # Ask for the full slice: terms that no longer fit the field (removed options) are skipped below.
        ranked = self._facet_counts(kind, viewer, f"F:{slug}=", FACET_LIMIT)
        out = []
        for term, count in ranked:
            value = _from_facet(field, term)
            if value is not _MISSING:
                out.append({"value": value, "modelCount": count})
        return out[:limit]


def _check_options(options: list, problems: list[dict]) -> list[str]:
    clean: list[str] = []
    seen: dict[str, str] = {}
    for i, option in enumerate(options):
        where = f"config.enumOptions.{i}"
        if not isinstance(option, str) or not 1 <= len(option.strip()) <= MAX_ENUM_OPTION:
            problems.append(_problem(where, f"Options must be strings of 1-{MAX_ENUM_OPTION} characters"))
            continue
        option = option.strip()
        # Options are told apart the way the search index files them (folded), so "Style" and "style",
        # or "1:12" and "1-12", would be one filter value.
        key = facet_value(option)
        if not key:
            problems.append(_problem(where, "Options must contain at least one letter or digit"))
        elif key in seen:
            problems.append(_problem(where, f"'{option}' duplicates '{seen[key]}' (options are compared ignoring case and punctuation)"))
        else:
            seen[key] = option
            clean.append(option)
    return clean


def _option(field: MetadataField, value: str) -> str:
    """The canonical spelling of an option, matched exactly or ignoring case and punctuation."""
    options = field.config.get("enumOptions", [])
    if value in options:
        return value
    key = facet_value(value)
    for option in options:
        if facet_value(option) == key:
            return option
    raise _Invalid(f"'{value[:MAX_ENUM_OPTION]}' is not one of the field's options")


def _display(field: MetadataField, value) -> str:
    if field.type == "boolean":
        return "Yes" if value else "No"
    if field.type == "number":
        return _format_number(value)
    if field.type == "multi_enum":
        return ", ".join(value)
    return value


def _from_facet(field: MetadataField, term: str):
    """A facet term back to a typed value usable as a filter; ``_MISSING`` for stale terms."""
    if field.type == "boolean":
        return {"true": True, "false": False}.get(term, _MISSING)
    if field.type == "number":
        try:
            return int(term)
        except ValueError:
            try:
                number = float(term)
            except ValueError:
                return _MISSING
            return number if math.isfinite(number) else _MISSING
    if field.type == "date":
        m = _FACET_DATE.fullmatch(term)
        return "-".join(m.groups()) if m else _MISSING
    if field.type in ENUM_TYPES:
        for option in field.config.get("enumOptions", []):
            if facet_value(option) == term:
                return option
        return _MISSING
    return term  # text/url: the index keeps only the folded form
