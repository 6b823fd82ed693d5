"""Server-side search at 1k and 100k models on DynamoDB Local: does a page cost the same at any catalog size?

moto's Query on an index walks the whole table, so it cannot show index behaviour; this bench starts
its own DynamoDB Local (``-inMemory``, large heap, free port; the jar installed by
``scripts/stack/setup.sh``), creates the ``infra.resources`` tables in it with ``infra.bootstrap`` and:

1. checks that its bulk writer files assets exactly as production indexing does (``SearchIndexer.refresh``
   -> ``SearchIndexRepository.apply()``; the item sets of every search index table and of the models
   table are compared for 50 assets, then removed);
2. loads ``--small`` models (default 1,000), measures; loads more up to ``--large`` (default 100,000;
   same distributions, fixed vocabularies, so every term partition grows by the same factor), measures
   again. Bulk load = ``build_doc`` + the repository's own PostingItem/DocItem/CounterItem models,
   written with BatchWriteItem from ``--threads`` threads (counters aggregated in memory, written once
   per phase), plus the model records and their curators;
3. times ``SearchService.search`` (the production query path, including the counters BatchGet and the
   records/owners BatchGets), page size 24, guest viewer, for ten typical queries whose parameters are
   drawn from the assets loaded so far (so popular tags and words are asked for more often), ``--runs``
   times each, interleaved, after a warm-up. The reference, measured in the same run at each scale:
   a plain GetItem of one model record, and a Query (Limit=24) on the models table's ``by-owner`` GSI.
4. "same window": on a shared machine the two measurements above lie ~30 min apart and the reference
   alone drifts by more than the 1.5x target, so the small catalog's index is loaded once more into its
   own tables (prefix ``searchbench-small``) of the same, now large, DynamoDB Local, and both catalogs
   are measured interleaved, query by query. Only the index models' ``Meta.table_name`` is switched
   between samples; the query path is the production one. Both comparisons are printed.

Per query: p50/p95 (ms), p95 over full pages only (a 1k catalog often cannot fill a 24-item page, and
fewer results mean fewer records to fetch and re-check), mean time by part (counters, postings,
records, owners, outside DynamoDB), results, and the ratios large/small and query/reference.

Read capacity: ``rcu_index`` is ``SearchPage.stats["consumed"]`` (the postings Queries); ``rcu_total``
adds every other read of the request (counters, records, owners), collected by a botocore hook that
asks each read for ``ReturnConsumedCapacity=TOTAL`` (this changes no result). ``evaluated`` is the
number of postings DynamoDB read before filtering (the search reads at most ``READ_BUDGET``).

Also reported: DynamoDB Local's JVM GC pauses (``-Xlog:gc``) during each load and measurement, so a
latency outlier can be told apart from the search's own cost, and a hash of the search code measured.
A full run (100k models, ~28-41 postings each, ~3-4M items) loads at ~2,000 items/s on 2 cores: ~30-40 min.

Prints two tables to stderr and one JSON document to stdout; the target is p95 at large <= 1.5 x p95
at small for every query.

    python -m bench.search_scale [--small 1000] [--large 100000] [--runs 200] [--threads 3] [--port N] [--keep]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "searchbench"
PREFIX_COPY = "searchbench-small"  # tables holding a second copy of the small catalog's index
KIND = "model"
PAGE_SIZE = 24
TARGET_P95_RATIO = 1.5
VERIFY_ASSETS = 50
BATCH = 25  # BatchWriteItem maximum
CHUNK = 100  # models per loader task
NOW = 1_767_225_600.0  # fixed "now" (2026-01-01) so a seed always yields the same catalog
CODE = ("chalicelib/services/search_service.py", "chalicelib/repositories/search_index.py")  # fingerprinted in the output
QUERIES = ("browse_newest", "browse_downloads", "one_tag", "two_tags", "base_model_by_name", "text_word",
           "text_prefix", "text_and_tag", "curator", "page2_tag")


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# -- DynamoDB Local ----------------------------------------------------------------------------
def jar_dir(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("DDB_LOCAL_DIR"):
        return Path(os.environ["DDB_LOCAL_DIR"])
    data = Path(os.environ.get("VS_DATA_DIR") or ROOT / ".data")
    return data / "stack" / "dynamodb-local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DynamoDBLocal:
    """Our own DynamoDB Local (own process group, own temp dir); stopped by ``stop()``."""

    def __init__(self, directory: Path, port: int, heap: str) -> None:
        if not (directory / "DynamoDBLocal.jar").is_file():
            raise SystemExit(f"no DynamoDBLocal.jar in {directory}: run scripts/stack/setup.sh (or pass --jar-dir)")
        (ROOT / ".data" / "bench").mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="search-scale-", dir=ROOT / ".data" / "bench"))
        self.port = port
        self.log_path = self.tmp / "ddb.log"
        self.gc_log = self.tmp / "gc.log"
        cmd = ["java", f"-Xmx{heap}", "-XX:-UsePerfData", f"-Djava.io.tmpdir={self.tmp}", f"-Xlog:gc:file={self.gc_log}",
               "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar", "-inMemory", "-port", str(port)]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env={**os.environ, "DDB_LOCAL_TELEMETRY": "0"})
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"DynamoDB Local exited during startup:\n{self.log_path.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("timeout waiting for DynamoDB Local") from None
                time.sleep(0.2)
        self.version = next((line.split(":", 1)[1].strip() for line in self.log_path.read_text().splitlines()
                             if line.startswith("Version:")), "unknown")

    def gc_mark(self) -> int:
        return self.gc_log.stat().st_size if self.gc_log.exists() else 0

    def gc_pauses(self, since: int) -> dict:
        """Stop-the-world GC pauses the JVM logged after ``since`` (a ``gc_mark()``)."""
        pauses, full = [], 0
        with open(self.gc_log, "rb") as f:
            f.seek(since)
            for line in f.read().decode(errors="replace").splitlines():
                m = re.search(r"GC\(\d+\) (Pause [A-Za-z]+).* (\d+(?:\.\d+)?)ms$", line)
                if m:
                    pauses.append(float(m.group(2)))
                    full += m.group(1) == "Pause Full"
        return {"count": len(pauses), "full": full, "total_ms": round(sum(pauses), 1),
                "max_ms": round(max(pauses, default=0.0), 1), "over_100ms": sum(p > 100 for p in pauses)}

    def rss_mib(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def configure_environment(port: int) -> None:
    """Endpoint, fake credentials and table names; must run before chalicelib's repositories are imported."""
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="test",
                      AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
                      AWS_EC2_METADATA_DISABLED="true")
    from infra import resources as R

    for t in R.TABLES:
        os.environ[R.table_env(t.name)] = R.physical(PREFIX, t.name)


def ddb_client(pool: int = 10):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "dynamodb", config=Config(parameter_validation=False, max_pool_connections=pool,
                                  retries={"mode": "standard", "max_attempts": 10}))


# -- synthetic catalog -------------------------------------------------------------------------
_ONSETS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cr", "dr",
           "fl", "gr", "pl", "st", "tr", "sh", "ch", "th", "sk", "sp", "", ""]
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "io", "y"]
_CODAS = ["", "", "", "", "n", "r", "s", "l", "m", "t", "x", "nd", "st", "rk", "ng"]
BASE_MODELS = (("SDXL 1.0", 30), ("SD 1.5", 22), ("Pony", 15), ("Flux.1 D", 12), ("Illustrious", 10),
               ("SD 3.5", 5), ("NoobAI", 4), ("SD 2.1", 2))
TYPES = (("lora", 75), ("checkpoint", 12), ("embedding", 8), ("vae", 5))


def _vocabulary(rng: random.Random, n: int, syllables: tuple[int, int]) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < n:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(rng.randint(*syllables)))
        if 3 <= len(word) <= 12:
            out[word] = None
    return list(out)


def _zipf(n: int, s: float = 1.0) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1 / rank**s
        cum.append(total)
    return cum


class Catalog:
    """Deterministic models and curators. Every model is drawn independently from the same distributions,
    so the first ``--small`` models are a sample of the same catalog as all ``--large``."""

    def __init__(self, seed: int, curators: int = 500) -> None:
        from chalicelib.models import Role, User

        self.rng = random.Random(seed)
        rng = self.rng
        self.desc_words = _vocabulary(rng, 5000, (1, 3))
        self.title_words = _vocabulary(rng, 1500, (1, 3))
        self.trigger_words = _vocabulary(rng, 3000, (2, 3))
        tag_words = _vocabulary(rng, 220, (1, 2))
        tags: dict[str, None] = {}
        while len(tags) < 300:
            tags[" ".join(rng.sample(tag_words, rng.choice((1, 1, 1, 2))))] = None
        self.tags = list(tags)
        self.desc_cum, self.title_cum, self.tag_cum = _zipf(5000), _zipf(1500, 0.9), _zipf(300)
        self.curator_cum = _zipf(curators)
        names = _vocabulary(rng, 800, (1, 3))
        self.users = [User(id=f"u{i:04d}{rng.getrandbits(32):08x}", email=f"curator{i}@bench.test",
                           display_name=f"{rng.choice(names).title()} {rng.choice(names).title()}",
                           role=Role.CURATOR, password_hash="-", created_at=NOW - 9e7, updated_at=NOW - 9e7)
                      for i in range(curators)]
        self.owners = {u.id: u for u in self.users}

    def model(self, n: int):
        from chalicelib.models import AssetStatus, ModelAsset

        rng = self.rng
        title = " ".join(w.title() for w in rng.choices(self.title_words, cum_weights=self.title_cum, k=rng.randint(2, 4)))
        if rng.random() < 0.2:
            title += f" v{rng.randint(1, 5)}"
        description = " ".join(rng.choices(self.desc_words, cum_weights=self.desc_cum, k=rng.randint(5, 12)))
        tags: list[str] = []
        for tag in rng.choices(self.tags, cum_weights=self.tag_cum, k=12):
            if tag not in tags:
                tags.append(tag)
        owner = rng.choices(self.users, cum_weights=self.curator_cum)[0]
        created = round(NOW - rng.uniform(0, 2 * 365 * 86400), 3)
        return ModelAsset(
            id=f"m{n:07d}{rng.getrandbits(40):010x}", owner_id=owner.id, title=title,
            status=AssetStatus.PROCESSING if rng.random() < 0.01 else AssetStatus.READY,
            created_at=created, updated_at=created, description=description.capitalize() + ".",
            trigger_words=rng.sample(self.trigger_words, rng.choice((1, 1, 2))), tags=tags[:rng.randint(2, 5)],
            visibility="private" if rng.random() < 0.07 else "public",
            moderation="flagged" if rng.random() < 0.01 else "active", is_adult=rng.random() < 0.1,
            kind=rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0],
            base_model=rng.choices([b for b, _ in BASE_MODELS], weights=[w for _, w in BASE_MODELS])[0],
            download_count=int(rng.lognormvariate(3, 1.8)), like_count=int(rng.lognormvariate(1.5, 1.5)))

    def models(self, start: int, stop: int) -> list:
        return [self.model(n) for n in range(start, stop)]


# -- bulk loading ------------------------------------------------------------------------------
@dataclass
class LoadCounts:
    models: int = 0
    postings: int = 0
    documents: int = 0
    counters: int = 0
    requests: int = 0
    throttled_retries: int = 0


class BulkLoader:
    """Files assets the way ``SearchIndexRepository.apply()`` does, in bulk: postings from the repository's
    own ``_postings``, the document as ``DocItem`` (version 1), counters as ``CounterItem`` totals."""

    def __init__(self, threads: int, write_records: bool = True) -> None:
        from chalicelib.repositories.catalog import ModelRepository
        from chalicelib.repositories.search_index import SearchIndexRepository

        self.threads = threads
        self.write_records = write_records
        self.client = ddb_client(threads + 4)
        self.index = SearchIndexRepository()
        self.models = ModelRepository()
        self.counters: Counter = Counter()  # (audience, term) -> assets, cumulative over phases
        self.totals = LoadCounts()

    def _write(self, items: list[tuple[str, dict]], counts: LoadCounts) -> None:
        for start in range(0, len(items), BATCH):
            request: dict[str, list] = {}
            for table, item in items[start:start + BATCH]:
                request.setdefault(table, []).append({"PutRequest": {"Item": item}})
            delay = 0.05
            while request:
                response = self.client.batch_write_item(RequestItems=request)
                counts.requests += 1
                request = response.get("UnprocessedItems") or {}
                if request:
                    counts.throttled_retries += 1
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)

    def _items(self, record, owners: dict) -> tuple[list[tuple[str, dict]], list[tuple[str, str]], LoadCounts]:
        from chalicelib.repositories.search_index import DocItem, _doc_key, sort_keys
        from chalicelib.services.search_service import build_doc

        doc = build_doc(KIND, record, owners.get(record.owner_id))
        postings = self.index._postings(doc)
        search_table = postings[0].Meta.table_name
        items = [(search_table, p.serialize()) for p in postings]
        items.append((DocItem.Meta.table_name, DocItem(_doc_key(KIND, record.id), "D", audience=doc.audience,
                                            terms=set(doc.terms) or None, sort_key=sort_keys(doc)["sk"],
                                            version=1).serialize()))
        if self.write_records:
            items.append((self.models.item_cls.Meta.table_name, self.models._to_item(record).serialize()))
        return items, [(doc.audience, t) for t in doc.terms], LoadCounts(1, len(postings), 1)

    def _task(self, records: list, owners: dict) -> tuple[LoadCounts, Counter]:
        items: list[tuple[str, dict]] = []
        terms: Counter = Counter()
        counts = LoadCounts()
        for record in records:
            its, keys, c = self._items(record, owners)
            items += its
            terms.update(keys)
            counts.models += c.models
            counts.postings += c.postings
            counts.documents += c.documents
        self._write(items, counts)
        return counts, terms

    def load(self, records: list, owners: dict, progress=None) -> LoadCounts:
        phase = LoadCounts()
        chunks = [records[i:i + CHUNK] for i in range(0, len(records), CHUNK)]
        with ThreadPoolExecutor(self.threads) as pool:
            for counts, terms in pool.map(lambda chunk: self._task(chunk, owners), chunks):
                for name in ("models", "postings", "documents", "requests", "throttled_retries"):
                    setattr(phase, name, getattr(phase, name) + getattr(counts, name))
                self.counters.update(terms)
                if progress:
                    progress(counts.models)
        phase.counters = self.flush_counters(phase)
        for name in ("models", "postings", "documents", "counters", "requests", "throttled_retries"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(phase, name))
        self.totals.counters = len(self.counters)
        return phase

    def flush_counters(self, counts: LoadCounts) -> int:
        from chalicelib.repositories.search_index import CounterItem

        table = CounterItem.Meta.table_name
        items = [(table, CounterItem(f"C#{KIND}#{audience}", term, n=n).serialize())
                 for (audience, term), n in sorted(self.counters.items())]
        for start in range(0, len(items), BATCH * 40):
            self._write(items[start:start + BATCH * 40], counts)
        return len(items)


def scan_items(client, table: str) -> dict[tuple, dict]:
    """Every item of ``table`` by key, string sets sorted so that two scans compare equal."""
    out = {}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            normal = {k: ({"SS": sorted(v["SS"])} if "SS" in v else v) for k, v in item.items()}
            out[(item["pk"]["S"], item.get("sk", {}).get("S"))] = normal
    return out


def delete_all(client, table: str, keys) -> None:
    keys = list(keys)
    for start in range(0, len(keys), BATCH):
        request = {table: [{"DeleteRequest": {"Key": {"pk": {"S": pk}, **({"sk": {"S": sk}} if sk is not None else {})}}}
                           for pk, sk in keys[start:start + BATCH]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def verify_layout(loader: BulkLoader, records: list, owners: dict) -> dict:
    """Index one asset at a time the production way (``SearchIndexer.refresh``: stored record and owner ->
    ``build_doc`` -> ``SearchIndexRepository.apply()``), snapshot; remove; bulk-load the same assets,
    snapshot; compare; remove."""
    from chalicelib.repositories.catalog import ImageRepository
    from chalicelib.repositories.users import UserRepository
    from chalicelib.services.search_service import SearchIndexer

    client = loader.client
    compared = sorted({cls.Meta.table_name for cls in search_classes()} | {loader.models.item_cls.Meta.table_name})
    for table in compared:
        if scan_items(client, table):
            raise SystemExit(f"table {table} is not empty: the layout check needs a fresh DynamoDB Local")

    def never_queue(kind, asset_id):
        raise AssertionError(f"indexing {kind} {asset_id} was queued instead of done")

    indexer = SearchIndexer(loader.index, loader.models, ImageRepository(), None, UserRepository(), never_queue)
    for record in records:
        loader.models.save(record)
        indexer.refresh(KIND, record.id)
    reference = {table: scan_items(client, table) for table in compared}
    for table, items in reference.items():
        delete_all(client, table, items)
    scratch = BulkLoader(1)
    scratch.load(records, owners)
    bulk = {table: scan_items(client, table) for table in compared}
    for table, items in bulk.items():
        delete_all(client, table, items)
    report = {"assets": len(records), "items": {logical_table(t): len(reference[t]) for t in compared}}
    for table in compared:
        missing = set(reference[table]) - set(bulk[table])
        extra = set(bulk[table]) - set(reference[table])
        differing = [k for k in set(reference[table]) & set(bulk[table]) if reference[table][k] != bulk[table][k]]
        if missing or extra or differing:
            example = differing[0] if differing else None
            raise SystemExit(f"bulk writer differs from SearchIndexer.refresh() on {table}: missing={sorted(missing)[:3]} "
                             f"extra={sorted(extra)[:3]} differing={len(differing)} e.g. {example}: "
                             f"{reference[table].get(example)} != {bulk[table].get(example)}")
    report["identical"] = True
    return report


# -- measuring ---------------------------------------------------------------------------------
class CapacityMeter:
    """Over every DynamoDB read the attached clients make: consumed capacity, request count, and the time
    spent in each kind of call (botocore (de)serialisation included): ``postings`` (Query on the search
    table), ``counters`` (BatchGet on it), ``records`` (BatchGet on models), ``owners`` (BatchGet on users)."""

    OPS = {"GetItem", "BatchGetItem", "Query", "Scan"}
    PARTS = {("Query", "search"): "postings", ("BatchGetItem", "search"): "counters",
             ("BatchGetItem", "search-meta"): "counters", ("BatchGetItem", "models"): "records",
             ("BatchGetItem", "users"): "owners"}

    def __init__(self) -> None:
        self.attached: set[int] = set()
        self.reset()

    def attach(self, client) -> None:
        if id(client) not in self.attached:
            self.attached.add(id(client))
            client.meta.events.register("provide-client-params.dynamodb.*", self._params)
            client.meta.events.register("after-call.dynamodb.*", self._after)

    def _params(self, params, model, context, **_):
        if model.name in self.OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
            table = params.get("TableName") or next(iter(params.get("RequestItems") or {}), "")
            context["bench_part"] = self.PARTS.get((model.name, logical_table(table)), "other")
            context["bench_t0"] = time.perf_counter()

    def _after(self, parsed, model, context, **_):
        if model.name not in self.OPS:
            return
        part = context.get("bench_part", "other")
        self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - context.get("bench_t0", time.perf_counter())
        self.requests += 1
        consumed = parsed.get("ConsumedCapacity") or []
        for c in consumed if isinstance(consumed, list) else [consumed]:
            self.capacity += float(c.get("CapacityUnits") or 0)

    def reset(self) -> tuple[float, int, dict[str, float]]:
        out = (getattr(self, "capacity", 0.0), getattr(self, "requests", 0), getattr(self, "seconds", {}))
        self.capacity, self.requests, self.seconds = 0.0, 0, {}
        return out


class SearchTables:
    """Points the search index's PynamoDB models at one of two sets of tables (a small and a large catalog
    in the same DynamoDB Local), keeping one connection per table so switching costs nothing. The query
    code itself is untouched; only ``Meta.table_name`` (read at import) is swapped."""

    def __init__(self) -> None:
        self.classes = search_classes()
        self.logical = {cls: logical_table(cls.Meta.table_name) for cls in self.classes}
        self.connections: dict[tuple[type, str], object] = {}

    def use(self, prefix: str) -> None:
        for cls in self.classes:
            table = f"{prefix}-{self.logical[cls]}"
            if cls.Meta.table_name != table:
                self.connections[(cls, cls.Meta.table_name)] = cls._connection
                cls.Meta.table_name = table
                cls._connection = self.connections.get((cls, table))


def search_classes() -> tuple:
    """The PynamoDB models of the search index (postings, documents, counters, markers)."""
    from chalicelib.repositories import search_index as si

    return tuple(getattr(si, name) for name in ("PostingItem", "DocItem", "CounterItem", "MarkerItem"))


def logical_table(physical: str) -> str:
    for prefix in (PREFIX_COPY, PREFIX):
        if physical.startswith(prefix + "-"):
            return physical[len(prefix) + 1:]
    return physical


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[max(0, math.ceil(q * len(s)) - 1)]


@dataclass
class Scale:
    """One catalog to measure: its search table and the models loaded into it."""

    label: str
    prefix: str  # of the search index's tables
    records: list


class Bench:
    def __init__(self, catalog: Catalog, seed: int, tables: SearchTables) -> None:
        from chalicelib.repositories.catalog import ImageRepository, ModelRepository
        from chalicelib.repositories.search_index import SearchIndexRepository
        from chalicelib.repositories.users import UserRepository
        from chalicelib.services.search_service import SearchService

        self.catalog = catalog
        self.tables = tables
        self.models_repo = ModelRepository()
        self.service = SearchService(SearchIndexRepository(), self.models_repo, ImageRepository(), None, UserRepository())
        self.meter = CapacityMeter()
        self.client = ddb_client()
        self.ref_meter = CapacityMeter()
        self.ref_meter.attach(self.client)
        self.models_table = self.models_repo.item_cls.Meta.table_name
        self.seed = seed

    def _attach(self) -> None:
        from chalicelib.repositories.search_index import CounterItem, PostingItem
        from chalicelib.repositories.users import UserItem

        for model in (PostingItem, CounterItem, self.models_repo.item_cls, UserItem):
            self.meter.attach(model._get_connection().connection.client)

    # parameters are drawn from the guest-visible assets loaded so far
    def _params(self, rng: random.Random, pool: list, name: str):
        from chalicelib.services.search_service import SearchQuery
        from chalicelib.services.text import words

        def asset():
            return pool[rng.randrange(len(pool))]

        if name == "browse_newest":
            return SearchQuery(kind=KIND)
        if name == "browse_downloads":
            return SearchQuery(kind=KIND, sort="downloads")
        if name in ("one_tag", "page2_tag"):
            return SearchQuery(kind=KIND, tags=[rng.choice(asset().tags)])
        if name == "two_tags":
            return SearchQuery(kind=KIND, tags=rng.sample(asset().tags, 2))
        if name == "base_model_by_name":
            return SearchQuery(kind=KIND, base_model=asset().base_model, sort="name")
        if name == "text_word":
            a = asset()
            return SearchQuery(kind=KIND, text=rng.choice(words(a.title + " " + a.description)))
        if name == "text_prefix":
            while True:
                a = asset()
                long = [w for w in words(a.title + " " + a.description) if len(w) >= 5]
                if long:
                    return SearchQuery(kind=KIND, text=rng.choice(long)[:rng.choice((3, 4))])
        if name == "text_and_tag":
            a = asset()
            return SearchQuery(kind=KIND, text=rng.choice(words(a.title)), tags=[rng.choice(a.tags)])
        if name == "curator":
            return SearchQuery(kind=KIND, curator_id=asset().owner_id)
        raise ValueError(name)

    def _search(self, query, cursor=None):
        self._attach()
        self.meter.reset()
        t0 = time.perf_counter()
        page = self.service.search(None, query, cursor, PAGE_SIZE)
        elapsed = time.perf_counter() - t0
        capacity, requests, parts = self.meter.reset()
        return elapsed, page, capacity, requests, parts

    def _sample(self, rng: random.Random, pool: list, name: str):
        query = self._params(rng, pool, name)
        if name != "page2_tag":
            return self._search(query)
        for _ in range(50):
            first = self.service.search(None, query, None, PAGE_SIZE)
            if first.cursor:
                return self._search(query, first.cursor)
            query = self._params(rng, pool, name)
        raise RuntimeError("no tag with a second page")

    def _reference(self, rng: random.Random, loaded: list) -> dict[str, tuple[float, float]]:
        record = loaded[rng.randrange(len(loaded))]
        out = {}
        self.ref_meter.reset()
        t0 = time.perf_counter()
        self.client.get_item(TableName=self.models_table, Key={"pk": {"S": record.id}})
        out["getitem"] = (time.perf_counter() - t0, self.ref_meter.reset()[0])
        owner = loaded[rng.randrange(len(loaded))].owner_id
        t0 = time.perf_counter()
        self.client.query(TableName=self.models_table, IndexName="by-owner", Limit=PAGE_SIZE, ScanIndexForward=False,
                          KeyConditionExpression="owner_id = :o", ExpressionAttributeValues={":o": {"S": owner}})
        out["gsi_query_24"] = (time.perf_counter() - t0, self.ref_meter.reset()[0])
        return out

    def measure(self, scales: list[Scale], runs: int, warmup: int, progress=None) -> dict[str, dict]:
        """``runs`` rounds after ``warmup``; each round samples every query on every scale (scale order
        alternating between rounds) and the references, so drift hits them all alike."""
        from chalicelib.services.search_service import audience

        rngs = {s.label: random.Random(self.seed * 7919 + len(s.records)) for s in scales}
        pools = {s.label: [r for r in s.records if audience(r) == "s"] for s in scales}
        samples = {s.label: {name: [] for name in QUERIES} for s in scales}
        refs = {s.label: {"getitem": [], "gsi_query_24": []} for s in scales}
        for i in range(warmup + runs):
            order = scales if i % 2 == 0 else scales[::-1]
            for name in QUERIES:
                for scale in order:
                    self.tables.use(scale.prefix)
                    result = self._sample(rngs[scale.label], pools[scale.label], name)
                    if i >= warmup:
                        samples[scale.label][name].append(result)
            for scale in order:
                for name, value in self._reference(rngs[scale.label], scale.records).items():
                    if i >= warmup:
                        refs[scale.label][name].append(value)
            if progress:
                progress(1)
        return {s.label: summarise(samples[s.label], refs[s.label]) for s in scales}


def summarise(samples: dict[str, list], refs: dict[str, list]) -> dict:
    from chalicelib.services.search_service import READ_BUDGET

    out: dict = {"reference": {}, "queries": {}}
    for name, values in refs.items():
        times = [v[0] for v in values]
        out["reference"][name] = {"p50_ms": ms(pct(times, 0.5)), "p95_ms": ms(pct(times, 0.95)), "max_ms": ms(max(times)),
                                  "rcu_mean": round(statistics.fmean(v[1] for v in values), 3), "n": len(values)}
    for name, values in samples.items():
        times = [v[0] for v in values]
        full = [v[0] for v in values if len(v[1].items) == PAGE_SIZE]
        evaluated = [v[1].stats.get("evaluated", 0) for v in values]
        drivers = Counter(v[1].stats["driver"].split(":", 1)[0] for v in values)
        parts = {part: round(statistics.fmean(v[4].get(part, 0.0) for v in values) * 1000, 2)
                 for part in ("counters", "postings", "records", "owners", "other")}
        parts["outside_dynamodb"] = round(statistics.fmean(v[0] - sum(v[4].values()) for v in values) * 1000, 2)
        out["queries"][name] = {
            "p50_ms": ms(pct(times, 0.5)), "p95_ms": ms(pct(times, 0.95)), "max_ms": ms(max(times)),
            "over_1s": sum(t > 1 for t in times),
            # full pages only: the same amount of work per page (24 records fetched and re-checked) at any scale
            "full_page_p50_ms": ms(pct(full, 0.5)) if full else None,
            "full_page_p95_ms": ms(pct(full, 0.95)) if full else None,
            "mean_ms_by_part": parts,
            "rcu_index_mean": round(statistics.fmean(v[1].stats.get("consumed", 0.0) for v in values), 3),
            "rcu_total_mean": round(statistics.fmean(v[2] for v in values), 3),
            "requests_mean": round(statistics.fmean(v[3] for v in values), 2),
            "evaluated_mean": round(statistics.fmean(evaluated), 1), "evaluated_p95": pct(evaluated, 0.95),
            "budget_exhausted": sum(e >= READ_BUDGET for e in evaluated),
            "driver_count_mean": round(statistics.fmean(v[1].stats.get("driverCount", 0) for v in values), 1),
            "results_mean": round(statistics.fmean(len(v[1].items) for v in values), 2),
            "full_pages": len(full), "empty_pages": sum(not v[1].items for v in values),
            "with_cursor": sum(v[1].cursor is not None for v in values),
            "drivers": dict(drivers.most_common()), "n": len(values)}
    return out


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- output ------------------------------------------------------------------------------------
class Progress:
    """A rich progress bar on stderr per task when rich is installed, else a line every 10%."""

    def __init__(self) -> None:
        try:
            import rich.progress as rp
            from rich.console import Console

            self._columns = (rp.TextColumn("{task.description}"), rp.BarColumn(), rp.MofNCompleteColumn(),
                             rp.TimeElapsedColumn(), rp.TimeRemainingColumn())
            self._rich, self._console = rp.Progress, Console(stderr=True)
        except ImportError:
            self._rich = None

    def task(self, description: str, total: int):
        if self._rich is not None:
            bar = self._rich(*self._columns, console=self._console)
            bar.start()
            task_id = bar.add_task(description, total=total)

            def advance(n: int) -> None:
                bar.advance(task_id, n)
                if bar.tasks[0].finished:
                    bar.stop()
            return advance
        state = {"done": 0, "next": total / 10}

        def advance_plain(n: int) -> None:
            state["done"] += n
            if state["done"] >= state["next"] or state["done"] >= total:
                log(f"{description}: {state['done']}/{total}")
                state["next"] += total / 10
        return advance_plain


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(b / a, 2) if a and b is not None else None


def compare(small: dict, large: dict) -> dict:
    """large/small ratios per query and reference, plus ratios to the reference measured alongside."""
    ref_s, ref_l = small["reference"], large["reference"]
    out: dict = {name: {"ratio_p95_large_to_small": _ratio(ref_s[name]["p95_ms"], ref_l[name]["p95_ms"]),
                        "ratio_p50_large_to_small": _ratio(ref_s[name]["p50_ms"], ref_l[name]["p50_ms"])}
                 for name in ref_s}
    drift = out["gsi_query_24"]["ratio_p95_large_to_small"]
    for name in QUERIES:
        a, b = small["queries"][name], large["queries"][name]
        ratio = _ratio(a["p95_ms"], b["p95_ms"])
        out[name] = {
            "ratio_p95_large_to_small": ratio, "ratio_p50_large_to_small": _ratio(a["p50_ms"], b["p50_ms"]),
            "meets_target": ratio <= TARGET_P95_RATIO,
            # the same ratio divided by the reference Query's own large/small p95 ratio (machine drift)
            "ratio_p95_over_reference_ratio": round(ratio / drift, 2) if drift else None,
            "ratio_full_page_p95_large_to_small": _ratio(a["full_page_p95_ms"], b["full_page_p95_ms"]),
            "ratio_postings_ms_large_to_small": _ratio(a["mean_ms_by_part"]["postings"], b["mean_ms_by_part"]["postings"]),
            "ratio_rcu_index_large_to_small": _ratio(a["rcu_index_mean"], b["rcu_index_mean"]),
            "ratio_evaluated_large_to_small": _ratio(a["evaluated_mean"], b["evaluated_mean"]),
            "ratio_p50_to_ref_getitem_small": _ratio(ref_s["getitem"]["p50_ms"], a["p50_ms"]),
            "ratio_p50_to_ref_getitem_large": _ratio(ref_l["getitem"]["p50_ms"], b["p50_ms"]),
            "ratio_p95_to_ref_query_small": _ratio(ref_s["gsi_query_24"]["p95_ms"], a["p95_ms"]),
            "ratio_p95_to_ref_query_large": _ratio(ref_l["gsi_query_24"]["p95_ms"], b["p95_ms"]),
        }
    return out


def table(title: str, small: dict, large: dict, comparison: dict) -> str:
    head = (f"{'query':<19} {'p50 s':>7} {'p95 s':>7} {'p50 L':>7} {'p95 L':>7} {'p95x':>5} {'ok':>3} {'/ref':>5} "
            f"{'fullx':>5} {'postings ms':>12} {'rcu_idx':>13} {'rcu_all':>13} {'evaluated':>12} {'results':>11} "
            f"{'vs ref':>6}")
    lines = [title, head, "-" * len(head)]

    def pair(a, b, key, alt=None):
        return f"{a.get(key, a.get(alt, ''))}/{b.get(key, b.get(alt, ''))}"

    for name, c in comparison.items():
        is_ref = name not in small["queries"]
        a = small["reference" if is_ref else "queries"][name]
        b = large["reference" if is_ref else "queries"][name]
        ok = "" if is_ref else ("yes" if c["meets_target"] else "NO")
        postings = "" if is_ref else f"{a['mean_ms_by_part']['postings']}/{b['mean_ms_by_part']['postings']}"
        lines.append(
            f"{name:<19} {a['p50_ms']:>7} {a['p95_ms']:>7} {b['p50_ms']:>7} {b['p95_ms']:>7} "
            f"{c['ratio_p95_large_to_small']:>5} {ok:>3} {c.get('ratio_p95_over_reference_ratio', '') or '':>5} "
            f"{c.get('ratio_full_page_p95_large_to_small', '') or '':>5} {postings:>12} "
            f"{pair(a, b, 'rcu_index_mean', 'rcu_mean'):>13} {pair(a, b, 'rcu_total_mean', 'rcu_mean'):>13} "
            f"{pair(a, b, 'evaluated_mean'):>12} {pair(a, b, 'results_mean'):>11} "
            f"{c.get('ratio_p95_to_ref_query_large', ''):>6}")
    lines.append("ms; s = small, L = large, a/b = small/large (means); p95x = p95 L / p95 s (target <= "
                 f"{TARGET_P95_RATIO}); /ref = p95x / the GSI reference's p95x; fullx = p95x over full pages only; "
                 "vs ref = p95 L / p95 L of the 24-item GSI Query")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=None, help="interleaved rounds discarded first [runs/10, >= 5]")
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="port for our DynamoDB Local [a free one]")
    parser.add_argument("--heap", default="4g", help="DynamoDB Local JVM -Xmx [4g]")
    parser.add_argument("--jar-dir", help="directory of DynamoDBLocal.jar [$VS_DATA_DIR/stack/dynamodb-local]")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true", help="leave DynamoDB Local running at the end")
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    if args.small <= VERIFY_ASSETS:
        parser.error(f"--small must exceed {VERIFY_ASSETS}")
    warmup = args.warmup if args.warmup is not None else max(5, args.runs // 10)
    small_label, large_label = str(args.small), str(args.large)

    # the search code as imported by this run (others may edit it while a long run goes on)
    code = {path: hashlib.sha256((ROOT / path).read_bytes()).hexdigest()[:12] for path in CODE}
    port = args.port or free_port()
    started = time.perf_counter()
    for sig in (signal.SIGTERM, signal.SIGHUP):  # `kill <pid>` still runs the finally below (stops our DB)
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    ddb = DynamoDBLocal(jar_dir(args.jar_dir), port, args.heap)
    log(f"DynamoDB Local {ddb.version} on port {port} (pid {ddb.proc.pid}, -Xmx{args.heap}, -inMemory)")
    try:
        configure_environment(port)
        from infra.bootstrap import _create_tables

        _create_tables(ddb_client(), PREFIX)
        _create_tables(ddb_client(), PREFIX_COPY)
        from chalicelib.repositories.users import UserRepository
        from chalicelib.services.search_service import READ_BUDGET, audience

        catalog = Catalog(args.seed)
        users = UserRepository()
        for user in catalog.users:
            users.create(user)
        t0 = time.perf_counter()
        records = catalog.models(0, args.small)
        log(f"generated {len(records)} models in {time.perf_counter() - t0:.1f}s")
        loader = BulkLoader(args.threads)
        verification = verify_layout(loader, records[:VERIFY_ASSETS], catalog.owners)
        log(f"layout check: bulk writer == SearchIndexer.refresh() for {verification['assets']} assets "
            f"(items per table: {verification['items']})")
        progress = Progress()
        tables = SearchTables()
        bench = Bench(catalog, args.seed, tables)
        loads, sequential = {}, {}
        for target in (args.small, args.large):
            if target > len(records):
                t0 = time.perf_counter()
                batch = catalog.models(len(records), target)
                log(f"generated {len(batch)} models in {time.perf_counter() - t0:.1f}s")
                records += batch
            else:
                batch = records
            t0, mark = time.perf_counter(), ddb.gc_mark()
            phase = loader.load(batch, catalog.owners, progress.task(f"load to {target}", len(batch)))
            seconds = time.perf_counter() - t0
            items = phase.postings + phase.documents + phase.models + phase.counters
            loads[str(target)] = {
                "models_added": phase.models, "postings_added": phase.postings, "documents_added": phase.documents,
                "counters_written": phase.counters, "items_written": items, "batch_requests": phase.requests,
                "unprocessed_retries": phase.throttled_retries, "seconds": round(seconds, 1),
                "items_per_s": round(items / seconds), "postings_per_model": round(phase.postings / phase.models, 2),
                "postings_total": loader.totals.postings, "documents_total": loader.totals.documents,
                "counters_total": len(loader.counters),
                "models_table_items": loader.totals.models, "ddb_rss_mib": ddb.rss_mib(),
                "jvm_gc_pauses": ddb.gc_pauses(mark)}
            log(f"loaded {phase.models} models ({items} items) in {seconds:.0f}s, {items / seconds:.0f} items/s")
            mark = ddb.gc_mark()
            sequential.update(bench.measure([Scale(str(target), PREFIX, list(records))], args.runs, warmup,
                                            progress.task(f"measure at {target}", args.runs + warmup)))
            sequential[str(target)].update(ddb_rss_mib=ddb.rss_mib(), jvm_gc_pauses=ddb.gc_pauses(mark))

        # Same window: the small catalog's index again, in its own search table of the same (now large)
        # DynamoDB Local, measured interleaved with the large one, so machine drift cancels out.
        small_records = records[:args.small]
        tables.use(PREFIX_COPY)
        copy_loader = BulkLoader(args.threads, write_records=False)  # model records and users are shared
        t0 = time.perf_counter()
        copy_loader.load(small_records, catalog.owners)
        copy_seconds = round(time.perf_counter() - t0, 1)
        tables.use(PREFIX)
        mark = ddb.gc_mark()
        same_window = bench.measure([Scale(small_label, PREFIX_COPY, small_records), Scale(large_label, PREFIX, records)],
                                    args.runs, warmup, progress.task("measure both, interleaved", args.runs + warmup))
        same_window["jvm_gc_pauses"] = ddb.gc_pauses(mark)
        comparison = {"sequential": compare(sequential[small_label], sequential[large_label]),
                      "same_window": compare(same_window[small_label], same_window[large_label])}
        audiences = Counter(audience(r) for r in records)
        result = {
            "bench": "search_scale", "store": f"DynamoDB Local {ddb.version} -inMemory -Xmx{args.heap}",
            "page_size": PAGE_SIZE, "read_budget": READ_BUDGET, "viewer": "guest", "runs": args.runs,
            "warmup_rounds": warmup, "threads": args.threads, "seed": args.seed, "target_p95_ratio": TARGET_P95_RATIO,
            "catalog": {"models": len(records), "curators": len(catalog.users), "tags": len(catalog.tags),
                        "description_words": len(catalog.desc_words), "title_words": len(catalog.title_words),
                        "base_models": len(BASE_MODELS), "audiences": dict(audiences),
                        "distinct_counters": len(loader.counters)},
            "code_sha256": code,
            "layout_check": verification, "load": loads, "small_copy_load_s": copy_seconds,
            "sequential": sequential, "same_window": same_window, "comparison": comparison,
            "all_meet_target": {method: all(c[q]["meets_target"] for q in QUERIES) for method, c in comparison.items()},
        }
        result["wall_s"] = round(time.perf_counter() - started, 1)
        log(table(f"SEQUENTIAL (measured after each load) {small_label} vs {large_label}",
                  sequential[small_label], sequential[large_label], comparison["sequential"]))
        log(table(f"SAME WINDOW (both catalogs in one DynamoDB Local, interleaved) {small_label} vs {large_label}",
                  same_window[small_label], same_window[large_label], comparison["same_window"]))
        print(json.dumps(result, indent=1))
    finally:
        if args.keep:
            log(f"--keep: DynamoDB Local left running on port {port}, pid {ddb.proc.pid} (kill -- -{ddb.proc.pid})")
        else:
            ddb.stop()


if __name__ == "__main__":
    main()
