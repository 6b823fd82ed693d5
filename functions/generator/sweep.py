"""Scheduled (EventBridge): fail generation jobs that are still active past their deadline."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-sweep")
BATCH_LIMIT = 100  # bounded work per run; the next run picks up the rest


@logger.inject_lambda_context
def handler(event, context):
    trigger = event.get("id") if isinstance(event, dict) else None
    report = container.generator_service().sweep_overdue(BATCH_LIMIT, trigger)
    logger.info("sweep finished", extra={"count": report["count"]})
    return report
