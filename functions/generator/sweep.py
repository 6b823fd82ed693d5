"""Scheduled (EventBridge): fail generation jobs that are still active past their deadline."""
from __future__ import annotations

from chalicelib import container, observability

logger = observability.get_logger("sweep-jobs")
metrics = observability.get_metrics("sweep-jobs")
tracer = observability.get_tracer("sweep-jobs")
BATCH_LIMIT = 100  # bounded work per run; the next run picks up the rest


@observability.invocation(logger, metrics, tracer)
def handler(event, context):
    trigger = event.get("id") if isinstance(event, dict) else None
    report = container.generator_service().sweep_overdue(BATCH_LIMIT, trigger)
    metrics.count("JobsTimedOut", report["count"])
    logger.info("sweep finished", extra={"count": report["count"], "more": report["more"], "errors": report["errors"],
                                         "errorSamples": report["errorSamples"]})
    return report
