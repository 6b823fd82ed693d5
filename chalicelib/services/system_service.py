"""The admin system view: queue depths and their dead letters, redrive, last scheduled runs.

Redrive is done by hand (receive from the DLQ, send to the source queue, delete what was sent):
StartMessageMoveTask is not implemented by moto and only partly by LocalStack. Delivery stays
at-least-once, which every consumer tolerates (handlers are idempotent):

- a received dead letter is hidden from other receivers for ``HIDE_SECONDS``, so two concurrent
  redrives move disjoint messages;
- a message is deleted from the DLQ only after the source queue accepted it; should the process
  stop (or a delete fail) in between, the message reappears in the DLQ and a later redrive sends it
  again: a duplicate, never a loss.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from chalicelib.errors import Conflict, NotFound
from chalicelib.models import User

log = logging.getLogger(__name__)

REDRIVE_DEFAULT = 100
REDRIVE_MAX = 1000
HIDE_SECONDS = 60  # longer than one batch takes; a message not moved is released at once
REDRIVE_SECONDS = 20.0  # below API Gateway's 29 s integration timeout; the admin runs it again for more
BATCH = 10  # SQS receive and send batches
OPS_METRICS = "ops-metrics"  # the schedule that publishes queue depths


class SystemService:
    def __init__(self, queue_urls: Callable[[], dict[str, str]], queues, reports: Callable[[], list[dict]],
                 health: Callable[[], dict], audit: Callable, record_run: Callable[[str, dict], None], metrics=None,
                 redrive_seconds: float = REDRIVE_SECONDS, clock=time.monotonic, wall_clock=time.time) -> None:
        self._queue_urls = queue_urls  # logical name -> URL of every queue the deployment has
        self._queues = queues  # messaging.QueueAdmin
        self._reports = reports
        self._health = health
        self._audit = audit
        self._record_run = record_run  # settings_service().record_schedule_run
        self._metrics = metrics
        self._redrive_seconds = redrive_seconds
        self._clock = clock
        self._wall_clock = wall_clock

    # -- the view -------------------------------------------------------------------------
    def overview(self) -> dict:
        return {"queues": self.queue_depths(), "schedules": self._schedules(), "health": self._health()}

    def queue_depths(self) -> list[dict]:
        """Per queue: visible, in flight and delayed messages, and its DLQ's. A queue that cannot be
        read is reported as such instead of failing the whole view."""
        depths = []
        for name, url in sorted(self._queue_urls().items()):
            entry = {"name": name, "reachable": True, "visible": None, "inFlight": None, "delayed": None,
                     "deadLetter": None}
            try:
                entry.update(self._queues.depth(url))
                dlq = self._queues.dead_letter_url(url)
                if dlq:
                    dead = self._queues.depth(dlq)
                    entry["deadLetter"] = {"visible": dead["visible"], "inFlight": dead["inFlight"]}
            except Exception:
                log.warning("queue %s could not be read", name, exc_info=True)
                entry["reachable"] = False
            depths.append(entry)
        return depths

    def _schedules(self) -> list[dict]:
        try:
            reports = self._reports()
        except Exception:
            log.warning("scheduled run reports could not be read", exc_info=True)
            return []
        return list(reports)  # in the order the cleanup service lists its jobs

    def publish_depths(self, trigger: str | None = None) -> dict:
        """The scheduled ops-metrics run: queue depths as metrics (dimension: queue), and its report."""
        depths = self.queue_depths()
        for q in depths:
            if not q["reachable"] or self._metrics is None:
                continue
            self._metrics.count("QueueVisible", q["visible"], queue=q["name"])
            self._metrics.count("QueueInFlight", q["inFlight"], queue=q["name"])
            self._metrics.count("QueueDelayed", q["delayed"], queue=q["name"])
            if q["deadLetter"] is not None:
                self._metrics.count("DeadLetters", q["deadLetter"]["visible"], queue=q["name"])
        report = {"queues": {q["name"]: {k: q[k] for k in ("visible", "inFlight", "delayed", "deadLetter")}
                             for q in depths},
                  "unreachable": [q["name"] for q in depths if not q["reachable"]],
                  "ranAt": self._wall_clock(), "trigger": trigger}
        self._record_run(OPS_METRICS, report)
        return report

    # -- redrive --------------------------------------------------------------------------
    def redrive(self, actor: User, queue: str, max_messages: int = REDRIVE_DEFAULT) -> dict:
        """Move up to ``max_messages`` from the queue's DLQ back to the queue, within a time budget."""
        source = self._queue_urls().get(queue)
        if source is None:
            raise NotFound("No such queue")
        dlq = self._queues.dead_letter_url(source)
        if dlq is None:
            raise Conflict("This queue has no dead-letter queue")
        max_messages = max(1, min(REDRIVE_MAX, max_messages))
        deadline = self._clock() + self._redrive_seconds
        moved = failed = 0
        while moved + failed < max_messages and self._clock() < deadline:
            batch = self._queues.receive(dlq, min(BATCH, max_messages - moved - failed), HIDE_SECONDS)
            if not batch:
                break
            try:
                sent = self._queues.send_batch(source, batch)
            except Exception:
                log.warning("redrive of %s: sending to the source queue failed", queue, exc_info=True)
                sent = [False] * len(batch)
            done = [m.receipt_handle for m, ok in zip(batch, sent, strict=True) if ok]
            refused = [m.receipt_handle for m, ok in zip(batch, sent, strict=True) if not ok]
            self._queues.delete_batch(dlq, done)
            self._queues.release(dlq, refused)
            moved, failed = moved + len(done), failed + len(refused)
            if refused:
                break  # the source refuses messages: retrying them within this run changes nothing
        result = {"queue": queue, "moved": moved, "failed": failed, "deadLetter": self._queues.depth(dlq)["visible"]}
        self._audit().record(actor, "system.redrive", "queue", queue,
                             {"max": max_messages, "moved": moved, "failed": failed})
        return result
