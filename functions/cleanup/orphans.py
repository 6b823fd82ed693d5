"""Scheduled (EventBridge): delete media objects no record owns, older than the grace period."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-cleanup-orphans")
BATCH_LIMIT = 1000  # bounded work per run; the next run continues where this one stopped


@logger.inject_lambda_context
def handler(event, context):
    report = container.cleanup_service().cleanup_orphans(BATCH_LIMIT)
    logger.info("cleanup-orphans finished", extra={"report": report})
    return report
