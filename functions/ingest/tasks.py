"""Background tasks carried on the ingest queue as ``{"task": <name>, ...}`` messages.

Each task validates its own message (a malformed one is logged and dropped: retrying cannot fix
it) and must be idempotent: SQS delivers at least once. Long jobs process a bounded batch and
re-queue themselves with a cursor instead of outliving the Lambda timeout.
"""
from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Logger

from chalicelib import container
from chalicelib.services.search_service import KINDS

logger = Logger(service="visionsuit-ingest")
TASKS: dict[str, Callable[[dict], None]] = {}


def task(name: str):
    def register(fn: Callable[[dict], None]) -> Callable[[dict], None]:
        TASKS[name] = fn
        return fn

    return register


def valid_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


@task("recompute-adult")
def _recompute_adult(body: dict) -> None:
    from functions.ingest.pipeline import recompute_adult

    c = container.catalog()
    result = recompute_adult(c.models, c.versions, c.images, container.safety_service(), container.search_indexer())
    logger.info("adult flags recomputed", extra=result)


@task("reindex")
def _reindex(body: dict) -> None:
    kind, asset_id = body.get("kind"), body.get("id")
    if kind not in KINDS or not valid_id(asset_id):
        logger.warning("discarding malformed reindex task")
        return
    container.search_indexer().refresh_queued(kind, asset_id)


@task("reindex-owner")
def _reindex_owner(body: dict) -> None:
    owner_id = body.get("ownerId")
    if valid_id(owner_id):
        logger.info("owner's assets re-indexed", extra={"assets": container.search_indexer().reindex_owner(owner_id)})


@task("reindex-all")
def _reindex_all(body: dict) -> None:
    for kind in KINDS:
        logger.info("search index rebuilt", extra={"kind": kind, "assets": container.search_indexer().reindex_all(kind)})


@task("announce")
def _announce(body: dict) -> None:
    """One batch of an announcement's fan-out; re-queues itself for the next batch."""
    title, message, after = body.get("title"), body.get("message"), body.get("after")
    if not valid_id(body.get("id")) or not isinstance(title, str) or not isinstance(message, str) \
            or not (after is None or isinstance(after, dict)):
        logger.warning("discarding malformed announce task")
        return
    actor = body.get("actorId") if valid_id(body.get("actorId")) else None
    next_key = container.notification_service().deliver_announcement(body["id"], title, message, actor, after)
    if next_key:
        container.ingest_queue().send({**body, "after": next_key})
