"""Deploy the generated stateful template (``infra.template.build``) as a CloudFormation stack.

The tier-2 integration session uses it instead of ``infra.bootstrap``: the stack is created (or updated
when it exists; "no updates" is fine), its Outputs are read, and the same environment
``infra.bootstrap.bootstrap`` returns is handed to the application. Endpoints and credentials come only
from the standard ``AWS_*`` variables.

``python -m infra.stack_deploy STACK`` deploys with the default timing and prints the environment.

When DynamoDB is routed to an endpoint other than CloudFormation's (``AWS_ENDPOINT_URL_DYNAMODB``,
e.g. a standalone DynamoDB Local beside LocalStack), the tables CloudFormation created are not the
ones the application talks to. ``apply_tables`` then creates the same template's
``AWS::DynamoDB::Table`` resources on that endpoint (CreateTable + UpdateTimeToLive), so there is
still only one description of the tables. Likewise ``apply_missing_lifecycle`` puts the template's bucket
lifecycle rules where the deployed bucket has none (LocalStack's bucket provider drops them).
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError

from infra import resources as R
from infra import template

# Values for the schedule rules' target parameters when no functions are deployed (LocalStack has no
# Lambda without Docker): the ARN the function would have, so the rule is valid and inspectable.
LOCAL_FUNCTION_ARN = "arn:aws:lambda:{region}:{account}:function:{stack}-{schedule}"

_DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
# Still in progress, but the deployment has already failed: report it now rather than after the rollback.
_ROLLING_BACK = {"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"}


class StackDeployError(RuntimeError):
    """The stack ended in a failed state; the message lists every failed resource event."""


@dataclass(frozen=True)
class Deployment:
    stack_id: str
    status: str
    changed: bool  # False when the stack already matched the template ("no updates")
    seconds: float
    outputs: dict[str, str]
    parameters: dict[str, str]  # what the stack was deployed with (a redeploy passes them again)


def output_env_names() -> dict[str, str]:
    """Output key -> environment variable, for every resource the application is told about."""
    names = [R.table_env(t.name) for t in R.TABLES] + [R.bucket_env(b.name) for b in R.BUCKETS]
    names += [R.queue_env(q.name) for q in R.QUEUES] + [R.state_machine_env(m.name) for m in R.STATE_MACHINES]
    return {template._logical_id(name): name for name in names}


def default_parameters(stack: str, body: dict, region: str, account: str) -> dict[str, str]:
    """Schedule targets point at the function ARNs the stack's functions would have (see LOCAL_FUNCTION_ARN)."""
    params = {}
    for s in R.SCHEDULES:
        key = template._logical_id(s.name, "function", "arn")
        if key in body.get("Parameters", {}):
            params[key] = LOCAL_FUNCTION_ARN.format(region=region, account=account, stack=stack, schedule=s.name)
    return params


def _failure_events(cfn, stack: str, since: float) -> list[str]:
    lines = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        for e in page["StackEvents"]:
            if e["Timestamp"].timestamp() < since - 5:
                break
            # The stack's own events only repeat the status the message starts with.
            if e["ResourceStatus"].endswith("_FAILED") and e["ResourceType"] != "AWS::CloudFormation::Stack":
                lines.append(f"{e['LogicalResourceId']} ({e['ResourceType']}): {e['ResourceStatus']}: "
                             f"{e.get('ResourceStatusReason', '')}")
    return list(reversed(lines))


def _wait(cfn, stack: str, since: float, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        status = desc["StackStatus"]
        if status in _DONE:
            return desc
        if not status.endswith("_IN_PROGRESS") or status in _ROLLING_BACK:
            failures = _failure_events(cfn, stack, since)
            raise StackDeployError(
                f"stack {stack} ended in {status} ({desc.get('StackStatusReason') or 'no reason given'}); "
                f"failed resources:\n  " + ("\n  ".join(failures) or "(no failed resource events)"))
        if time.monotonic() > deadline:
            raise StackDeployError(f"stack {stack} still {status} after {timeout:.0f}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def deploy(stack: str, body: dict, parameters: dict[str, str] | None = None, timeout: float = 600) -> Deployment:
    """Create or update ``stack`` from the template ``body`` and wait until it is done."""
    session = boto3.session.Session()
    cfn = session.client("cloudformation")
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted((parameters or {}).items())]
    text = json.dumps(body)
    started, t0 = time.time(), time.monotonic()
    try:
        existing = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as e:
        if "does not exist" not in str(e):
            raise
        existing = None
    changed = True
    if existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS":
        cfn.create_stack(StackName=stack, TemplateBody=text, Parameters=params,
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], OnFailure="DO_NOTHING")
        desc = _wait(cfn, stack, started, timeout)
    else:
        try:
            cfn.update_stack(StackName=stack, TemplateBody=text, Parameters=params,
                             Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
        except ClientError as e:
            if "No updates are to be performed" not in str(e):
                raise
            changed = False
            desc = existing
        else:
            desc = _wait(cfn, stack, started, timeout)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    return Deployment(desc["StackId"], desc["StackStatus"], changed, time.monotonic() - t0, outputs, dict(parameters or {}))


def _table_request(props: dict) -> dict:
    """CreateTable arguments from an AWS::DynamoDB::Table's properties (the parts DynamoDB Local knows)."""
    request = {k: props[k] for k in ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode") if k in props}
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {k: i[k] for k in ("IndexName", "KeySchema", "Projection") if k in i} for i in props["GlobalSecondaryIndexes"]]
    return request


def apply_tables(stack: str, body: dict, ddb=None) -> None:
    """Create the template's tables on the DynamoDB endpoint the application uses (idempotent)."""
    ddb = ddb or boto3.session.Session().client("dynamodb")
    existing = set()
    for page in ddb.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for res in body["Resources"].values():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = json.loads(json.dumps(res["Properties"]).replace("${AWS::StackName}", stack))
        props["TableName"] = props["TableName"]["Fn::Sub"] if isinstance(props["TableName"], dict) else props["TableName"]
        if props["TableName"] in existing:
            continue
        ddb.create_table(**_table_request(props))
        created.append(props)
    for props in created:
        ddb.get_waiter("table_exists").wait(TableName=props["TableName"], WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification={
                "Enabled": True, "AttributeName": ttl["AttributeName"]})


def _lifecycle_request(config: dict) -> dict:
    """PutBucketLifecycleConfiguration arguments from an AWS::S3::Bucket's LifecycleConfiguration (the rule
    fields the template uses)."""
    rules = []
    for r in config["Rules"]:
        rule = {"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")}}
        if "ExpirationInDays" in r:
            rule["Expiration"] = {"Days": r["ExpirationInDays"]}
        if "AbortIncompleteMultipartUpload" in r:
            rule["AbortIncompleteMultipartUpload"] = r["AbortIncompleteMultipartUpload"]
        rules.append(rule)
    return {"Rules": rules}


def apply_missing_lifecycle(stack: str, body: dict, s3=None) -> list[str]:
    """Put the template's bucket lifecycle rules where the deployed bucket has none; returns those buckets.

    LocalStack's AWS::S3::Bucket provider (2026.3) applies notifications, CORS, versioning, object lock, tags and
    website settings but ignores LifecycleConfiguration; on AWS the rules are there and nothing is written."""
    s3 = s3 or boto3.session.Session().client("s3")
    applied = []
    for res in body["Resources"].values():
        config = res["Properties"].get("LifecycleConfiguration") if res["Type"] == "AWS::S3::Bucket" else None
        if not config:
            continue
        name = res["Properties"]["BucketName"]
        name = name["Fn::Sub"].replace("${AWS::StackName}", stack) if isinstance(name, dict) else name
        try:
            s3.get_bucket_lifecycle_configuration(Bucket=name)
            continue
        except ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchLifecycleConfiguration":
                raise
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=_lifecycle_request(config))
        applied.append(name)
    return applied


def dynamodb_is_separate(session: boto3.session.Session) -> bool:
    """True when DynamoDB is explicitly routed elsewhere than CloudFormation (AWS_ENDPOINT_URL_DYNAMODB)."""
    return bool(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")) and (
        session.client("dynamodb").meta.endpoint_url != session.client("cloudformation").meta.endpoint_url)


def deploy_stateful(stack: str, timing: R.Timing | None = None, parameters: dict[str, str] | None = None,
                    ) -> tuple[dict[str, str], Deployment]:
    """Deploy ``infra.template.build(timing)`` as ``stack``; returns (the env bootstrap returns, the deployment).

    The stack name doubles as the resource prefix (physical names are ``<stack>-<logical>``)."""
    timing = timing or R.Timing()
    body = template.build(timing)
    session = boto3.session.Session()
    separate_dynamodb = dynamodb_is_separate(session)
    region = session.region_name or "us-east-1"
    account = session.client("sts").get_caller_identity()["Account"]
    params = {**default_parameters(stack, body, region, account), **(parameters or {})}
    deployment = deploy(stack, body, params)
    apply_missing_lifecycle(stack, body)
    if separate_dynamodb:
        apply_tables(stack, body)
    names = output_env_names()
    missing = sorted(set(names) - set(deployment.outputs))
    if missing:
        raise StackDeployError(f"stack {stack} lacks the outputs {missing}")
    env = {env_name: deployment.outputs[key] for key, env_name in names.items()}
    # Agents are told the heartbeat timeout the state machine was built with (as bootstrap does).
    env["VS_GENERATOR_HEARTBEAT_SECONDS"] = str(timing.heartbeat_seconds)
    return env, deployment


if __name__ == "__main__":
    result, dep = deploy_stateful(sys.argv[1] if len(sys.argv) > 1 else "vs-local")
    print(f"{dep.status} changed={dep.changed} in {dep.seconds:.1f}s", file=sys.stderr)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
