"""infra/stack_deploy.py without a CloudFormation endpoint: outputs, parameters, the table applier.
The deployment itself is exercised on LocalStack by tests/integration/test_deployed_stack.py."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from infra import resources as R
from infra import stack_deploy, template


def test_every_template_output_names_an_environment_variable():
    body = template.build(R.Timing())
    names = stack_deploy.output_env_names()
    assert set(names) == set(body["Outputs"])
    assert len(set(names.values())) == len(names)


def test_schedule_targets_default_to_the_functions_the_stack_would_have():
    body = template.build(R.Timing())
    params = stack_deploy.default_parameters("vs-dev", body, "eu-west-1", "123456789012")
    assert params == {template._logical_id(s.name, "function", "arn"):
                      f"arn:aws:lambda:eu-west-1:123456789012:function:vs-dev-{s.name}" for s in R.SCHEDULES}
    assert set(params) | {"AllowedOrigin"} == set(body["Parameters"])


@pytest.fixture
def ddb(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        yield boto3.client("dynamodb")


def test_applied_tables_follow_the_template_resources(ddb):
    body = template.build(R.Timing())
    stack_deploy.apply_tables("vst", body, ddb)
    stack_deploy.apply_tables("vst", body, ddb)  # idempotent
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(R.physical("vst", t.name) for t in R.TABLES)
    for t in R.TABLES:
        desc = ddb.describe_table(TableName=R.physical("vst", t.name))["Table"]
        assert {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]} == t.attributes
        assert sorted(i["IndexName"] for i in desc.get("GlobalSecondaryIndexes", [])) == sorted(i.name for i in t.indexes)
        ttl = ddb.describe_time_to_live(TableName=desc["TableName"])["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"] == "ENABLED") == bool(t.ttl_attribute)
        if t.ttl_attribute:
            assert ttl["AttributeName"] == t.ttl_attribute


def test_dynamodb_is_separate_only_when_routed_elsewhere(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:24566")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    assert not stack_deploy.dynamodb_is_separate(boto3.session.Session())
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:24800")
    assert stack_deploy.dynamodb_is_separate(boto3.session.Session())


def test_missing_bucket_lifecycle_rules_are_put_from_the_template(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    body = template.build(R.Timing())
    with mock_aws():
        s3 = boto3.client("s3")
        for b in R.BUCKETS:
            s3.create_bucket(Bucket=R.physical("vst", b.name))
        assert stack_deploy.apply_missing_lifecycle("vst", body, s3) == [
            R.physical("vst", b.name) for b in R.BUCKETS if b.expire_after_days]
        assert stack_deploy.apply_missing_lifecycle("vst", body, s3) == []  # present: left alone
        for b in R.BUCKETS:
            if b.expire_after_days:
                rules = s3.get_bucket_lifecycle_configuration(Bucket=R.physical("vst", b.name))["Rules"]
                assert {(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["AbortIncompleteMultipartUpload"][
                    "DaysAfterInitiation"]) for r in rules} == {(p, d, d) for p, d in b.expire_after_days}
