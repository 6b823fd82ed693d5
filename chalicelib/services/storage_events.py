"""MinIO webhook notifications: authenticated, shape-checked, then queued for the ingest function."""
from __future__ import annotations

import hmac

from chalicelib.errors import Unauthorized, ValidationError

MAX_RECORDS = 100


class StorageEventsService:
    def __init__(self, queue, secret) -> None:
        self._queue = queue
        self._secret = secret  # callable, resolved lazily

    def authenticate(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self._secret()):
            raise Unauthorized("Invalid storage events credentials")

    def accept(self, body: dict) -> int:
        records = body.get("Records")
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
            raise ValidationError(f"Records must be a list of 1 to {MAX_RECORDS} notifications", field="Records")
        for i, record in enumerate(records):
            s3 = record.get("s3") if isinstance(record, dict) else None
            if not (isinstance(s3, dict) and isinstance(s3.get("bucket"), dict) and isinstance(s3.get("object"), dict)
                    and isinstance(s3["object"].get("key"), str) and isinstance(record.get("eventName"), str)):
                raise ValidationError("Not an S3 notification record", field=f"Records.{i}")
        # One message per record, in the shape S3 delivers through SQS: one handler serves AWS and
        # MinIO, and one bad object never holds back (or drags into the DLQ) the others.
        self._queue.send_each([{"Records": [record]} for record in records])
        return len(records)
