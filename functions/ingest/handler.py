"""ObjectCreated events (S3 -> SQS -> here): record what actually arrived for each upload.

Each SQS record is processed on its own (Powertools batch processing): a failure marks only that
record for retry (``batchItemFailures``); after the queue's maxReceiveCount it lands in the DLQ.
Handling is idempotent: the service writes conditionally on (upload, ETag), so duplicate and
out-of-order deliveries change nothing.

Log lines of a record carry its message id and object key (the pipeline adds the upload session
and asset id); metrics: ``IngestReady``, ``IngestLatency`` (object created -> ready, ms),
``IngestFailed`` (an error that sends the message back for retry) and, from the pipeline,
``IngestRejected`` by reason.
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import container, observability
from functions.ingest.tasks import TASKS

logger = observability.get_logger("ingest")
metrics = observability.get_metrics("ingest")
tracer = observability.get_tracer("ingest")
processor = BatchProcessor(event_type=EventType.SQS)


def _created_ms(event_time: str) -> float | None:
    try:
        return datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp() * 1000
    except (AttributeError, TypeError, ValueError):
        return None


def _record_handler(record: SQSRecord) -> None:
    with observability.record_scope(logger, message_id=record.message_id):
        try:
            _handle(record)
        except Exception:
            metrics.count("IngestFailed")
            logger.exception("ingest failed; the message will be retried")
            raise


def _handle(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
    except ValueError:
        logger.warning("discarding non-JSON message")
        return  # retrying cannot fix it; nothing to record
    if isinstance(body, dict) and "task" in body:
        run = TASKS.get(body["task"]) if isinstance(body["task"], str) else None
        if run is None:
            logger.warning("discarding unknown task")
            return
        logger.append_keys(task=body["task"])
        run(body)
        return
    if not isinstance(body, dict) or body.get("Event") == "s3:TestEvent" or not isinstance(body.get("Records"), list):
        return  # S3's configuration test message, or something that is not an S3 event
    for s3_record in S3Event(body).records:
        # "ObjectCreated:*" from S3, "s3:ObjectCreated:*" from MinIO webhooks.
        if not s3_record.event_name.removeprefix("s3:").startswith("ObjectCreated"):
            continue
        key = unquote_plus(s3_record.s3.get_object.key)
        logger.append_keys(object_key=key)
        outcome = container.ingest_pipeline().handle(s3_record.s3.bucket.name, key, s3_record.s3.get_object.etag)
        if outcome == "recorded":
            metrics.count("IngestReady")
            created = _created_ms(s3_record.get("eventTime"))
            if created is not None:
                metrics.add("IngestLatency", observability.Unit.Milliseconds, max(0.0, time.time() * 1000 - created))
        logger.info("ingest", extra={"outcome": outcome})


@observability.invocation(logger, metrics, tracer)
def handler(event, context):
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
