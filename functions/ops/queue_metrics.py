"""Scheduled (EventBridge, every 5 minutes; ``ops-metrics``): queue and dead-letter depths as metrics.

SQS publishes its own depth metrics on AWS, but not per deployment prefix alongside ours, and not
at all on LocalStack/MinIO-style deployments; one small run puts them in the VisionSuit namespace
next to the ingest and generation metrics (and its report shows in the admin system view).
"""
from __future__ import annotations

from chalicelib import container, observability

logger = observability.get_logger("ops-metrics")
metrics = observability.get_metrics("ops-metrics")
tracer = observability.get_tracer("ops-metrics")


@observability.invocation(logger, metrics, tracer)
def handler(event, context):
    trigger = event.get("id") if isinstance(event, dict) else None
    report = container.system_service().publish_depths(trigger)
    logger.info("queue depths published", extra={"queues": len(report["queues"]), "unreachable": report["unreachable"]})
    return report
