"""Metadata field definitions and tag annotations (category, label).

``metadata-fields`` holds three item kinds:

- the field itself, ``<field id>`` (a ``MetadataField`` record; GSI ``by-slug``);
- the slug claim ``SLUG#<slug>``, written with a does-not-exist condition in the same transaction
  as the field, so two concurrent creates cannot both get a slug. Deleting a field *retires* the
  claim and keeps the deleted field's type: values stored under the slug stay on models until
  they are next written, so the slug may only be re-used by a field of the same type;
- the registry ``#registry``: the set of field ids and a version bumped by every change. Listing
  is one GetItem plus a BatchGet (no Scan), and a process can keep its copy for as long as the
  version stays the same.

``tags`` holds one item per annotated tag (pk = tag slug) and the registry ``#categories``
(category key -> spelling and number of tags), written together under an optimistic version so
"categories in use" is one GetItem and never drifts from the tags.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.models import MetadataField
from chalicelib.repositories.base import table_meta
from chalicelib.repositories.records import RecordRepository, item_model

FIELD_REGISTRY_KEY = "#registry"
CATEGORY_REGISTRY_KEY = "#categories"

MetadataFieldItem = item_model(MetadataField, "metadata-fields", {"by-slug": ("slug", None)})


class SlugClaimItem(Model):
    Meta = table_meta("metadata-fields")

    pk = UnicodeAttribute(hash_key=True)  # SLUG#<slug>
    field_id = UnicodeAttribute()
    field_type = UnicodeAttribute()
    retired = BooleanAttribute(default=False)


class FieldRegistryItem(Model):
    Meta = table_meta("metadata-fields")

    pk = UnicodeAttribute(hash_key=True)
    ids = UnicodeSetAttribute(null=True)  # DynamoDB drops an empty set, hence nullable
    version = NumberAttribute(default=0)


def _claim_key(slug: str) -> str:
    return f"SLUG#{slug}"


def _transaction() -> TransactWrite:
    return TransactWrite(connection=FieldRegistryItem._get_connection().connection)


def _registry_bump(tx: TransactWrite, add: str | None = None, remove: str | None = None) -> None:
    actions = [FieldRegistryItem.version.add(1)]
    if add:
        actions.append(FieldRegistryItem.ids.add({add}))
    if remove:
        actions.append(FieldRegistryItem.ids.delete({remove}))
    tx.update(FieldRegistryItem(FIELD_REGISTRY_KEY), actions=actions)


def _cancelled_on_condition(e: TransactWriteError) -> bool:
    return e.cause_response_code == "TransactionCanceledException" and any(
        r is not None and r.code == "ConditionalCheckFailed" for r in (e.cancellation_reasons or []))


class MetadataFieldRepository(RecordRepository[MetadataField]):
    record_cls, item_cls = MetadataField, MetadataFieldItem

    def registry(self) -> tuple[int, set[str]]:
        """(version, field ids), read consistently."""
        try:
            item = FieldRegistryItem.get(FIELD_REGISTRY_KEY, consistent_read=True)
        except DoesNotExist:
            return 0, set()
        return int(item.version or 0), set(item.ids or ())

    def get_many(self, field_ids: set[str]) -> list[MetadataField]:
        if not field_ids:
            return []
        return [self._to_record(i) for i in MetadataFieldItem.batch_get(sorted(field_ids), consistent_read=True)]

    def create(self, record: MetadataField) -> tuple[bool, str | None]:  # type: ignore[override]
        """Insert the field, claim its slug and list it, atomically. Returns (created, retired type):
        when the slug is taken, the type of the deleted field still holding it, or None for a live field."""
        claim = SlugClaimItem(_claim_key(record.slug), field_id=record.id, field_type=record.type, retired=False)
        # A retired claim of the same type may be taken over (values stored under it are still of that type).
        free = SlugClaimItem.pk.does_not_exist() | ((SlugClaimItem.retired == True) & (SlugClaimItem.field_type == record.type))  # noqa: E712
        try:
            with _transaction() as tx:
                tx.save(claim, condition=free)
                tx.save(self._to_item(record), condition=MetadataFieldItem.pk.does_not_exist())
                _registry_bump(tx, add=record.id)
        except TransactWriteError as e:
            if not _cancelled_on_condition(e):
                raise
            current = self.slug_claim(record.slug)
            return False, (current.field_type if current is not None and current.retired else None)
        return True, None

    def replace(self, record: MetadataField, expected_updated_at: float) -> bool:
        """Overwrite a field unless it changed or vanished since it was read (False then)."""
        guard = MetadataFieldItem.pk.exists() & (MetadataFieldItem.updated_at == expected_updated_at) \
            & (MetadataFieldItem.type == record.type) & (MetadataFieldItem.slug == record.slug)
        try:
            with _transaction() as tx:
                tx.save(self._to_item(record), condition=guard)
                _registry_bump(tx)
        except TransactWriteError as e:
            if _cancelled_on_condition(e):
                return False
            raise
        return True

    def remove(self, record: MetadataField) -> bool:
        """Delete the field, retire its slug claim (keeping the type) and unlist it. False when already gone."""
        try:
            with _transaction() as tx:
                tx.delete(MetadataFieldItem(record.id), condition=MetadataFieldItem.pk.exists())
                tx.update(SlugClaimItem(_claim_key(record.slug)),
                          actions=[SlugClaimItem.retired.set(True), SlugClaimItem.field_type.set(record.type)],
                          condition=SlugClaimItem.field_id == record.id)
                _registry_bump(tx, remove=record.id)
        except TransactWriteError as e:
            if _cancelled_on_condition(e):
                return False
            raise
        return True

    def slug_claim(self, slug: str) -> SlugClaimItem | None:
        try:
            return SlugClaimItem.get(_claim_key(slug), consistent_read=True)
        except DoesNotExist:
            return None


@dataclass
class TagInfo:
    slug: str
    category: str | None = None
    label: str | None = None
    updated_at: float = 0.0


class TagItem(Model):
    Meta = table_meta("tags")

    pk = UnicodeAttribute(hash_key=True)  # tag slug
    category = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    updated_at = NumberAttribute(default=0)


class CategoryRegistryItem(Model):
    Meta = table_meta("tags")

    pk = UnicodeAttribute(hash_key=True)
    categories = JSONAttribute(null=True)  # category key -> {"name": spelling, "tags": count}
    version = NumberAttribute(default=0)


class TagRepository:
    def get(self, slug: str) -> TagInfo | None:
        try:
            item = TagItem.get(slug, consistent_read=True)
        except DoesNotExist:
            return None
        return TagInfo(item.pk, item.category, item.label, float(item.updated_at or 0))

    def get_many(self, slugs: list[str]) -> dict[str, TagInfo]:
        if not slugs:
            return {}
        return {i.pk: TagInfo(i.pk, i.category, i.label, float(i.updated_at or 0))
                for i in TagItem.batch_get(sorted(set(slugs)))}

    def categories(self) -> tuple[int, dict[str, dict]]:
        """(version, category key -> {"name", "tags"}), read consistently."""
        try:
            item = CategoryRegistryItem.get(CATEGORY_REGISTRY_KEY, consistent_read=True)
        except DoesNotExist:
            return 0, {}
        return int(item.version or 0), dict(item.categories or {})

    def write(self, slug: str, category: str | None, label: str | None, updated_at: float,
              categories: dict[str, dict], expected_version: int) -> bool:
        """Store the tag (or delete it when it has neither category nor label) with the recomputed
        category registry, unless the registry moved since ``expected_version`` was read (False then)."""
        guard = CategoryRegistryItem.pk.does_not_exist() if expected_version == 0 \
            else CategoryRegistryItem.version == expected_version
        registry = CategoryRegistryItem(CATEGORY_REGISTRY_KEY, categories=categories or None, version=expected_version + 1)
        try:
            with TransactWrite(connection=TagItem._get_connection().connection) as tx:
                tx.save(registry, condition=guard)
                if category is None and label is None:
                    tx.delete(TagItem(slug))
                else:
                    tx.save(TagItem(slug, category=category, label=label, updated_at=updated_at))
        except TransactWriteError as e:
            if _cancelled_on_condition(e):
                return False
            raise
        return True
