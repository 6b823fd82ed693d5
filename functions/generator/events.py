"""Job outcomes sent by the state machine (job-events queue): recorded once, never regressed.

Log lines of a record carry its job id; metrics: ``JobOutcome`` (dimension ``outcome``) and
``JobDuration`` (request created -> outcome recorded, ms), both only when the outcome was applied,
so a redelivered event is not counted twice.
"""
from __future__ import annotations

import json
import time

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import container, observability

logger = observability.get_logger("job-events")
metrics = observability.get_metrics("job-events")
tracer = observability.get_tracer("job-events")
processor = BatchProcessor(event_type=EventType.SQS)


def _parse_error(error) -> dict | None:
    if not isinstance(error, dict):
        return None
    cause = error.get("Cause", "")
    return {"Error": str(error.get("Error", "Error")), "Cause": cause if isinstance(cause, str) else json.dumps(cause)}


def _record_handler(record: SQSRecord) -> None:
    with observability.record_scope(logger, message_id=record.message_id):
        _handle(record)


def _handle(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
        job_id, outcome = str(body["jobId"]), str(body["outcome"])
    except (ValueError, KeyError, TypeError):
        logger.warning("discarding malformed job event")
        return
    observability.bind("job-events", job_id=job_id)
    result = body.get("result") if isinstance(body.get("result"), dict) else None
    try:
        job = container.generator_service().record_outcome(job_id, outcome, result, _parse_error(body.get("error")))
    except ValueError:
        logger.warning("discarding job event with unknown outcome", extra={"outcome": outcome[:40]})
        return
    if job is not None:
        metrics.count("JobOutcome", outcome=outcome)
        metrics.add("JobDuration", observability.Unit.Milliseconds, max(0.0, (time.time() - job.created_at) * 1000))
    logger.info("job outcome", extra={"outcome": outcome, "applied": job is not None})


@observability.invocation(logger, metrics, tracer)
def handler(event, context):
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
