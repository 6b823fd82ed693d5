"""Scheduled (EventBridge): remove upload sessions abandoned past their expiry and orphaned multipart uploads."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-sweep-uploads")
BATCH_LIMIT = 50  # bounded work per run; the next run continues


@logger.inject_lambda_context
def handler(event, context):
    report = container.upload_service().sweep_expired(BATCH_LIMIT)
    logger.info("upload sweep finished", extra={"count": report["count"], "abortedMultipart": report["abortedMultipart"],
                                                "more": report["more"], "errors": report["errors"],
                                                "errorSamples": report["errorSamples"]})
    return report
