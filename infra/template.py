"""CloudFormation for the stateful resources, generated from ``infra.resources``.

``python -m infra.template [STAGE] > build/stateful.json`` writes buckets (ObjectCreated -> SQS),
queues with DLQs and redrive policies, DynamoDB tables with indexes, TTL and point-in-time
recovery, the generation state machine (definition substituted by CloudFormation) and the
EventBridge schedules. Functions and the API are attached to it by the deployment issue's
packaging; the schedules' targets arrive as parameters until then.
"""
from __future__ import annotations

import json
import re
import sys

from infra import resources as R


def _logical_id(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]", part) if p)


def _physical(logical: str) -> dict:
    return {"Fn::Sub": f"${{AWS::StackName}}-{logical}"}


def _queues(res: dict) -> None:
    for q in R.QUEUES:
        dlq = _logical_id(q.dlq_name, "queue")
        res[dlq] = {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": _physical(q.dlq_name), "MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True}}
        res[_logical_id(q.name, "queue")] = {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": _physical(q.name),
            "VisibilityTimeout": q.visibility_timeout,
            "MessageRetentionPeriod": q.retention_seconds,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]}, "maxReceiveCount": q.max_receive_count},
        }}


def _buckets(res: dict) -> None:
    for b in R.BUCKETS:
        bucket_id = _logical_id(b.name, "bucket")
        props: dict = {
            "BucketName": _physical(b.name),
            "PublicAccessBlockConfiguration": {k: True for k in (
                "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        }
        if b.browser_uploads:
            props["CorsConfiguration"] = {"CorsRules": [{
                "AllowedMethods": ["PUT", "GET", "HEAD"], "AllowedOrigins": [{"Ref": "AllowedOrigin"}],
                "AllowedHeaders": ["*"], "ExposedHeaders": ["ETag"], "MaxAge": 3600}]}
        if b.expire_after_days:
            props["LifecycleConfiguration"] = {"Rules": [
                {"Id": f"expire-{prefix.strip('/')}", "Status": "Enabled", "Prefix": prefix, "ExpirationInDays": days,
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days}}
                for prefix, days in b.expire_after_days]}
        depends = []
        if b.notifications:
            props["NotificationConfiguration"] = {"QueueConfigurations": [
                {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": [_logical_id(n.queue, "queue"), "Arn"]},
                 **({"Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": n.prefix}]}}} if n.prefix else {})}
                for n in b.notifications]}
            for queue in sorted({n.queue for n in b.notifications}):
                policy_id = _logical_id(b.name, queue, "policy")
                depends.append(policy_id)
                res[policy_id] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                    "Queues": [{"Ref": _logical_id(queue, "queue")}],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
                        "Resource": {"Fn::GetAtt": [_logical_id(queue, "queue"), "Arn"]},
                        # The bucket ARN is known from its name, which avoids a dependency cycle.
                        "Condition": {"ArnLike": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{AWS::StackName}}-{b.name}"}},
                                      "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}}
        res[bucket_id] = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                          "Properties": props, **({"DependsOn": depends} if depends else {})}


def _tables(res: dict) -> None:
    for t in R.TABLES:
        schema = [{"AttributeName": t.hash_key, "KeyType": "HASH"}] + (
            [{"AttributeName": t.range_key, "KeyType": "RANGE"}] if t.range_key else [])
        props: dict = {
            "TableName": _physical(t.name), "BillingMode": "PAY_PER_REQUEST", "KeySchema": schema,
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": v} for k, v in t.attributes.items()],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        }
        if t.indexes:
            props["GlobalSecondaryIndexes"] = [{
                "IndexName": i.name,
                "KeySchema": [{"AttributeName": i.hash_key, "KeyType": "HASH"}]
                + ([{"AttributeName": i.range_key, "KeyType": "RANGE"}] if i.range_key else []),
                "Projection": {"ProjectionType": i.projection}} for i in t.indexes]
        if t.ttl_attribute:
            props["TimeToLiveSpecification"] = {"AttributeName": t.ttl_attribute, "Enabled": True}
        res[_logical_id(t.name, "table")] = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
                                              "UpdateReplacePolicy": "Retain", "Properties": props}


def _state_machines(res: dict, timing: R.Timing) -> None:
    for m in R.STATE_MACHINES:
        queues = sorted({logical for kind, logical in m.substitutions.values() if kind == "queue"})
        role_id = _logical_id(m.name, "states", "role")
        res[role_id] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "send-to-queues", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sqs:SendMessage",
                "Resource": [{"Fn::GetAtt": [_logical_id(q, "queue"), "Arn"]} for q in queues]}]}}]}}
        res[_logical_id(m.name, "state", "machine")] = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": _physical(m.name),
            "RoleArn": {"Fn::GetAtt": [role_id, "Arn"]},
            "DefinitionString": json.dumps(R.load_definition(m, timing), indent=1),
            "DefinitionSubstitutions": {key: {"Ref": _logical_id(logical, "queue")}
                                        for key, (kind, logical) in m.substitutions.items() if kind == "queue"},
        }}


def _schedules(res: dict, params: dict) -> None:
    for s in R.SCHEDULES:
        param = _logical_id(s.name, "function", "arn")
        params[param] = {"Type": "String", "Description": f"Lambda invoked by the {s.name} schedule ({s.handler})"}
        res[_logical_id(s.name, "schedule")] = {"Type": "AWS::Events::Rule", "Properties": {
            "ScheduleExpression": s.expression, "State": "ENABLED",
            "Targets": [{"Id": s.name, "Arn": {"Ref": param}}]}}


def build(timing: R.Timing | None = None) -> dict:
    resources: dict = {}
    params: dict = {"AllowedOrigin": {"Type": "String", "Default": "https://example.invalid",
                                      "Description": "Origin of the SPA (CORS for presigned uploads)"}}
    _queues(resources)
    _buckets(resources)
    _tables(resources)
    _state_machines(resources, timing or R.Timing())
    _schedules(resources, params)
    outputs = {}
    for t in R.TABLES:
        outputs[_logical_id(R.table_env(t.name))] = {"Value": {"Ref": _logical_id(t.name, "table")}}
    for b in R.BUCKETS:
        outputs[_logical_id(R.bucket_env(b.name))] = {"Value": {"Ref": _logical_id(b.name, "bucket")}}
    for q in R.QUEUES:
        outputs[_logical_id(R.queue_env(q.name))] = {"Value": {"Ref": _logical_id(q.name, "queue")}}
    for m in R.STATE_MACHINES:
        outputs[_logical_id(R.state_machine_env(m.name))] = {"Value": {"Ref": _logical_id(m.name, "state", "machine")}}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Description": "VisionSuit stateful resources (generated from infra/resources.py)",
            "Parameters": params, "Resources": resources, "Outputs": outputs}


if __name__ == "__main__":
    json.dump(build(), sys.stdout, indent=1)
    sys.stdout.write("\n")
