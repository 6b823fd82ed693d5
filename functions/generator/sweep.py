"""Scheduled (EventBridge): fail generation jobs that are still active past their deadline."""
from __future__ import annotations

import time

from aws_lambda_powertools import Logger

from chalicelib import container

logger = Logger(service="visionsuit-sweep")
BATCH_LIMIT = 100  # bounded work per run; the next run picks up the rest


@logger.inject_lambda_context
def handler(event, context):
    report = container.generator_service().sweep_overdue(BATCH_LIMIT)
    report.update(ranAt=time.time(), trigger=(event or {}).get("id"))
    container.settings_service().record_schedule_run("sweep-jobs", report)
    logger.info("sweep finished", extra=report)
    return report
