"""Scheduled (EventBridge): delete stale notifications, keeping unread counters exact."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-cleanup-notifications")
BATCH_LIMIT = 2000  # bounded work per run; the next run continues where this one stopped


@logger.inject_lambda_context
def handler(event, context):
    report = container.cleanup_service().cleanup_notifications(BATCH_LIMIT)
    logger.info("cleanup-notifications finished", extra={"report": report})
    return report
