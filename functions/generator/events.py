"""Job outcomes sent by the state machine (job-events queue): recorded once, never regressed."""
from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import container

logger = Logger(service="visionsuit-job-events")
processor = BatchProcessor(event_type=EventType.SQS)


def _parse_error(error) -> dict | None:
    if not isinstance(error, dict):
        return None
    cause = error.get("Cause", "")
    return {"Error": str(error.get("Error", "Error")), "Cause": cause if isinstance(cause, str) else json.dumps(cause)}


def _record_handler(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
        job_id, outcome = str(body["jobId"]), str(body["outcome"])
    except (ValueError, KeyError, TypeError):
        logger.warning("discarding malformed job event", extra={"messageId": record.message_id})
        return
    result = body.get("result") if isinstance(body.get("result"), dict) else None
    try:
        changed = container.generator_service().record_outcome(job_id, outcome, result, _parse_error(body.get("error")))
    except ValueError:
        logger.warning("discarding job event with unknown outcome", extra={"jobId": job_id, "outcome": outcome})
        return
    logger.info("job outcome", extra={"jobId": job_id, "outcome": outcome, "applied": changed})


@logger.inject_lambda_context
def handler(event, context):
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
