"""Models, versions, images, galleries and the hash index that resolves files to versions."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models import Gallery, ImageAsset, ModelAsset, ModelVersion, UploadFile, UploadSession
from chalicelib.repositories.base import table_meta
from chalicelib.repositories.records import RecordRepository, item_model

ModelItem = item_model(ModelAsset, "models", {"by-owner": ("owner_id", "created_at")})
VersionItem = item_model(ModelVersion, "versions", {"by-model": ("model_id", "created_at")})
ImageItem = item_model(ImageAsset, "images", {"by-owner": ("owner_id", "created_at")})
GalleryItem = item_model(Gallery, "galleries", {"by-owner": ("owner_id", "created_at")})
UploadSessionItem = item_model(UploadSession, "uploads", {"by-status-expiry": ("status", "expires_at")})


class ModelRepository(RecordRepository[ModelAsset]):
    record_cls, item_cls = ModelAsset, ModelItem


class VersionRepository(RecordRepository[ModelVersion]):
    record_cls, item_cls = ModelVersion, VersionItem

    def for_model(self, model_id: str) -> list[ModelVersion]:
        return self.query("by-model", model_id)


class ImageRepository(RecordRepository[ImageAsset]):
    record_cls, item_cls = ImageAsset, ImageItem


class GalleryRepository(RecordRepository[Gallery]):
    record_cls, item_cls = Gallery, GalleryItem


class UploadSessionRepository(RecordRepository[UploadSession]):
    record_cls, item_cls = UploadSession, UploadSessionItem

    def _to_record(self, item: Model) -> UploadSession:
        session = super()._to_record(item)
        session.files = [UploadFile(**f) if isinstance(f, dict) else f for f in session.files]
        return session

    def _to_item(self, record: UploadSession) -> Model:
        import dataclasses

        item = super()._to_item(record)
        item.files = [dataclasses.asdict(f) for f in record.files]
        return item

    def expired(self, status: str, now: float, limit: int) -> list[UploadSession]:
        return self.query("by-status-expiry", status, UploadSessionItem.expires_at < now, limit=limit, newest_first=False)


class GalleryEntryItem(Model):
    """``gallery -> entry`` rows; the sort key keeps insertion order."""

    Meta = table_meta("gallery-entries")
    pk = UnicodeAttribute(hash_key=True)  # gallery id
    sk = UnicodeAttribute(range_key=True)  # E#<13-digit ms>#<kind>#<asset id>
    kind = UnicodeAttribute()  # image | model
    asset_id = UnicodeAttribute()


class GalleryEntryRepository:
    def add(self, gallery_id: str, kind: str, asset_id: str, at: float) -> None:
        GalleryEntryItem(gallery_id, f"E#{int(at * 1000):013d}#{kind}#{asset_id}", kind=kind, asset_id=asset_id).save()

    def entries(self, gallery_id: str) -> list[tuple[str, str]]:
        return [(i.kind, i.asset_id) for i in GalleryEntryItem.query(gallery_id)]

    def remove_asset(self, gallery_id: str, asset_id: str) -> None:
        for item in GalleryEntryItem.query(gallery_id):
            if item.asset_id == asset_id:
                item.delete()


class HashItem(Model):
    """``<HASH VALUE>`` -> ``<type>#<version id>``: one Query resolves any hash form."""

    Meta = table_meta("hashes")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    model_id = UnicodeAttribute()
    version_id = UnicodeAttribute()


class HashRepository:
    def put(self, values: dict[str, str], model_id: str, version_id: str) -> None:
        """``values``: hash type -> value (already in the form to look up by)."""
        with HashItem.batch_write() as batch:
            for kind, value in values.items():
                batch.save(HashItem(value.upper(), f"{kind}#{version_id}", model_id=model_id, version_id=version_id))

    def find(self, value: str) -> list[tuple[str, str, str]]:
        """(hash type, model id, version id) for every record filed under ``value``."""
        return [(i.sk.split("#", 1)[0], i.model_id, i.version_id) for i in HashItem.query(value.upper())]

    def remove_version(self, values: dict[str, str], version_id: str) -> None:
        with HashItem.batch_write() as batch:
            for kind, value in values.items():
                batch.delete(HashItem(value.upper(), f"{kind}#{version_id}"))
