"""The embedded emulator's TransactWriteItems (infra/local/moto_transactions.py): all or nothing,
item-level rollback, no effect on items outside the transaction. Narrow: moto's decorator."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import moto_transactions

TABLE = "tx-test"


@pytest.fixture
def ddb():
    moto_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.put_item(TableName=TABLE, Item={"pk": {"S": "counter"}, "n": {"N": "1"}})
        yield client


def _get(ddb, key):
    return ddb.get_item(TableName=TABLE, Key={"pk": {"S": key}}).get("Item")


def test_all_writes_apply_when_every_condition_holds(ddb):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ])
    assert _get(ddb, "a") and _get(ddb, "counter")["n"] == {"N": "2"}


def test_a_failed_condition_cancels_everything_and_names_the_item(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "b"}}}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
                        "ConditionExpression": "n = :five",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":five": {"N": "5"}}}},
        ])
    assert e.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert _get(ddb, "b") is None and _get(ddb, "counter")["n"] == {"N": "1"}


def test_an_operation_failing_while_applying_is_undone_item_by_item(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "c"}, "v": {"S": "before"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "text"}, "v": {"S": "not a number"}})
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "c"}, "v": {"S": "after"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "d"}}}},
            # ADD to a string attribute passes every condition and fails only when applied
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "text"}}, "UpdateExpression": "ADD v :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    assert _get(ddb, "c")["v"] == {"S": "before"} and _get(ddb, "d") is None
    assert _get(ddb, "text")["v"] == {"S": "not a number"} and _get(ddb, "counter")["n"] == {"N": "1"}


def test_an_item_may_appear_once(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "e"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "e"}}}},
        ])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert _get(ddb, "e") is None
