"""TransactWriteItems for the embedded moto, with item-level rollback and serialised transactions.

moto backs each transaction up by deep-copying every table it touches (once per operation) and, on
a cancellation, swaps those copies back in. Both costs grow with the whole table, so the test suite
slowed down quadratically as its tables filled (the search index writes a transaction per indexed
asset), and a cancellation silently undid unrelated writes that other threads made meanwhile.

This replacement follows DynamoDB's documented semantics instead: validate the request, check every
condition against the current items, and only if all hold apply the writes; it remembers the prior
version of each item it writes, so an operation that fails while applying is undone item by item.
Transactions run one at a time (a process-wide lock), as DynamoDB isolates them from each other;
single-item writes outside transactions are not held back.
"""
from __future__ import annotations

import json
import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")
MAX_ITEMS = 100
_serialised = threading.RLock()


def _plan(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict, str, dict]]:
    if len(transact_items) > MAX_ITEMS:
        raise TooManyTransactionsException()
    planned, keys = [], set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException()
        kind, op = next(iter(entry.items()))
        if kind not in OPERATIONS:
            raise MockValidationException("Unsupported transaction operation")
        table = backend.get_table(op["TableName"])
        if kind == "Put":
            key_names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
            key = {name: op["Item"][name] for name in key_names}
        else:
            key = op["Key"]
        identity = (table.name, json.dumps(key, sort_keys=True))
        if identity in keys:
            raise MultipleTransactionsException()
        keys.add(identity)
        planned.append((kind, op, table.name, key))
    return planned


def _failed_conditions(backend: DynamoDBBackend, planned) -> list | None:
    reasons, failed = [], False
    for _, op, table_name, key in planned:
        expression = op.get("ConditionExpression")
        current = backend.get_item(table_name, key)
        if expression is not None and not get_filter_expression(
                expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current):
            item = None
            if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                item = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", item))
            failed = True
        else:
            reasons.append((None, None, None))
    return reasons if failed else None


def _apply(backend: DynamoDBBackend, kind: str, op: dict, table_name: str, key: dict) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if kind == "Put":
        backend.put_item(table_name, op["Item"])
    elif kind == "Delete":
        backend.delete_item(table_name, key)
    else:
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    planned = _plan(self, transact_items)
    with _serialised:
        reasons = _failed_conditions(self, planned)
        if reasons is not None:
            raise TransactionCanceledException(reasons)
        undo: list[tuple[str, dict, dict | None]] = []
        try:
            for kind, op, table_name, key in planned:
                if kind == "ConditionCheck":
                    continue
                before = self.get_item(table_name, key)
                undo.append((table_name, key, before.to_json()["Attributes"] if before is not None else None))
                _apply(self, kind, op, table_name, key)
        except Exception:
            for table_name, key, before in reversed(undo):
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, before)
            raise


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items
