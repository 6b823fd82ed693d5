"""Models, versions, images, galleries and the hash index that resolves files to versions."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.models import Gallery, ImageAsset, ModelAsset, ModelVersion, UploadFile, UploadSession
from chalicelib.repositories.base import conditional, region, table_meta
from chalicelib.repositories.records import RecordRepository, global_index, item_model

ModelItem = item_model(ModelAsset, "models", {"by-owner": ("owner_id", "created_at")})
VersionItem = item_model(ModelVersion, "versions", {"by-model": ("model_id", "created_at")})
ImageItem = item_model(ImageAsset, "images", {"by-owner": ("owner_id", "created_at")})
GalleryItem = item_model(Gallery, "galleries", {"by-owner": ("owner_id", "created_at"),
                                                 "by-parent": ("parent_id", "created_at")})
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

    def __init__(self) -> None:
        self._connection = Connection(region=region())

    def owned_by(self, owner_id: str, limit: int | None = None) -> list[Gallery]:
        return self.query("by-owner", owner_id, limit=limit)

    def children(self, parent_id: str, after: dict | None = None, page_size: int = 50) -> Iterator[Gallery]:
        """Children of a gallery, newest first (by-parent index), lazily, resuming after ``after``
        (a key built by :func:`gallery_child_key`)."""
        start = None
        if after is not None:
            start = {"pk": {"S": after["id"]}, "parent_id": {"S": parent_id},
                     "created_at": {"N": NumberAttribute().serialize(after["createdAt"])}}
        for item in GalleryItem.index_by_parent.query(parent_id, scan_index_forward=False, last_evaluated_key=start,
                                                      page_size=page_size):
            yield self._to_record(item)

    def apply(self, gallery_id: str, edit: GalleryEdit) -> None:
        """Write ``edit`` as one DynamoDB transaction: if any condition fails nothing is written
        (Conflict: someone changed the gallery, its entries or its ancestors meanwhile)."""
        if edit.action_count() > MAX_TRANSACTION_ACTIONS:
            raise ValueError("a gallery edit is limited to 100 actions")  # services bound their batches
        if not edit.action_count():
            return
        try:
            with TransactWrite(connection=self._connection) as tx:
                if edit.fields:
                    tx.update(GalleryItem(gallery_id), actions=_set_or_remove(GalleryItem, edit.fields),
                              condition=GalleryItem.pk.exists())
                for ancestor_id, its_parent in edit.expect_parents.items():
                    same_parent = (GalleryItem.parent_id == its_parent if its_parent
                                   else GalleryItem.parent_id.does_not_exist())
                    tx.condition_check(GalleryItem, ancestor_id, condition=GalleryItem.pk.exists() & same_parent)
                for entry in edit.entry_additions:
                    tx.save(_entry_item(entry), condition=GalleryEntryItem.sk.does_not_exist())
                for kind, asset_id, changes in edit.entry_updates:
                    tx.update(GalleryEntryItem(gallery_id, _entry_sk(kind, asset_id)),
                              actions=_set_or_remove(GalleryEntryItem, changes), condition=GalleryEntryItem.sk.exists())
                for kind, asset_id in edit.entry_removals:
                    tx.delete(GalleryEntryItem(gallery_id, _entry_sk(kind, asset_id)))
        except TransactWriteError as e:
            if e.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise Conflict("The gallery changed meanwhile; reload it and try again") from None
            raise

    def detach_children(self, parent_id: str, now: float) -> list[str]:
        """Make every child of ``parent_id`` a top-level gallery; returns their ids."""
        moved = []
        for child in list(self.children(parent_id, page_size=100)):
            if self.update(child.id, condition=GalleryItem.parent_id == parent_id, updated_at=now,
                           parent_id=None):
                moved.append(child.id)
        return moved

    def update(self, record_id: str, condition=None, **fields) -> bool:
        """As the base update, except that ``None`` removes the attribute (a null GSI key must be absent)."""
        item = GalleryItem(record_id)
        full = GalleryItem.pk.exists() if condition is None else GalleryItem.pk.exists() & condition
        return conditional(lambda: item.update(actions=_set_or_remove(GalleryItem, fields), condition=full))


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


ENTRY_KINDS = ("image", "model")
MAX_TRANSACTION_ACTIONS = 100  # DynamoDB TransactWriteItems limit


@dataclass
class GalleryEntry:
    """One asset in a gallery. ``position`` orders entries (ascending); appended entries get their
    add time in ms, explicit positions (reorder) are smaller numbers chosen by the curator."""

    gallery_id: str
    kind: str  # image | model
    asset_id: str
    position: float
    added_at: float
    note: str | None = None


class GalleryEntryItem(Model):
    """``gallery -> entry`` rows. Membership is a GetItem on (gallery, ``<kind>#<asset>``); the
    order is the by-position index; by-asset answers "which galleries hold this asset" without a Scan."""

    Meta = table_meta("gallery-entries")
    pk = UnicodeAttribute(hash_key=True)  # gallery id
    sk = UnicodeAttribute(range_key=True)  # <kind>#<asset id>
    kind = UnicodeAttribute()  # image | model
    asset_id = UnicodeAttribute()
    position = NumberAttribute()
    added_at = NumberAttribute()
    note = UnicodeAttribute(null=True)
    by_position = global_index("by-position", "pk", "position", {"pk": str, "position": float})
    by_asset = global_index("by-asset", "asset_id", "pk", {"asset_id": str, "pk": str})


def _entry_sk(kind: str, asset_id: str) -> str:
    return f"{kind}#{asset_id}"


def _entry(item: GalleryEntryItem) -> GalleryEntry:
    return GalleryEntry(item.pk, item.kind, item.asset_id, item.position, item.added_at, item.note)


def _entry_item(entry: GalleryEntry) -> GalleryEntryItem:
    return GalleryEntryItem(entry.gallery_id, _entry_sk(entry.kind, entry.asset_id), kind=entry.kind,
                            asset_id=entry.asset_id, position=entry.position, added_at=entry.added_at, note=entry.note)


def position_at(at: float) -> int:
    """The position of an entry appended at ``at`` (seconds): its time in ms keeps insertion order.
    Rounded, not truncated: ``now + n / 1000`` must give n distinct positions."""
    return round(at * 1000)


class GalleryEntryRepository:
    def add(self, gallery_id: str, kind: str, asset_id: str, at: float, note: str | None = None) -> bool:
        """Append an entry; an entry that already exists is left as it is (False)."""
        item = _entry_item(GalleryEntry(gallery_id, kind, asset_id, position_at(at), at, note))
        return conditional(lambda: item.save(condition=GalleryEntryItem.sk.does_not_exist()))

    def entries(self, gallery_id: str) -> list[tuple[str, str]]:
        """Every (kind, asset id), in position order. Reads the table (strongly consistent), not the index."""
        items = sorted(GalleryEntryItem.query(gallery_id, consistent_read=True), key=lambda i: (i.position, i.sk))
        return [(i.kind, i.asset_id) for i in items]

    def ordered(self, gallery_id: str, after: dict | None = None, page_size: int = 50) -> Iterator[GalleryEntry]:
        """Entries in position order, lazily, starting after the entry whose key is ``after``
        (``{"position", "sk"}`` as built by :func:`entry_key`)."""
        start = None
        if after is not None:
            start = {"pk": {"S": gallery_id}, "sk": {"S": after["sk"]},
                     "position": {"N": NumberAttribute().serialize(after["position"])}}
        for item in GalleryEntryItem.by_position.query(gallery_id, last_evaluated_key=start, page_size=page_size):
            yield _entry(item)

    def get(self, gallery_id: str, kind: str, asset_id: str) -> GalleryEntry | None:
        try:
            return _entry(GalleryEntryItem.get(gallery_id, _entry_sk(kind, asset_id), consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, gallery_id: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], GalleryEntry]:
        """The entries among ``keys`` (kind, asset id) that exist, in one BatchGetItem per 100 keys."""
        wanted = {(gallery_id, _entry_sk(k, a)) for k, a in keys}
        found = GalleryEntryItem.batch_get(wanted, consistent_read=True) if wanted else []
        return {(i.kind, i.asset_id): _entry(i) for i in found}

    def set_position(self, gallery_id: str, kind: str, asset_id: str, position: float) -> bool:
        return self._update(gallery_id, kind, asset_id, [GalleryEntryItem.position.set(position)])

    def set_note(self, gallery_id: str, kind: str, asset_id: str, note: str | None) -> bool:
        action = GalleryEntryItem.note.set(note) if note else GalleryEntryItem.note.remove()
        return self._update(gallery_id, kind, asset_id, [action])

    def _update(self, gallery_id: str, kind: str, asset_id: str, actions: list) -> bool:
        # Conditional: an update of a removed entry must not resurrect it as a partial row.
        item = GalleryEntryItem(gallery_id, _entry_sk(kind, asset_id))
        return conditional(lambda: item.update(actions=actions, condition=GalleryEntryItem.sk.exists()))

    def remove(self, gallery_id: str, kind: str, asset_id: str) -> None:
        GalleryEntryItem(gallery_id, _entry_sk(kind, asset_id)).delete()

    def remove_asset(self, gallery_id: str, asset_id: str) -> None:
        """Remove ``asset_id`` whatever its kind (deletes are idempotent)."""
        for kind in ENTRY_KINDS:
            self.remove(gallery_id, kind, asset_id)

    def remove_gallery(self, gallery_id: str) -> int:
        """Delete every entry of a gallery; returns how many there were."""
        items = list(GalleryEntryItem.query(gallery_id, consistent_read=True, attributes_to_get=["pk", "sk"]))
        with GalleryEntryItem.batch_write() as batch:
            for item in items:
                batch.delete(item)
        return len(items)

    def count(self, gallery_id: str) -> int:
        return GalleryEntryItem.count(gallery_id)

    def galleries_of(self, kind: str, asset_id: str, limit: int | None = None) -> list[str]:
        """Ids of the galleries holding this asset (by-asset index, eventually consistent)."""
        ids = []
        for item in GalleryEntryItem.by_asset.query(asset_id):
            if item.kind == kind:
                ids.append(item.pk)
                if limit is not None and len(ids) >= limit:
                    break
        return ids

    def remove_everywhere(self, kind: str, asset_id: str) -> list[str]:
        """Delete every entry of this asset; returns the ids of the galleries it was in."""
        ids = self.galleries_of(kind, asset_id)
        for gallery_id in ids:
            self.remove(gallery_id, kind, asset_id)
        return ids


def entry_key(entry: GalleryEntry) -> dict:
    """The resume point after ``entry`` in position order (what a cursor carries)."""
    return {"position": entry.position, "sk": _entry_sk(entry.kind, entry.asset_id)}


def gallery_child_key(gallery: Gallery) -> dict:
    """The resume point after ``gallery`` in a children listing (what a cursor carries)."""
    return {"id": gallery.id, "createdAt": gallery.created_at}


@dataclass
class GalleryEdit:
    """One atomic change to a gallery and its entries (written by :meth:`GalleryRepository.apply`)."""

    fields: dict[str, Any] = field(default_factory=dict)  # gallery attribute -> value (None removes it)
    # Ancestors whose parent must still be what the cycle check saw (id -> parent id or None).
    expect_parents: dict[str, str | None] = field(default_factory=dict)
    entry_additions: list[GalleryEntry] = field(default_factory=list)
    entry_updates: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, asset id, changes)
    entry_removals: list[tuple[str, str]] = field(default_factory=list)

    def action_count(self) -> int:
        return (bool(self.fields) + len(self.expect_parents) + len(self.entry_additions) + len(self.entry_updates)
                + len(self.entry_removals))


def _set_or_remove(model: type[Model], values: dict[str, Any]) -> list:
    return [getattr(model, name).remove() if value is None else getattr(model, name).set(value)
            for name, value in values.items()]


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


# -- scheduled cleanup ---------------------------------------------------------------------------
class CleanupCatalogRepository:
    """Queries and deletes of the scheduled cleanup jobs (background only: Scans are bounded and resumable)."""

    @staticmethod
    def scan_avatar_images(updated_before: float, start: dict | None,
                           page_size: int) -> tuple[list[ImageAsset], dict | None, int]:
        """Settled avatar images last changed before ``updated_before``, among at most ``page_size`` items
        examined after the key ``start`` ({"pk"}): (images, resume key or None, examined)."""
        condition = ((ImageItem.purpose == "avatar") & (ImageItem.updated_at < updated_before)
                     & (ImageItem.status != "processing"))
        exclusive = {"pk": {"S": start["pk"]}} if start else None
        page = ImageItem._get_connection().scan(filter_condition=condition, limit=page_size, exclusive_start_key=exclusive)
        repo = ImageRepository()
        images = [repo._to_record(ImageItem.from_raw_data(raw)) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return images, ({"pk": last["pk"]["S"]} if last else None), int(page.get("ScannedCount", 0))

    @staticmethod
    def delete_image_if_unchanged(image: ImageAsset) -> bool:
        """Delete the image record only if nobody changed it since it was read (False otherwise)."""
        return conditional(lambda: ImageItem(image.id).delete(condition=ImageItem.updated_at == image.updated_at))

    @staticmethod
    def delete_session_if_status(session_id: str, status: str) -> bool:
        """Delete an upload session record only while it still has ``status`` (False otherwise)."""
        return conditional(lambda: UploadSessionItem(session_id).delete(condition=UploadSessionItem.status == status))
