"""Provision every resource of ``infra.resources`` on an S3/SQS/DynamoDB/Step Functions endpoint.

Used by the embedded local runtime and the test suites (moto or LocalStack + DynamoDB Local).
Endpoints and credentials come only from the standard ``AWS_*`` variables. Idempotent: a resource
that already exists is left as it is, so a second ``bootstrap`` on the same stack is a no-op.
"""
from __future__ import annotations

import json
import os

import boto3
from botocore.exceptions import ClientError

from chalicelib.edge_policy import parse_origins
from infra import resources as R

LOCAL_ROLE_ARN = "arn:aws:iam::000000000000:role/visionsuit-local-states"


def _queue(sqs, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _create_queues(sqs, prefix: str) -> dict[str, tuple[str, str]]:
    out = {}
    for q in R.QUEUES:
        retention = str(q.retention_seconds)
        _, dlq_arn = _queue(sqs, R.physical(prefix, q.dlq_name), {"MessageRetentionPeriod": str(14 * 24 * 3600)})
        out[q.name] = _queue(
            sqs,
            R.physical(prefix, q.name),
            {
                "VisibilityTimeout": str(q.visibility_timeout),
                "MessageRetentionPeriod": retention,
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q.max_receive_count}),
            },
        )
    return out


def _create_buckets(s3, sqs, prefix: str, queues: dict[str, tuple[str, str]], bucket_notifications: bool = True) -> None:
    for b in R.BUCKETS:
        name = R.physical(prefix, b.name)
        try:
            s3.create_bucket(Bucket=name)
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if b.browser_uploads and browser_origins():
            _put_browser_cors(s3, name, browser_origins())
        if b.expire_after_days:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
                {"ID": f"expire-{prefix.strip('/')}", "Status": "Enabled", "Filter": {"Prefix": prefix},
                 "Expiration": {"Days": days}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days}}
                for prefix, days in b.expire_after_days]})
        configs = []
        # Without bucket notifications (MinIO, SeaweedFS) the object store POSTs webhooks to /api/events/storage.
        for n in b.notifications if bucket_notifications else ():
            url, arn = queues[n.queue]
            # The queue must allow S3 to send to it before the notification is accepted.
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(_s3_queue_policy(arn, name))})
            cfg = {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}
            if n.prefix:
                cfg["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": n.prefix}]}}
            configs.append(cfg)
        if configs:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": configs}
            )


def browser_origins(env=os.environ) -> tuple[str, ...]:
    """The origins the SPA is served from (VS_ALLOWED_ORIGINS, else VS_PUBLIC_URL's origin): the
    only pages allowed to PUT presigned uploads and read media cross-origin. Empty while unknown
    (the local runtime binds its port after provisioning and calls ``configure_browser_cors``)."""
    raw, public = env.get("VS_ALLOWED_ORIGINS", ""), env.get("VS_PUBLIC_URL", "")
    return parse_origins(raw, public) if (raw.strip() or public) else ()


def _put_browser_cors(s3, bucket: str, origins: tuple[str, ...]) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedMethods": ["PUT", "GET", "HEAD"], "AllowedOrigins": list(origins), "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})


def configure_browser_cors(env: dict[str, str], origins: tuple[str, ...]) -> None:
    """(Re)write the CORS rule of every bucket the browser uploads to (physical names from the
    application environment ``env``, however they were provisioned), for exactly these origins."""
    s3 = boto3.session.Session().client("s3")
    for b in R.BUCKETS:
        if b.browser_uploads:
            _put_browser_cors(s3, env[R.bucket_env(b.name)], origins)


def _s3_queue_policy(queue_arn: str, bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
            }
        ],
    }


def _create_tables(ddb, prefix: str) -> None:
    existing = set()
    for page in ddb.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    for t in R.TABLES:
        name = R.physical(prefix, t.name)
        if name in existing:
            continue
        schema = [{"AttributeName": t.hash_key, "KeyType": "HASH"}]
        if t.range_key:
            schema.append({"AttributeName": t.range_key, "KeyType": "RANGE"})
        kwargs = dict(
            TableName=name,
            KeySchema=schema,
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": v} for k, v in t.attributes.items()],
            BillingMode="PAY_PER_REQUEST",
        )
        if t.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": i.name,
                    "KeySchema": [{"AttributeName": i.hash_key, "KeyType": "HASH"}]
                    + ([{"AttributeName": i.range_key, "KeyType": "RANGE"}] if i.range_key else []),
                    "Projection": {"ProjectionType": i.projection},
                }
                for i in t.indexes
            ]
        ddb.create_table(**kwargs)
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        if t.ttl_attribute:
            ddb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": t.ttl_attribute}
            )


def _create_state_machines(sfn, prefix: str, queues: dict[str, tuple[str, str]], timing: R.Timing) -> dict[str, str]:
    arns = {}
    existing = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for m in R.STATE_MACHINES:
        name = R.physical(prefix, m.name)
        values = {key: queues[logical][0] for key, (kind, logical) in m.substitutions.items() if kind == "queue"}
        definition = R.substitute(R.load_definition(m, timing), values)
        if name in existing:
            sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            arns[m.name] = existing[name]
        else:
            arns[m.name] = sfn.create_state_machine(name=name, definition=definition, roleArn=LOCAL_ROLE_ARN)[
                "stateMachineArn"
            ]
    return arns


def bootstrap(prefix: str, timing: R.Timing | None = None, *, bucket_notifications: bool = True) -> dict[str, str]:
    """Create everything and return the environment the application needs to find it.

    ``bucket_notifications=False``: S3 is an S3-compatible store that cannot publish to SQS (docs/minio.md);
    buckets get CORS and lifecycle rules but no ObjectCreated -> SQS routing."""
    timing = timing or R.Timing()
    session = boto3.session.Session()
    sqs, s3 = session.client("sqs"), session.client("s3")
    ddb, sfn = session.client("dynamodb"), session.client("stepfunctions")
    queues = _create_queues(sqs, prefix)
    _create_buckets(s3, sqs, prefix, queues, bucket_notifications)
    _create_tables(ddb, prefix)
    machines = _create_state_machines(sfn, prefix, queues, timing)
    env = {R.table_env(t.name): R.physical(prefix, t.name) for t in R.TABLES}
    env.update({R.bucket_env(b.name): R.physical(prefix, b.name) for b in R.BUCKETS})
    env.update({R.queue_env(name): url for name, (url, _) in queues.items()})
    env.update({R.state_machine_env(name): arn for name, arn in machines.items()})
    # Agents are told the heartbeat timeout the state machine was built with.
    env["VS_GENERATOR_HEARTBEAT_SECONDS"] = str(timing.heartbeat_seconds)
    return env
