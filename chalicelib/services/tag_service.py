"""Tags: usage counts from the search index, admin-set categories and display labels.

A tag exists by being used on an asset; the ``tags`` table only annotates it. Counts come from the
search index's ``G:<slug>`` counters for the audiences the viewer may see, so a tag used only on
private or adult assets is not revealed to someone who may not see them.

Categories are free text (1-40 characters), compared ignoring case and accents: the first spelling
in use is kept, so "Style" and "style" stay one category. The registry of categories in use keeps
each category's member tags, which makes ``?category=`` a set lookup and "categories in use" one read.
"""
from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable

from chalicelib.errors import Conflict, ValidationError
from chalicelib.models import User
from chalicelib.services.text import fold, tag_slug

KINDS = ("model", "image")
MAX_CATEGORY = 40
MAX_LABEL = 64
MAX_CATEGORIES = 100
MAX_CATEGORIZED_TAGS = 4000  # member lists live in one registry item (DynamoDB items are at most 400 KB)
RANKING_WINDOW = 5000  # tag counters ranked when a category filter drops most of them
WRITE_ATTEMPTS = 5

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def category_key(name: str) -> str:
    return " ".join(fold(name).split())


def _clean_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not 1 <= len(text) <= limit or _CONTROL.search(text):
        raise ValidationError(f"{what} must be 1-{limit} printable characters", field=what)
    return text


class TagService:
    def __init__(self, repo, facet_counts: Callable[..., list[tuple[str, int]]],
                 clock: Callable[[], float] = time.time) -> None:
        self._repo = repo
        self._facet_counts = facet_counts  # (kind, viewer, prefix, limit) -> [(value, count)], visibility-aware
        self._clock = clock

    def list_tags(self, viewer: User | None, kind: str = "model", prefix: str = "", category: str | None = None,
                  limit: int = 50) -> list[dict]:
        """Tags in use on assets the viewer may see, most used first, then by slug."""
        if kind not in KINDS:
            raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
        start = tag_slug(prefix) if prefix else ""
        if prefix and not start:
            return []
        members: set[str] | None = None
        if category:
            registry = self._repo.categories()[1].get(category_key(category))
            members = set(registry["tags"]) if registry else set()
            if not members:
                return []
        ranked = self._facet_counts(kind, viewer, "G:" + start, RANKING_WINDOW if members is not None else limit)
        # facet_counts strips the whole prefix, including the part of the slug the caller typed.
        page = [(start + rest, n) for rest, n in ranked if members is None or start + rest in members]
        page = sorted(page, key=lambda kv: (-kv[1], kv[0]))[:limit]
        infos = self._repo.get_many([slug for slug, _ in page])
        out = []
        for slug, count in page:
            info = infos.get(slug)
            out.append({"slug": slug, "label": (info.label if info and info.label else slug),
                        "category": info.category if info else None, "count": count})
        return out

    def categories(self) -> list[dict]:
        entries = self._repo.categories()[1].values()
        return sorted(({"name": e["name"], "tagCount": len(e["tags"])} for e in entries if e["tags"]),
                      key=lambda c: (c["name"].casefold(), c["name"]))

    def set_tag(self, raw_slug: str, category: str | None, label: str | None) -> dict:
        """Annotate a tag (it need not be in use yet). ``category=None`` and ``label=None`` clear them."""
        slug = tag_slug(raw_slug)
        if not slug:
            raise ValidationError("A tag needs at least one letter or digit", field="slug")
        category = _clean_text(category, "category", MAX_CATEGORY)
        label = _clean_text(label, "label", MAX_LABEL)
        # Optimistic: every tag write replaces the registry under its version; a concurrent writer
        # makes the transaction fail and this loop re-reads both.
        for _ in range(WRITE_ATTEMPTS):
            version, registry = self._repo.categories()
            registry = copy.deepcopy(registry)
            old = self._repo.get(slug)
            if old is not None and old.category:
                entry = registry.get(category_key(old.category))
                if entry and slug in entry["tags"]:
                    entry["tags"].remove(slug)
            stored_category = None
            if category:
                key = category_key(category)
                entry = registry.setdefault(key, {"name": category, "tags": []})
                entry["tags"] = sorted({*entry["tags"], slug})
                stored_category = entry["name"]
            registry = {k: e for k, e in registry.items() if e["tags"]}
            self._check_limits(registry)
            if self._repo.write(slug, stored_category, label, self._clock(), registry, version):
                return {"slug": slug, "label": label or slug, "category": stored_category}
        raise Conflict("Tags are being edited concurrently; retry")

    @staticmethod
    def _check_limits(registry: dict) -> None:
        if len(registry) > MAX_CATEGORIES:
            raise ValidationError(f"At most {MAX_CATEGORIES} tag categories can be in use", field="category")
        if sum(len(e["tags"]) for e in registry.values()) > MAX_CATEGORIZED_TAGS:
            raise ValidationError(f"At most {MAX_CATEGORIZED_TAGS} tags can have a category", field="category")
