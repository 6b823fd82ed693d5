"""Scheduled (EventBridge): purge files of moderation-removed assets and replaced avatars after retention."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-cleanup-removed")
BATCH_LIMIT = 100  # bounded work per run; the next run continues where this one stopped


@logger.inject_lambda_context
def handler(event, context):
    report = container.cleanup_service().cleanup_removed(BATCH_LIMIT)
    logger.info("cleanup-removed finished", extra={"report": report})
    return report
