"""SQS and Step Functions access for the API: dispatch pulls, task-token callbacks, executions."""
from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class DispatchMessage:
    job_id: str
    task_token: str
    receipt_handle: str


class DispatchQueue:
    def __init__(self, session, queue_url: str) -> None:
        self._sqs = session.client("sqs")
        self._url = queue_url

    def receive(self, wait_seconds: int) -> DispatchMessage | None:
        r = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds)
        for m in r.get("Messages", []):
            try:
                body = json.loads(m["Body"])
                return DispatchMessage(str(body["jobId"]), str(body["taskToken"]), m["ReceiptHandle"])
            except (ValueError, KeyError, TypeError):
                # Not ours to retry forever: drop malformed messages (the DLQ keeps nothing useful).
                self.delete(m["ReceiptHandle"])
        return None

    def delete(self, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=receipt_handle)

    def release(self, receipt_handle: str) -> None:
        """Make a received message visible again at once (the agent it was meant for refused it)."""
        self._sqs.change_message_visibility(QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)

    def reachable(self) -> bool:
        try:
            self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["ApproximateNumberOfMessages"])
            return True
        except Exception:
            return False


class IngestQueue:
    """Work for the ingest function that does not come from S3 itself: MinIO webhook deliveries and
    re-evaluation tasks. Bodies keep S3's notification shape so one handler serves all."""

    def __init__(self, session, queue_url: str) -> None:
        self._sqs = session.client("sqs")
        self._url = queue_url

    def send(self, body: dict, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(body), DelaySeconds=delay_seconds)

    def send_each(self, bodies: list[dict]) -> None:
        for i in range(0, len(bodies), 10):
            entries = [{"Id": str(n), "MessageBody": json.dumps(b)} for n, b in enumerate(bodies[i:i + 10])]
            failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed", [])
            if failed:
                raise RuntimeError(f"{len(failed)} notifications could not be queued")


class TaskTokenGone(Exception):
    """Step Functions no longer waits on this token (timed out, stopped, already answered)."""


class Orchestrator:
    def __init__(self, session, state_machine_arn: str) -> None:
        self._sfn = session.client("stepfunctions")
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict) -> str:
        try:
            return self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))["executionArn"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return self._arn.replace(":stateMachine:", ":execution:") + ":" + name
            raise

    def stop(self, execution_arn: str, cause: str) -> None:
        try:
            self._sfn.stop_execution(executionArn=execution_arn, error="Job.Cancelled", cause=cause[:256])
        except ClientError:
            pass  # already finished

    def _token_call(self, fn, **kwargs) -> None:
        try:
            fn(**kwargs)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                raise TaskTokenGone(e.response["Error"]["Code"]) from None
            raise

    def heartbeat(self, token: str) -> None:
        self._token_call(self._sfn.send_task_heartbeat, taskToken=token)

    def succeed(self, token: str, output: dict) -> None:
        self._token_call(self._sfn.send_task_success, taskToken=token, output=json.dumps(output))

    def fail(self, token: str, error: str, cause: str) -> None:
        self._token_call(self._sfn.send_task_failure, taskToken=token, error=error, cause=cause[:32768])


@dataclass(frozen=True)
class QueuedMessage:
    """A message received for moving elsewhere: its body and attributes travel unchanged."""

    body: str
    attributes: dict
    receipt_handle: str


class QueueAdmin:
    """Depths and dead-letter handling of the application's queues (the admin system view)."""

    DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed", "RedrivePolicy"]

    def __init__(self, session) -> None:
        self._sqs = session.client("sqs")
        self._dlq_urls: dict[str, str | None] = {}  # source URL -> DLQ URL; queue wiring is fixed per deployment

    def depth(self, url: str) -> dict:
        a = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=self.DEPTH_ATTRIBUTES)["Attributes"]
        if url not in self._dlq_urls:
            self._dlq_urls[url] = self._resolve_dlq(a.get("RedrivePolicy"))
        return {"visible": int(a.get("ApproximateNumberOfMessages", 0)),
                "inFlight": int(a.get("ApproximateNumberOfMessagesNotVisible", 0)),
                "delayed": int(a.get("ApproximateNumberOfMessagesDelayed", 0))}

    def dead_letter_url(self, url: str) -> str | None:
        """The queue's DLQ, found through its RedrivePolicy (so no configuration names it)."""
        if url not in self._dlq_urls:
            a = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
            self._dlq_urls[url] = self._resolve_dlq(a.get("RedrivePolicy"))
        return self._dlq_urls[url]

    def _resolve_dlq(self, redrive_policy: str | None) -> str | None:
        if not redrive_policy:
            return None
        arn = json.loads(redrive_policy).get("deadLetterTargetArn", "")
        _, _, _, _, account, name = (arn.split(":") + [""] * 6)[:6]
        if not name:
            return None
        kwargs = {"QueueOwnerAWSAccountId": account} if account else {}
        return self._sqs.get_queue_url(QueueName=name, **kwargs)["QueueUrl"]

    def receive(self, url: str, limit: int, hide_seconds: int) -> list[QueuedMessage]:
        """Up to ``limit`` (<= 10) messages, hidden from other receivers for ``hide_seconds``."""
        r = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max(1, min(limit, 10)), WaitTimeSeconds=1,
                                      VisibilityTimeout=hide_seconds, MessageAttributeNames=["All"])
        return [QueuedMessage(m["Body"], m.get("MessageAttributes") or {}, m["ReceiptHandle"])
                for m in r.get("Messages", [])]

    def send_batch(self, url: str, messages: list[QueuedMessage]) -> list[bool]:
        """Send each message (body and message attributes as received); per message: was it sent."""
        entries = []
        for n, m in enumerate(messages):
            entry = {"Id": str(n), "MessageBody": m.body}
            if m.attributes:
                # Only the fields SendMessage accepts (receivers may also see the reserved list fields).
                entry["MessageAttributes"] = {k: {f: v[f] for f in ("DataType", "StringValue", "BinaryValue") if f in v}
                                              for k, v in m.attributes.items()}
            entries.append(entry)
        r = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)
        sent = {s["Id"] for s in r.get("Successful", [])}
        return [str(n) in sent for n in range(len(messages))]

    def delete_batch(self, url: str, receipt_handles: list[str]) -> int:
        if not receipt_handles:
            return 0
        r = self._sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "ReceiptHandle": h} for n, h in enumerate(receipt_handles)])
        return len(r.get("Successful", []))

    def release(self, url: str, receipt_handles: list[str]) -> None:
        """Make received messages visible again at once (they were not moved)."""
        if receipt_handles:
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": 0} for n, h in enumerate(receipt_handles)])
