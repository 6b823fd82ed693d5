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
    """The earlier whole-table job's message: start a batched safety recalculation instead."""
    run = container.safety_service().start_recalculation(None, "recompute-adult")
    logger.info("safety recalculation started", extra={"runId": run.id})


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


@task("delete-user")
def _delete_user(body: dict) -> None:
    """One batch of an account deletion (content moved or removed, then the account); re-queues itself."""
    user_id = body.get("userId")
    if not valid_id(user_id):
        logger.warning("discarding malformed delete-user task")
        return
    delay = container.user_admin_service().run_deletion(user_id)
    if delay is not None:
        container.ingest_queue().send({"task": "delete-user", "userId": user_id}, delay_seconds=delay)


@task("safety-recalculate")
def _safety_recalculate(body: dict) -> None:
    """One bounded batch of a safety recalculation run; the service queues the next one."""
    run_id, step = body.get("runId"), body.get("step")
    if not valid_id(run_id) or isinstance(step, bool) or not isinstance(step, int) or step < 0:
        logger.warning("discarding malformed safety-recalculate task")
        return
    outcome = container.safety_service().process_batch(run_id, step)
    logger.info("safety recalculation batch", extra={"runId": run_id, "step": step, "outcome": outcome})


@task("rank-refresh")
def _rank_refresh(body: dict) -> None:
    """A user's public contributions changed: store their current score and leaderboard place."""
    user_id = body.get("userId")
    if not valid_id(user_id):
        logger.warning("discarding malformed rank-refresh task")
        return
    container.ranking_service().refresh_queued(user_id)


@task("rank-recompute")
def _rank_recompute(body: dict) -> None:
    """One batch of the recompute after a weight change; re-queues itself for the next batch."""
    generation, after = body.get("generation"), body.get("after")
    if isinstance(generation, bool) or not isinstance(generation, int) or not (after is None or isinstance(after, dict)):
        logger.warning("discarding malformed rank-recompute task")
        return
    following = container.ranking_service().recompute_batch(generation, after)
    if following:
        container.ingest_queue().send(following)


@task("purge-asset")
def _purge_asset(body: dict) -> None:
    """Delete the files of an asset removed by moderation (its record stays); idempotent."""
    kind, asset_id = body.get("kind"), body.get("id")
    if kind not in ("model", "image") or not valid_id(asset_id):
        logger.warning("discarding malformed purge-asset task")
        return
    deleted = container.moderation_service().purge(kind, asset_id)
    logger.info("removed asset purged", extra={"kind": kind, "assetId": asset_id, "objects": deleted})
