"""Upload sessions: what a client announced and what ingest found in storage."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.models import Upload
from chalicelib.repositories.base import conditional, table_meta


class UploadItem(Model):
    Meta = table_meta("uploads")

    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    key = UnicodeAttribute()
    filename = UnicodeAttribute()
    declared_type = UnicodeAttribute()
    declared_size = NumberAttribute()
    status = UnicodeAttribute()
    created_at = NumberAttribute()
    detected_type = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    etag = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    processed_at = NumberAttribute(null=True)


_FIELDS = ("owner_id", "key", "filename", "declared_type", "declared_size", "status", "created_at",
           "detected_type", "size", "etag", "reason", "processed_at")


def _to_domain(item: UploadItem) -> Upload:
    values = {f: getattr(item, f) for f in _FIELDS}
    for f in ("declared_size", "size"):
        if values[f] is not None:
            values[f] = int(values[f])
    return Upload(id=item.pk, **values)


class UploadRepository:
    def create(self, upload: Upload) -> None:
        UploadItem(upload.id, **{f: getattr(upload, f) for f in _FIELDS}).save(condition=UploadItem.pk.does_not_exist())

    def get(self, upload_id: str) -> Upload | None:
        try:
            return _to_domain(UploadItem.get(upload_id, consistent_read=True))
        except DoesNotExist:
            return None

    def record_outcome(self, upload_id: str, etag: str, status: str, now: float, **fields) -> bool:
        """Store what ingest found, once per object version.

        The write succeeds only while the session is still ``pending`` or was processed for a
        different ETag (the object was replaced); a duplicate delivery of the same event is a
        no-op that returns False.
        """
        item = UploadItem(upload_id)
        actions = [UploadItem.status.set(status), UploadItem.etag.set(etag), UploadItem.processed_at.set(now)]
        actions += [getattr(UploadItem, name).set(value) for name, value in fields.items()]
        condition = UploadItem.pk.exists() & ((UploadItem.status == "pending") | (UploadItem.etag != etag))
        return conditional(lambda: item.update(actions=actions, condition=condition))
