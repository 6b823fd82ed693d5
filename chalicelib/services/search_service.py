"""Server-side search over models, images and galleries, on an inverted index kept in DynamoDB.

Indexing (``SearchIndexer``): every asset is filed under a bounded set of terms, each a DynamoDB
partition ordered by every sort (see ``repositories/search_index.py``):
``A`` (all), ``K:<type>``, ``B:<base model>``, ``G:<tag>``, ``F:<field>=<value>``, ``O:<owner>`` and
``W:<first three letters of a word>`` for the searchable words. The audience (public safe, public
adult, hidden) is part of the partition, so a viewer only ever reads what it may see.

Querying (``SearchService``): the query's most selective term (smallest counter) drives a Query in
the requested order; every other criterion is a FilterExpression on the same postings, and the page's
records are re-read and re-checked (visibility and criteria) before they are returned, so a stale
posting can only shorten a page, never leak or mis-match. Cost per page is bounded by the page size
and the filters' selectivity within the driving partition, not by the size of the catalog.
"""
from __future__ import annotations

import dataclasses
import logging
import random
import time
from dataclasses import dataclass, field

from chalicelib.errors import Forbidden, ValidationError
from chalicelib.models import AssetStatus, Gallery, ImageAsset, ModelAsset, Role, SearchDoc, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.services.text import facet_value, fold, tag_slug, words
from chalicelib.services.visibility import can_view

log = logging.getLogger(__name__)

KINDS = ("model", "image", "gallery")
SORTS = {"model": ("newest", "liked", "downloads", "name"), "image": ("newest", "liked", "name"),
         "gallery": ("newest", "name")}
MAX_TERMS = 96  # a document and its counters must fit one DynamoDB transaction (100 items)
PAIRED_TAGS = 6  # assets with at most this many tags are filed under every tag pair (GG:a+b); others under GX
MAX_META_TERMS = 16  # metadata values filed per model (filterable and counted); the rest are only shown
MAX_WORDS_CHARS = 2000
MAX_QUERY_WORDS = 8
READ_BUDGET = 2000  # postings read per request at most; a sparse match returns a short page and a cursor
CONFLICT_RETRIES = 8
FACET_SCAN = 5000  # counters read per audience when ranking facet values


class IndexConflict(Exception):
    """An asset kept being re-indexed by other writers while this one tried (retries exhausted)."""


@dataclass
class SearchQuery:
    kind: str
    text: str = ""
    type: str | None = None
    base_model: str | None = None
    tags: list[str] = field(default_factory=list)
    curator_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # field slug -> canonical facet value
    visibility: str | None = None  # public | private (private: own or admin)
    nsfw: str | None = None  # None: as the viewer's setting allows | exclude | only (needs adult content allowed)
    sort: str = "newest"


@dataclass
class SearchPage:
    items: list
    cursor: str | None
    owners: dict[str, User]
    stats: dict


# -- documents --------------------------------------------------------------------------------
def searchable(kind: str, record) -> bool:
    """Avatars, gallery covers and model previews are parts of other things, not explorer images."""
    return record is not None and (kind != "image" or record.purpose == "image")


def audience(record) -> str:
    if isinstance(record, Gallery):
        # Held while a model among its entries is under review (see moderation_service).
        return "s" if record.visibility == "public" and not record.held_by else "h"
    listable = record.status == AssetStatus.READY and record.visibility == "public" and record.moderation == "active"
    if not listable:
        return "h"
    return "x" if record.is_adult else "s"


def _text(primary: list[str], secondary: list[str], budget: int) -> tuple[str, list[str]]:
    """The searchable words and their W: terms. A word is searchable only if its term fits the
    budget, so a W: driver can never miss an asset whose words contain the query word."""
    keys: dict[str, None] = {}  # insertion-ordered sets
    kept: dict[str, None] = {}
    length = 1
    for word in [w for text in primary for w in words(text)] + [w for text in secondary for w in words(text)]:
        key = word[:3]
        if word in kept or (key not in keys and len(keys) >= budget):
            continue
        if length + len(word) + 1 > MAX_WORDS_CHARS:
            break
        keys[key] = None
        kept[word] = None
        length += len(word) + 1
    return " " + " ".join(kept) + " ", ["W:" + k for k in keys]


def build_doc(kind: str, record, owner: User | None) -> SearchDoc:
    owner_name = owner.display_name if owner else ""
    tags = [t for t in dict.fromkeys(tag_slug(t) for t in getattr(record, "tags", []) or []) if t][:20]
    doc_type = base = None
    meta: list[str] = []
    secondary: list[str] = [record.description or ""]
    primary: list[str] = [record.title, owner_name, *[t.replace("-", " ") for t in tags]]
    likes = downloads = 0
    if isinstance(record, ModelAsset):
        doc_type = record.kind or "lora"
        base = facet_value(record.base_model) if record.base_model else None
        primary += [*record.trigger_words, record.base_model or ""]
        for slug, value in sorted((record.metadata_values or {}).items()):
            for v in value if isinstance(value, list) else [value]:
                meta.append(f"{slug}={facet_value(v)}")
        meta = list(dict.fromkeys(meta))[:MAX_META_TERMS]
        likes, downloads = record.like_count, record.download_count
    elif isinstance(record, ImageAsset):
        secondary.append(str((record.meta or {}).get("prompt") or ""))
        likes = record.like_count
    structural = ["A", f"O:{record.owner_id}"]
    if doc_type:
        structural.append(f"K:{doc_type}")
    if base:
        structural.append(f"B:{base}")
    structural += [f"G:{t}" for t in tags] + [f"F:{m}" for m in meta] + _tag_pairs(tags)
    text, word_terms = _text(primary, secondary, MAX_TERMS - len(structural))
    return SearchDoc(kind=kind, id=record.id, audience=audience(record), owner_id=record.owner_id,
                     created_at=record.created_at, name_key=" ".join(words(record.title)) or "~",
                     words=text, terms=structural + word_terms, likes=likes, downloads=downloads,
                     type=doc_type, base=base, tags=tags, meta=meta)


def _tag_pairs(tags: list[str]) -> list[str]:
    """Two-tag filters are the commonest intersection: a pair term makes them a direct lookup instead
    of filtering one tag's whole partition. Assets with many tags go under GX instead (pairs grow
    quadratically), which every pair lookup also reads."""
    if len(tags) > PAIRED_TAGS:
        return ["GX"]
    ordered = sorted(tags)
    return [f"GG:{a}+{b}" for i, a in enumerate(ordered) for b in ordered[i + 1:]]


# -- queries ----------------------------------------------------------------------------------
def audiences_for(viewer: User | None, query: SearchQuery) -> list[str]:
    admin = viewer is not None and viewer.role >= Role.ADMIN
    own = viewer is not None and query.curator_id == viewer.id
    adult_allowed = admin or own or (viewer is not None and viewer.show_adult)
    public = ["s", "x"] if adult_allowed else ["s"]
    if query.nsfw == "only":
        if not adult_allowed:
            raise Forbidden("Adult content is hidden for this account; enable it in your settings first")
        public = ["x"]
    elif query.nsfw == "exclude":
        public = ["s"]
    if query.visibility == "private":
        if query.nsfw:
            raise ValidationError("nsfw filters apply to public listings, not to visibility=private", field="nsfw")
        if not (admin or own):
            raise Forbidden("Private assets can be listed by their owner (curator=<your id>) or administrators")
        return ["h"]
    if query.visibility == "public" or query.nsfw:
        return public  # the adult filter speaks of the public catalogue (hidden items carry no adult partition)
    return public + (["h"] if admin or own else [])


@dataclass
class _Plan:
    drivers: list[tuple[str, ...]]  # candidate driving term unions (each covers every possible match)
    conditions: list  # (attribute, value) pairs every result must satisfy

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for union in self.drivers for t in union))


def plan(query: SearchQuery) -> _Plan:
    terms: list[str] = []
    conditions: list[tuple[str, str]] = []
    query_words = words(query.text)[:MAX_QUERY_WORDS]
    for n, word in enumerate(query_words):
        last = n == len(query_words) - 1
        conditions.append(("words", f" {word}" if last else f" {word} "))
        if not last or len(word) >= 3:  # a prefix shorter than three letters has no term of its own
            terms.append("W:" + word[:3])
    if query.type:
        terms.append(f"K:{query.type}")
        conditions.append(("type", query.type))
    if query.base_model:
        base = facet_value(query.base_model)
        terms.append(f"B:{base}")
        conditions.append(("base", base))
    for tag in query.tags:
        terms.append(f"G:{tag}")
        conditions.append(("tags", tag))
    for slug, value in sorted(query.metadata.items()):
        terms.append(f"F:{slug}={value}")
        conditions.append(("meta", f"{slug}={value}"))
    if query.curator_id:
        terms.append(f"O:{query.curator_id}")
        conditions.append(("owner", query.curator_id))
    drivers = [(t,) for t in dict.fromkeys(terms)]
    tags = sorted(query.tags)
    drivers += [(f"GG:{a}+{b}", "GX") for i, a in enumerate(tags) for b in tags[i + 1:]]
    return _Plan(drivers or [("A",)], conditions)


def matches(doc: SearchDoc, query: SearchQuery, allowed_audiences: list[str]) -> bool:
    """The query's meaning, evaluated on one document: the index answers it, this re-checks it."""
    return satisfies(doc, plan(query).conditions, allowed_audiences)


def satisfies(doc: SearchDoc, conditions: list[tuple[str, str]], allowed_audiences: list[str]) -> bool:
    if doc.audience not in allowed_audiences:
        return False
    for attribute, value in conditions:
        if attribute == "words" and value not in doc.words:
            return False
        if attribute in ("tags", "meta") and value not in getattr(doc, attribute):
            return False
        if attribute in ("type", "base") and getattr(doc, attribute) != value:
            return False
        if attribute == "owner" and doc.owner_id != value:
            return False
    return True


def normalize_query(query: SearchQuery) -> SearchQuery:
    if query.kind not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if query.sort not in SORTS[query.kind]:
        raise ValidationError(f"sort must be one of {', '.join(SORTS[query.kind])}", field="sort")
    tags = [tag_slug(t) for t in query.tags]
    if any(not t for t in tags):
        raise ValidationError("Empty tag in filter", field="tags")
    return dataclasses.replace(query, text=" ".join(words(query.text)), tags=sorted(set(tags)),
                               type=fold(query.type) if query.type else None)


class SearchService:
    def __init__(self, index, models, images, galleries, users) -> None:
        self._index = index
        self._repos = {"model": models, "image": images, "gallery": galleries}
        self._users = users

    def search(self, viewer: User | None, query: SearchQuery, cursor: str | None, page_size: int) -> SearchPage:
        query = normalize_query(query)
        fingerprint = dataclasses.asdict(query)
        position = decode_cursor(cursor, fingerprint)
        after = None
        if position is not None:
            after = position.get("a")
            if not isinstance(after, str) or not after:
                raise ValidationError("Malformed cursor", field="cursor")
        allowed = audiences_for(viewer, query)
        p = plan(query)
        counts = self._index.counts(query.kind, allowed, p.terms)
        size = {union: sum(counts.get(t, 0) for t in union) for union in p.drivers}
        driver = min(p.drivers, key=lambda union: (size[union], len(union), union))
        stats = {"driver": "|".join(driver), "driverCount": size[driver], "consumed": 0.0, "evaluated": 0}
        if size[driver] == 0:
            return SearchPage([], None, {}, stats)
        result = self._index.query(query.kind, allowed, list(driver), p.conditions,
                                   query.sort, after, page_size, READ_BUDGET)
        stats.update(consumed=result.consumed, evaluated=result.evaluated)
        records = self._repos[query.kind].get_many(result.ids)
        owners = self._users.get_many({r.owner_id for r in records.values()})
        items = []
        for asset_id in result.ids:
            record = records.get(asset_id)
            if not searchable(query.kind, record) or not can_view(viewer, record):
                continue
            if satisfies(build_doc(query.kind, record, owners.get(record.owner_id)), p.conditions, allowed):
                items.append(record)
        next_cursor = encode_cursor({"a": result.after}, fingerprint) if result.after else None
        return SearchPage(items, next_cursor, owners, stats)


def _public_owner(indexed: tuple[str, list[str]] | None) -> str | None:
    """Whose public contribution an indexed asset is (None when it is hidden or not indexed)."""
    if indexed is None or indexed[0] == "h":
        return None
    return next((t[2:] for t in indexed[1] if t.startswith("O:")), None)


class SearchIndexer:
    """Keeps the index equal to the records. Every method is idempotent and derives from the stored
    record, so a retry, a duplicate message or a late refresh converges on the same postings."""

    def __init__(self, index, models, images, galleries, users, refresh_later, refresh_window: int = 60,
                 on_owner_changed=None) -> None:
        self._index = index
        self._repos = {"model": models, "image": images, "gallery": galleries}
        self._users = users
        self._refresh_later = refresh_later  # (kind, asset id) -> queues a refresh after the window
        self._window = refresh_window
        # (owner id) -> None: an asset started or stopped counting as that owner's public contribution
        self._on_owner_changed = on_owner_changed

    def refresh(self, kind: str, asset_id: str) -> None:
        for attempt in range(CONFLICT_RETRIES):
            if attempt:
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # jittered: contenders spread out
            record = self._repos[kind].get(asset_id)
            doc = build_doc(kind, record, self._users.get(record.owner_id)) if searchable(kind, record) else None
            filed = self._index.apply(kind, asset_id, doc)
            if filed is not None:
                before = _public_owner(filed.before)
                after = doc.owner_id if doc is not None and doc.audience != "h" else None
                if self._on_owner_changed and before != after:
                    for owner_id in {before, after} - {None}:
                        self._on_owner_changed(owner_id)
                return
        raise IndexConflict(f"{kind} {asset_id} kept changing while it was indexed")

    def refresh_or_queue(self, kind: str, asset_id: str) -> None:
        """After a write that already succeeded: index now, or leave it to the queue if indexing fails,
        so the caller's write is never reported as failed because of the index."""
        try:
            self.refresh(kind, asset_id)
        except Exception:
            log.exception("index refresh failed; queued for retry", extra={"kind": kind, "assetId": asset_id})
            self._refresh_later(kind, asset_id)

    def refresh_queued(self, kind: str, asset_id: str) -> None:
        """The queued refresh: clear the popularity marker first, so a change during it queues another."""
        self._index.clear_stale(kind, asset_id)
        self.refresh(kind, asset_id)

    def touch(self, kind: str, asset_id: str) -> None:
        """A popularity counter changed: one refresh per asset per window, however many changes."""
        try:
            if self._index.mark_stale(kind, asset_id, self._window + 60):
                self._refresh_later(kind, asset_id)
        except Exception:
            # Sorting by popularity may lag; the download or like itself must not fail because of it.
            log.exception("could not queue a popularity refresh", extra={"kind": kind, "assetId": asset_id})

    def facet_counts(self, kind: str, viewer: User | None, prefix: str, limit: int = 200) -> list[tuple[str, int]]:
        allowed = audiences_for(viewer, SearchQuery(kind=kind))
        # Counters are read in key order, so rank over a generous slice rather than the first ``limit``.
        totals = self._index.counts_with_prefix(kind, allowed, prefix, FACET_SCAN)
        ranked = sorted(((key[len(prefix):], n) for key, n in totals.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:limit]

    def reindex_owner(self, owner_id: str) -> int:
        """After a curator's display name changed (it is part of their assets' searchable words)."""
        count = 0
        for kind, repo in self._repos.items():
            for record in repo.query("by-owner", owner_id, newest_first=False):
                self.refresh(kind, record.id)
                count += 1
        return count

    def reindex_all(self, kind: str) -> int:
        """Background rebuild (after a rule change or a restore); walks the table, never in a request."""
        count = 0
        for record in self._repos[kind].scan_all():
            self.refresh(kind, record.id)
            count += 1
        return count
