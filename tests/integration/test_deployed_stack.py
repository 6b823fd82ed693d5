"""The stateful template as CloudFormation deployed it (tier 2: VS_TEST_PROVISIONING=cloudformation).

The whole session runs against this stack; these tests check the deployment itself: status, outputs,
redrive policies, the media bucket's ObjectCreated routing, tables, the state machine, the schedule rules,
that a redeploy changes nothing, and that a failing stack is reported with its failed resources.
"""
from __future__ import annotations

import json
import os
import uuid

import boto3
import pytest

from infra import resources as R
from infra import stack_deploy, template
from tests.integration.conftest import wait_for


@pytest.fixture(scope="module")
def stack(runtime):
    if runtime.deployment is None:
        pytest.skip("the session was provisioned by infra.bootstrap, not CloudFormation (VS_TEST_PROVISIONING)")
    return runtime.options.prefix


@pytest.fixture(scope="module")
def cfn():
    return boto3.client("cloudformation")


@pytest.fixture(scope="module")
def stack_resources(cfn, stack):
    out = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for r in page["StackResourceSummaries"]:
            out[r["LogicalResourceId"]] = r
    return out


def _physical(stack_resources, kind: str) -> list[str]:
    return sorted(r["PhysicalResourceId"] for r in stack_resources.values() if r["ResourceType"] == kind)


def test_stack_is_complete_and_every_resource_too(cfn, stack, stack_resources):
    status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    assert status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    body = template.build(R.Timing())
    assert set(stack_resources) == set(body["Resources"])
    assert {r["ResourceStatus"] for r in stack_resources.values()} <= {"CREATE_COMPLETE", "UPDATE_COMPLETE"}


def test_every_output_is_a_resource_the_application_uses(runtime, cfn, stack, stack_resources):
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    names = stack_deploy.output_env_names()
    assert set(outputs) == set(names)
    physical_ids = {r["PhysicalResourceId"] for r in stack_resources.values()}
    for key, env_name in names.items():
        assert outputs[key] in physical_ids, key
        assert runtime.env[env_name] == os.environ[env_name] == outputs[key], env_name
    # Nothing the application reads is left to another provisioning path.
    wanted = {R.table_env(t.name) for t in R.TABLES} | {R.bucket_env(b.name) for b in R.BUCKETS}
    wanted |= {R.queue_env(q.name) for q in R.QUEUES} | {R.state_machine_env(m.name) for m in R.STATE_MACHINES}
    assert wanted == set(names.values())


def test_queues_have_their_dead_letter_queues(runtime, stack):
    sqs = boto3.client("sqs")
    for q in R.QUEUES:
        attrs = sqs.get_queue_attributes(QueueUrl=runtime.env[R.queue_env(q.name)], AttributeNames=["All"])["Attributes"]
        dlq_url = sqs.get_queue_url(QueueName=R.physical(stack, q.dlq_name))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn,
                                                      "maxReceiveCount": q.max_receive_count}, q.name
        assert int(attrs["VisibilityTimeout"]) == q.visibility_timeout


def test_media_uploads_under_incoming_reach_the_ingest_function(runtime, stack, monkeypatch):
    """S3 ObjectCreated -> the deployed notification -> the ingest queue -> the ingest handler."""
    from chalicelib import container

    bucket = runtime.env[R.bucket_env("media")]
    notification = boto3.client("s3").get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    sqs = boto3.client("sqs")
    ingest_arn = sqs.get_queue_attributes(QueueUrl=runtime.env[R.queue_env("ingest")],
                                          AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert [(n["QueueArn"], n["Events"]) for n in notification] == [(ingest_arn, ["s3:ObjectCreated:*"])]
    rules = notification[0]["Filter"]["Key"]["FilterRules"]
    assert [(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "incoming/")]

    seen = []
    real = container.ingest_pipeline()

    class Spy:
        def handle(self, bucket_name, key, etag):
            seen.append((bucket_name, key))
            return real.handle(bucket_name, key, etag)

    monkeypatch.setattr(container, "ingest_pipeline", lambda: Spy())
    # No upload session has this id: the pipeline files it as an orphan and changes nothing.
    key = f"incoming/deployed-stack-{uuid.uuid4().hex}/0-probe.bin"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"probe")
    try:
        wait_for(lambda: (bucket, key) in seen, timeout=30)
    finally:
        boto3.client("s3").delete_object(Bucket=bucket, Key=key)


def _table_shape(description: dict) -> tuple:
    return (sorted((k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]),
            sorted((i["IndexName"], tuple((k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]),
                    i["Projection"]["ProjectionType"]) for i in description.get("GlobalSecondaryIndexes", [])))


def test_tables_have_their_indexes_and_ttl(runtime, stack_resources):
    app_ddb = boto3.client("dynamodb")
    # With a separate DynamoDB Local, the template's tables were applied there too (stack_deploy.apply_tables):
    # both copies must have the same shape.
    cfn_ddb = boto3.client("dynamodb", endpoint_url=boto3.client("cloudformation").meta.endpoint_url)
    assert sorted(runtime.env[R.table_env(t.name)] for t in R.TABLES) == _physical(stack_resources,
                                                                                   "AWS::DynamoDB::Table")
    for t in R.TABLES:
        name = runtime.env[R.table_env(t.name)]
        desc = app_ddb.describe_table(TableName=name)["Table"]
        assert sorted(i["IndexName"] for i in desc.get("GlobalSecondaryIndexes", [])) == sorted(
            i.name for i in t.indexes), t.name
        assert _table_shape(desc) == _table_shape(cfn_ddb.describe_table(TableName=name)["Table"]), t.name
        ttl = app_ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if t.ttl_attribute:
            assert (ttl["TimeToLiveStatus"], ttl.get("AttributeName")) == ("ENABLED", t.ttl_attribute), t.name
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", t.name


def test_state_machine_has_the_stack_queue_urls_substituted(runtime, stack_resources):
    sfn = boto3.client("stepfunctions")
    for m in R.STATE_MACHINES:
        arn = runtime.env[R.state_machine_env(m.name)]
        desc = sfn.describe_state_machine(stateMachineArn=arn)
        assert desc["status"] == "ACTIVE"
        assert "${" not in desc["definition"]
        for key, (kind, logical) in m.substitutions.items():
            assert kind == "queue" and runtime.env[R.queue_env(logical)] in desc["definition"], key
        assert desc["roleArn"].rsplit("/", 1)[-1] in _physical(stack_resources, "AWS::IAM::Role")


def test_schedule_rules_exist_with_their_expressions(runtime, stack_resources):
    events = boto3.client("events")
    rules = {}
    for name in _physical(stack_resources, "AWS::Events::Rule"):
        rule = events.describe_rule(Name=name)
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        assert rule["State"] == "ENABLED"
        rules[targets[0]["Id"]] = (rule["ScheduleExpression"], targets[0]["Arn"])
    params = runtime.deployment.parameters
    assert rules == {s.name: (s.expression, params[template._logical_id(s.name, "function", "arn")])
                     for s in R.SCHEDULES}


def test_redeploying_the_same_template_changes_nothing(runtime, cfn, stack):
    before = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    env, again = stack_deploy.deploy_stateful(stack, runtime.options.timing, runtime.deployment.parameters)
    after = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    assert not again.changed
    assert (after["StackStatus"], after.get("LastUpdatedTime")) == (before["StackStatus"], before.get("LastUpdatedTime"))
    assert env == {k: runtime.env[k] for k in env}


def test_a_failing_stack_is_reported_with_its_failed_resources(stack):
    broken = f"{stack}-broken"
    body = {"Resources": {
        "FineQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{broken}-fine"}},
        # The key attribute is not defined: DynamoDB refuses the table.
        "BadTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": f"{broken}-bad", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}]}},
    }}
    with pytest.raises(stack_deploy.StackDeployError) as failure:
        stack_deploy.deploy(broken, body)
    message = str(failure.value)
    assert f"stack {broken} ended in" in message
    assert "BadTable (AWS::DynamoDB::Table): CREATE_FAILED" in message
    assert "FineQueue" not in message
