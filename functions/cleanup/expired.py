"""Scheduled (EventBridge): delete expired items DynamoDB TTL has not removed yet, and old upload sessions."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-cleanup-expired")
BATCH_LIMIT = 2000  # bounded work per run; the next run continues where this one stopped


@logger.inject_lambda_context
def handler(event, context):
    report = container.cleanup_service().cleanup_expired(BATCH_LIMIT)
    logger.info("cleanup-expired finished", extra={"report": report})
    return report
