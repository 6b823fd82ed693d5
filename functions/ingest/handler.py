"""ObjectCreated events (S3 -> SQS -> here): record what actually arrived for each upload.

Each SQS record is processed on its own (Powertools batch processing): a failure marks only that
record for retry (``batchItemFailures``); after the queue's maxReceiveCount it lands in the DLQ.
Handling is idempotent: the service writes conditionally on (upload, ETag), so duplicate and
out-of-order deliveries change nothing.
"""
from __future__ import annotations

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import container
from functions.ingest.tasks import TASKS

logger = Logger(service="visionsuit-ingest")
processor = BatchProcessor(event_type=EventType.SQS)


def _record_handler(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
    except ValueError:
        logger.warning("discarding non-JSON message", extra={"messageId": record.message_id})
        return  # retrying cannot fix it; nothing to record
    if isinstance(body, dict) and "task" in body:
        run = TASKS.get(body["task"]) if isinstance(body["task"], str) else None
        if run is None:
            logger.warning("discarding unknown task", extra={"messageId": record.message_id})
            return
        run(body)
        return
    if not isinstance(body, dict) or body.get("Event") == "s3:TestEvent" or not isinstance(body.get("Records"), list):
        return  # S3's configuration test message, or something that is not an S3 event
    for s3_record in S3Event(body).records:
        # "ObjectCreated:*" from S3, "s3:ObjectCreated:*" from MinIO webhooks.
        if not s3_record.event_name.removeprefix("s3:").startswith("ObjectCreated"):
            continue
        key = unquote_plus(s3_record.s3.get_object.key)
        outcome = container.ingest_pipeline().handle(s3_record.s3.bucket.name, key, s3_record.s3.get_object.etag)
        logger.info("ingest", extra={"key": key, "outcome": outcome, "messageId": record.message_id})


@logger.inject_lambda_context
def handler(event, context):
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
