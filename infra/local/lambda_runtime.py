"""Lambda-shaped invocation for the local runtime: SQS pollers and schedule timers.

Each poller long-polls its queue, builds the same event Lambda's SQS event source mapping
delivers (S3 notifications inside SQS bodies), calls the real handler and deletes only the
messages not listed in ``batchItemFailures`` — failed ones reappear after the visibility
timeout and reach the DLQ after maxReceiveCount, as on AWS.
"""
from __future__ import annotations

import contextvars
import importlib
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3

log = logging.getLogger("visionsuit.local")

# The deployable function (infra.resources FUNCTIONS name) whose handler runs in the current thread:
# on AWS every function has its own role, here they share one process, so tests that check IAM
# least privilege (tests/integration/test_iam_usage.py) attribute each AWS call through this.
INVOKED_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("invoked_function", default=None)


@contextmanager
def invoking(function_name: str):
    token = INVOKED_FUNCTION.set(function_name)
    try:
        yield
    finally:
        INVOKED_FUNCTION.reset(token)


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 300
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def load_handler(dotted: str):
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def scheduled_event(rule_arn: str, region: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class QueuePoller(threading.Thread):
    def __init__(self, name: str, queue_url: str, handler: str, batch_size: int, stop: threading.Event) -> None:
        super().__init__(name=f"poller-{name}", daemon=True)
        self.function_name = name
        self._url = queue_url
        self._handler_path = handler
        self._batch = min(batch_size, 10)
        self._halt = stop
        self.invocations = 0

    def run(self) -> None:
        sqs = boto3.client("sqs")
        region = sqs.meta.region_name
        arn = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        handler = load_handler(self._handler_path)
        while not self._halt.is_set():
            try:
                r = sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=self._batch, WaitTimeSeconds=1,
                                        AttributeNames=["All"], MessageAttributeNames=["All"])
            except Exception:
                if self._halt.is_set():
                    return
                log.exception("receive from %s failed", self.function_name)
                self._halt.wait(1)
                continue
            messages = r.get("Messages", [])
            if not messages:
                continue
            self.invocations += 1
            try:
                with invoking(self.function_name):
                    result = handler(sqs_event(messages, arn, region), LambdaContext(self.function_name)) or {}
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            except Exception:
                log.exception("handler %s raised; the whole batch will be retried", self.function_name)
                continue
            done = [m for m in messages if m["MessageId"] not in failed]
            for i in range(0, len(done), 10):
                sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[i:i + 10])])


class ScheduleTimer(threading.Thread):
    def __init__(self, name: str, handler: str, interval: float, stop: threading.Event) -> None:
        super().__init__(name=f"schedule-{name}", daemon=True)
        self.schedule_name = name
        self._handler_path = handler
        self._interval = interval
        self._halt = stop
        self.runs = 0

    def run(self) -> None:
        handler = load_handler(self._handler_path)
        region = boto3.session.Session().region_name or "us-east-1"
        rule_arn = f"arn:aws:events:{region}:000000000000:rule/{self.schedule_name}"
        while not self._halt.wait(self._interval):
            try:
                with invoking(self.schedule_name):
                    handler(scheduled_event(rule_arn, region), LambdaContext(self.schedule_name))
                self.runs += 1
            except Exception:
                log.exception("scheduled handler %s failed", self.schedule_name)
