"""The search index: postings (table ``search``), per-asset index documents, facet counters and
popularity markers (table ``search-meta``, kept apart so a document's transaction never involves the
large postings table).

Item kinds (``pk`` / ``sk``):

- posting  ``P#<kind>#<audience>#<term>`` / ``<created ms>#<id>``. One per (asset, term). Every posting
  carries the asset's filterable attributes, so any remaining criterion is checked by a
  FilterExpression on the partition that drives the query. Alternative orders are GSIs on the same
  partition key: ``by-likes`` (``s_likes``), ``by-downloads`` (``s_downloads``), ``by-name`` (``s_name``).
- document ``D#<kind>#<id>`` / ``D``: which terms the asset is filed under, and a version that makes
  concurrent re-indexing of one asset safe (optimistic locking).
- counter  ``C#<kind>#<audience>`` / ``<term>``: number of assets filed under a term. Updated in the
  same transaction as the document, so counts never drift from the postings.
- marker   ``S#<kind>#<id>`` / ``S``: "popularity changed, a refresh is queued" (expires by TTL).

``audience`` is ``s`` (public, safe), ``x`` (public, adult) or ``h`` (hidden: private, flagged,
removed or not ready); a viewer queries only the audiences it may see.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.models import SearchDoc
from chalicelib.repositories.base import conditional, table_meta
from chalicelib.repositories.records import global_index

MAX_TRANSACTION = 100
_DIGITS = re.compile(r"\d+")

SORTS = {
    # sort name -> (index name or None for the table, sort attribute, descending)
    "newest": (None, "sk", True),
    "liked": ("by-likes", "s_likes", True),
    "downloads": ("by-downloads", "s_downloads", True),
    "name": ("by-name", "s_name", False),
}


class PostingItem(Model):
    Meta = table_meta("search")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    s_likes = UnicodeAttribute()
    s_downloads = UnicodeAttribute()
    s_name = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    type = UnicodeAttribute(null=True)
    base = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    meta = UnicodeSetAttribute(null=True)
    words = UnicodeAttribute()  # " word1 word2 ... " (leading/trailing space: whole-word and prefix tests)

    by_likes = global_index("by-likes", "pk", "s_likes", {"pk": str, "s_likes": str})
    by_downloads = global_index("by-downloads", "pk", "s_downloads", {"pk": str, "s_downloads": str})
    by_name = global_index("by-name", "pk", "s_name", {"pk": str, "s_name": str})


class DocItem(Model):
    Meta = table_meta("search-meta")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    audience = UnicodeAttribute()
    terms = UnicodeSetAttribute(null=True)
    sort_key = UnicodeAttribute()
    version = NumberAttribute()


class CounterItem(Model):
    Meta = table_meta("search-meta")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    n = NumberAttribute(default=0)


class MarkerItem(Model):
    Meta = table_meta("search-meta")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class Filed:
    """A successful ``apply``: what the asset was filed under before it (None: it was not indexed)."""

    before: tuple[str, list[str]] | None  # (audience, terms)


@dataclass
class QueryResult:
    ids: list[str]
    after: str | None  # position to continue from; None when nothing is left
    consumed: float  # read capacity units, summed over every request
    evaluated: int  # postings DynamoDB read (before filtering)


def _partition(kind: str, audience: str, term: str) -> str:
    return f"P#{kind}#{audience}#{term}"


def _doc_key(kind: str, asset_id: str) -> str:
    return f"D#{kind}#{asset_id}"


def sort_keys(doc: SearchDoc) -> dict[str, str]:
    created = f"{max(0, int(doc.created_at * 1000)):013d}"
    cap = 10**10 - 1
    return {
        "sk": f"{created}#{doc.id}",
        "s_likes": f"{min(max(doc.likes, 0), cap):010d}#{created}#{doc.id}",
        "s_downloads": f"{min(max(doc.downloads, 0), cap):010d}#{created}#{doc.id}",
        # Numbers padded (natural order: 2 before 10); words joined by "!" and a space before the id,
        # so a name sorts before its own extensions.
        "s_name": f"{_DIGITS.sub(lambda m: m.group().zfill(10)[-10:], doc.name_key).replace(' ', '!')[:80]} {doc.id}",
    }


def _condition(attribute: str, value: str):
    """One residual criterion checked on the driving partition: ``words`` substring, ``tags``/``meta``
    set membership, or equality on ``type``/``base``/``owner``."""
    if attribute == "words":
        return PostingItem.words.contains(value)
    if attribute in ("tags", "meta"):
        return getattr(PostingItem, attribute).contains(value)
    if attribute in ("type", "base", "owner"):
        return getattr(PostingItem, attribute) == value
    raise ValueError(f"unknown search condition {attribute!r}")


def _deltas(old_audience, old_terms, new_audience, new_terms) -> dict[tuple[str, str], int]:
    deltas: dict[tuple[str, str], int] = {}
    for t in old_terms:
        deltas[(old_audience, t)] = deltas.get((old_audience, t), 0) - 1
    for t in new_terms:
        deltas[(new_audience, t)] = deltas.get((new_audience, t), 0) + 1
    return {k: v for k, v in deltas.items() if v}


class SearchIndexRepository:
    # -- writing ----------------------------------------------------------------------------
    def apply(self, kind: str, asset_id: str, doc: SearchDoc | None) -> Filed | None:
        """Make the postings of one asset equal to ``doc`` (None removes them). Returns None when a
        concurrent writer won; postings this call wrote that the winner does not list are removed."""
        current = self._doc(kind, asset_id)
        filed = Filed((current.audience, sorted(current.terms or ())) if current else None)
        old_terms = set(current.terms or ()) if current else set()
        old_audience = current.audience if current else None
        new_terms = set(doc.terms) if doc else set()
        new_audience = doc.audience if doc else None
        if len(new_terms) + 1 > MAX_TRANSACTION:
            raise ValueError(f"an index document may have at most {MAX_TRANSACTION - 1} terms")
        if current is not None and doc is not None and len(_deltas(old_audience, old_terms, new_audience, new_terms)) + 1 > MAX_TRANSACTION:
            # Too many counter changes for one transaction (e.g. publishing moves every term to another
            # audience): withdraw, then file again. The asset is unlisted for that moment, never miscounted.
            if self.apply(kind, asset_id, None) is None or self.apply(kind, asset_id, doc) is None:
                return None
            return filed
        written: list[PostingItem] = []
        if doc is not None:
            written = self._postings(doc)
            with PostingItem.batch_write() as batch:
                for item in written:
                    batch.save(item)
        if not self._commit(kind, asset_id, current, doc, old_terms, old_audience, new_terms, new_audience):
            winner = self._doc(kind, asset_id)
            keep = {(_partition(kind, winner.audience, t), winner.sort_key) for t in (winner.terms or ())} if winner else set()
            self._delete_keys([(i.pk, i.sk) for i in written if (i.pk, i.sk) not in keep])
            return None
        if current is not None:
            stale = {_partition(kind, old_audience, t) for t in old_terms}
            if doc is not None and new_audience == old_audience and current.sort_key == sort_keys(doc)["sk"]:
                stale -= {_partition(kind, new_audience, t) for t in new_terms}
            self._delete_keys([(pk, current.sort_key) for pk in stale])
            # A newer writer that committed meanwhile may have re-filed one of the postings just deleted:
            # report a conflict so the caller re-applies the current record (idempotent).
            after = self._doc(kind, asset_id)
            ours = None if doc is None else current.version + 1
            if stale and (after.version if after else None) != ours:
                return None
        return filed

    def _commit(self, kind, asset_id, current, doc, old_terms, old_audience, new_terms, new_audience) -> bool:
        deltas = _deltas(old_audience, old_terms, new_audience, new_terms)
        key = _doc_key(kind, asset_id)
        guard = DocItem.version == current.version if current else DocItem.pk.does_not_exist()
        if doc is None and current is None:
            return True  # nothing filed, nothing to remove (an empty transaction is an error on DynamoDB)
        if doc is not None and current is not None and not deltas:
            # Same terms (a title tweak, a popularity refresh): no counter moves, no transaction needed.
            return conditional(lambda: DocItem(key, "D", audience=doc.audience, terms=set(doc.terms) or None,
                                               sort_key=sort_keys(doc)["sk"], version=current.version + 1)
                               .save(condition=guard))
        try:
            with TransactWrite(connection=DocItem._get_connection().connection) as tx:
                if doc is None:
                    tx.delete(DocItem(key, "D"), condition=guard)
                else:
                    tx.save(DocItem(key, "D", audience=doc.audience, terms=set(doc.terms) or None,
                                    sort_key=sort_keys(doc)["sk"], version=(current.version + 1) if current else 1),
                            condition=guard)
                for (audience, term), delta in sorted(deltas.items()):
                    tx.update(CounterItem(f"C#{kind}#{audience}", term), actions=[CounterItem.n.add(delta)])
        except TransactWriteError as e:
            reasons = [r.code for r in (e.cancellation_reasons or []) if r]
            if "ConditionalCheckFailed" in reasons:
                return False
            raise
        return True

    def _postings(self, doc: SearchDoc) -> list[PostingItem]:
        keys = sort_keys(doc)
        attrs = dict(asset_id=doc.id, owner=doc.owner_id, type=doc.type, base=doc.base,
                     tags=set(doc.tags) or None, meta=set(doc.meta) or None, words=doc.words,
                     s_likes=keys["s_likes"], s_downloads=keys["s_downloads"], s_name=keys["s_name"])
        return [PostingItem(_partition(doc.kind, doc.audience, term), keys["sk"], **attrs) for term in doc.terms]

    @staticmethod
    def _delete_keys(keys: list[tuple[str, str]]) -> None:
        if keys:
            with PostingItem.batch_write() as batch:
                for pk, sk in keys:
                    batch.delete(PostingItem(pk, sk))

    @staticmethod
    def _doc(kind: str, asset_id: str) -> DocItem | None:
        try:
            return DocItem.get(_doc_key(kind, asset_id), "D", consistent_read=True)
        except DoesNotExist:
            return None

    def indexed_terms(self, kind: str, asset_id: str) -> tuple[str, list[str]] | None:
        doc = self._doc(kind, asset_id)
        return (doc.audience, sorted(doc.terms or ())) if doc else None

    # -- popularity markers -----------------------------------------------------------------
    def mark_stale(self, kind: str, asset_id: str, ttl: int) -> bool:
        """True for the first caller in a window: it should queue the refresh."""
        now = time.time()
        item = MarkerItem(f"S#{kind}#{asset_id}", "S", expires_at=int(now + ttl))
        # TTL deletion is lazy, so an expired marker counts as absent.
        return conditional(lambda: item.save(condition=MarkerItem.pk.does_not_exist() | (MarkerItem.expires_at < int(now))))

    def clear_stale(self, kind: str, asset_id: str) -> None:
        MarkerItem(f"S#{kind}#{asset_id}", "S").delete()

    # -- reading ----------------------------------------------------------------------------
    def counts(self, kind: str, audiences: list[str], terms: list[str]) -> dict[str, int]:
        """Assets filed under each term, summed over ``audiences`` (one BatchGet)."""
        keys = [(f"C#{kind}#{a}", t) for a in audiences for t in terms]
        totals = dict.fromkeys(terms, 0)
        for item in CounterItem.batch_get(keys):
            totals[item.sk] += int(item.n or 0)
        return totals

    def counts_with_prefix(self, kind: str, audiences: list[str], prefix: str, limit: int) -> dict[str, int]:
        totals: dict[str, int] = {}
        for audience in audiences:
            for item in CounterItem.query(f"C#{kind}#{audience}", CounterItem.sk.startswith(prefix), limit=limit):
                if item.n:
                    totals[item.sk] = totals.get(item.sk, 0) + int(item.n)
        return totals

    def query(self, kind: str, audiences: list[str], terms: list[str], conditions: list[tuple[str, str]], sort: str,
              after: str | None, limit: int, budget: int) -> QueryResult:
        """Up to ``limit`` asset ids in ``sort`` order after position ``after``, merging the partitions
        of every (audience, term) pair (``terms`` is a union). At most ``budget`` postings are read; a
        page cut short by the budget still returns a position to continue from."""
        index_name, attribute, descending = SORTS[sort]
        filter_condition = None
        for name, value in conditions:
            c = _condition(name, value)
            filter_condition = c if filter_condition is None else filter_condition & c
        partitions = [_partition(kind, a, t) for a in audiences for t in terms]
        per_stream = max(limit + 1, budget // max(len(partitions), 1))
        streams = [self._stream(pk, index_name, attribute, descending, filter_condition, after, limit + 1, per_stream)
                   for pk in partitions]
        consumed = sum(s[2] for s in streams)
        evaluated = sum(s[3] for s in streams)
        hits: dict[str, str] = {}
        for found, _, _, _ in streams:
            for position, asset_id in found:
                hits.setdefault(asset_id, position)  # an asset filed under two of the terms shows twice
        ordered = sorted(hits.items(), key=lambda kv: kv[1], reverse=descending)
        frontiers = [s[1] for s in streams if s[1] is not None]
        if frontiers:
            # Positions every stream has read past; anything beyond may still be missing from a slower stream.
            boundary = max(frontiers) if descending else min(frontiers)
            ordered = [kv for kv in ordered if (kv[1] >= boundary if descending else kv[1] <= boundary)]
        page = ordered[:limit]
        if len(ordered) > limit:
            next_after = page[-1][1]
        elif frontiers:
            next_after = boundary
        else:
            next_after = None
        return QueryResult([asset_id for asset_id, _ in page], next_after, consumed, evaluated)

    @staticmethod
    def _stream(pk, index_name, attribute, descending, filter_condition, after, wanted, budget):
        """(matches as (position, id), frontier or None when exhausted, capacity, evaluated)."""
        attr = getattr(PostingItem, attribute)
        key_condition = None if after is None else (attr < after if descending else attr > after)
        connection = PostingItem._get_connection()
        found: list[tuple[str, str]] = []
        start = None
        consumed, evaluated = 0.0, 0
        page = wanted if filter_condition is None else max(wanted, 50)
        while True:
            response = connection.query(
                pk, range_key_condition=key_condition, filter_condition=filter_condition, index_name=index_name,
                scan_index_forward=not descending, limit=min(page, budget - evaluated),
                exclusive_start_key=start, return_consumed_capacity="TOTAL")
            consumed += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0) or 0)
            evaluated += int(response.get("ScannedCount", 0))
            for raw in response.get("Items", []):
                found.append((raw[attribute]["S"], raw["asset_id"]["S"]))
            start = response.get("LastEvaluatedKey")
            if start is None:
                return found, None, consumed, evaluated
            if len(found) >= wanted or evaluated >= budget:
                return found, start[attribute]["S"], consumed, evaluated
            page = min(page * 4, 1000)
