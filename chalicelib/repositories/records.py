"""Dataclass records stored one item per record, with the PynamoDB model derived from the dataclass.

Field types map to attributes (str -> S, int/float -> N, bool -> BOOL, dict/list -> JSON string);
``X | None`` fields are nullable. Secondary indexes are declared as name -> (hash, range) pairs.
Used by the catalog and upload repositories; the older hand-written models (users, jobs) predate it.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Generic, TypeVar

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.repositories.base import conditional, table_meta

R = TypeVar("R")


def _attribute(hint: Any, **kwargs):
    nullable = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable, hint = len(args) < len(typing.get_args(hint)), args[0]
    base = typing.get_origin(hint) or hint
    kind = {str: UnicodeAttribute, bool: BooleanAttribute, int: NumberAttribute, float: NumberAttribute}.get(base, JSONAttribute)
    return kind(null=nullable or kind is JSONAttribute, **kwargs)


def global_index(name: str, hash_key: str, range_key: str | None, hints: dict) -> GlobalSecondaryIndex:
    """A GSI (all attributes projected) on ``hash_key``/``range_key``, typed from ``hints`` (name -> type)."""
    attrs = {
        "Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()}),
        hash_key: _attribute(hints[hash_key], hash_key=True),
    }
    if range_key:
        attrs[range_key] = _attribute(hints[range_key], range_key=True)
    return type(f"Index_{name.replace('-', '_')}", (GlobalSecondaryIndex,), attrs)()


def item_model(record_cls: type, logical_table: str, indexes: dict[str, tuple[str, str | None]] | None = None) -> type[Model]:
    hints = typing.get_type_hints(record_cls)
    attrs: dict[str, Any] = {"Meta": table_meta(logical_table), "pk": UnicodeAttribute(hash_key=True)}
    for f in dataclasses.fields(record_cls):
        if f.name != "id":
            attrs[f.name] = _attribute(hints[f.name])
    for name, (hash_key, range_key) in (indexes or {}).items():
        attrs["index_" + name.replace("-", "_")] = global_index(name, hash_key, range_key, hints)
    return type(f"{record_cls.__name__}Item", (Model,), attrs)


class RecordRepository(Generic[R]):
    record_cls: type
    item_cls: type[Model]

    def _to_record(self, item: Model) -> R:
        hints = typing.get_type_hints(self.record_cls)
        values = {}
        for f in dataclasses.fields(self.record_cls):
            if f.name == "id":
                continue
            value = getattr(item, f.name)
            if value is None and f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()  # JSON fields are stored nullable
            elif hints[f.name] is int and isinstance(value, float):
                value = int(value)
            values[f.name] = value
        return self.record_cls(id=item.pk, **values)

    def _to_item(self, record: R) -> Model:
        values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "id"}
        return self.item_cls(record.id, **values)

    def get(self, record_id: str) -> R | None:
        try:
            return self._to_record(self.item_cls.get(record_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, record_ids) -> dict[str, R]:
        """Records by id (one BatchGet per 100); missing ids are absent from the result."""
        ids = list(dict.fromkeys(record_ids))
        return {item.pk: self._to_record(item) for item in self.item_cls.batch_get(ids)} if ids else {}

    def create(self, record: R) -> bool:
        return conditional(lambda: self._to_item(record).save(condition=self.item_cls.pk.does_not_exist()))

    def save(self, record: R) -> None:
        self._to_item(record).save()

    def update(self, record_id: str, condition=None, **fields: Any) -> bool:
        """Set fields on an existing record; False when it is gone or ``condition`` fails."""
        item = self.item_cls(record_id)
        actions = [getattr(self.item_cls, name).set(value) for name, value in fields.items()]
        full = self.item_cls.pk.exists() if condition is None else self.item_cls.pk.exists() & condition
        return conditional(lambda: item.update(actions=actions, condition=full))

    def settle(self, record_id: str, **fields: Any) -> bool:
        """Write an outcome unless the record is already ``ready`` (a late or duplicate run loses)."""
        return self.update(record_id, condition=self.item_cls.status != "ready", **fields)

    def update_if_status(self, record_id: str, expected: str, **fields: Any) -> bool:
        return self.update(record_id, condition=self.item_cls.status == expected, **fields)

    def add(self, record_id: str, **counters: int) -> bool:
        """Atomic counter increments."""
        item = self.item_cls(record_id)
        actions = [getattr(self.item_cls, name).add(value) for name, value in counters.items()]
        return conditional(lambda: item.update(actions=actions, condition=self.item_cls.pk.exists()))

    def delete(self, record_id: str) -> None:
        self.item_cls(record_id).delete()

    def scan_all(self):
        """Every record. Background jobs only (re-evaluations after a rule change), never a request path."""
        for item in self.item_cls.scan():
            yield self._to_record(item)

    def scan_page(self, after: str | None, limit: int) -> tuple[list[R], str | None]:
        """Up to ``limit`` records in table order after the record id ``after``, and the id to resume
        after (None at the end). Background jobs only, like :meth:`scan_all`."""
        result = self.item_cls.scan(limit=limit, last_evaluated_key={"pk": {"S": after}} if after else None)
        records = [self._to_record(item) for item in result]
        last = result.last_evaluated_key
        return records, (last["pk"]["S"] if last else None)

    def approximate_count(self) -> int:
        """DynamoDB's item count of the table (refreshed about every six hours): an estimate."""
        return int(self.item_cls.describe_table().get("ItemCount") or 0)

    def query(self, index: str, hash_value: Any, range_condition=None, limit: int | None = None,
              newest_first: bool = True) -> list[R]:
        idx = getattr(self.item_cls, "index_" + index.replace("-", "_"))
        return [self._to_record(i) for i in idx.query(hash_value, range_condition, limit=limit,
                                                       scan_index_forward=not newest_first)]
