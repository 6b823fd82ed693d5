"""Least-privilege IAM statements generated from the ``Function`` declarations of ``infra.resources``.

Each access level is a short list of IAM actions on specific ARNs: the table and exactly the GSIs a
function queries, a bucket's objects or the bucket itself, one queue, the state machine or its
executions, one SSM parameter. Resources are ``${...}`` strings in CloudFormation's Fn::Sub syntax;
the template wraps them in Fn::Sub, tests/integration/test_iam_usage.py substitutes its own values
with :func:`substitute` and evaluates the very same statements against the calls it recorded.

The only ``*`` resource is X-Ray's (PutTraceSegments/PutTelemetryRecords have no resource type), and
KMS Decrypt for SecureString parameters is limited to the AWS-managed aws/ssm key used through SSM.
"""
from __future__ import annotations

import json
import re

from infra import resources as R

TABLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-%s"
BUCKET = "arn:${AWS::Partition}:s3:::${AWS::StackName}-%s"
QUEUE = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-%s"
STATE_MACHINE = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-%s"
EXECUTIONS = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-%s:*"
PARAMETER = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${%s}"
LOG_GROUP = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-%s:*"

TABLE_LEVELS = {
    "read": ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"),
    "query": ("dynamodb:Query",),
    "scan": ("dynamodb:Scan",),
    "describe": ("dynamodb:DescribeTable",),  # item counts for progress estimates
    "write": ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"),
}
INDEX_ACTIONS = ("dynamodb:Query",)
# (actions, on the objects or on the bucket)
BUCKET_LEVELS = {
    "read": (("s3:GetObject",), "objects"),
    "write": (("s3:PutObject",), "objects"),
    "delete": (("s3:DeleteObject",), "objects"),
    "list": (("s3:ListBucket",), "bucket"),
    "multipart": (("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"), "objects"),
    "list-multipart": (("s3:ListBucketMultipartUploads",), "bucket"),
}
QUEUE_LEVELS = {
    "send": ("sqs:SendMessage",),
    "receive": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"),
    "inspect": ("sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
    "redrive": ("sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks"),
}
# What Lambda's SQS event source mapping does with the consumer's role (not the handler's calls).
EVENT_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes")
STATE_MACHINE_LEVELS = {
    "start": (("states:StartExecution",), STATE_MACHINE),
    "stop": (("states:StopExecution",), EXECUTIONS),
    "describe": (("states:DescribeExecution",), EXECUTIONS),
    # Task-token calls are authorized against the state machine that issued the token.
    "callback": (("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"), STATE_MACHINE),
}
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def _sid(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]", part) if p)


def secret_parameter(env_name: str) -> str:
    """The template parameter carrying the SSM parameter NAME of a secret: VS_JWT_SECRET -> JwtSecretParameter."""
    return _sid(env_name.removeprefix("VS_").lower(), "parameter")


def _statement(sid: str, actions, resources: list[str]) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _table(grant: R.Grant) -> list[dict]:
    unknown = set(grant.levels) - set(TABLE_LEVELS)
    if unknown:
        raise ValueError(f"table {grant.name}: unknown levels {sorted(unknown)}")
    table = TABLE % grant.name
    out = [_statement(_sid(grant.name, "table", level), TABLE_LEVELS[level], [table]) for level in grant.levels]
    if grant.indexes:
        indexes = {i.name for t in R.TABLES if t.name == grant.name for i in t.indexes}
        missing = set(grant.indexes) - indexes
        if missing:
            raise ValueError(f"table {grant.name} has no index {sorted(missing)}")
        out.append(_statement(_sid(grant.name, "indexes", "query"), INDEX_ACTIONS,
                              [f"{table}/index/{i}" for i in grant.indexes]))
    return out


def _bucket(grant: R.Grant) -> list[dict]:
    out = []
    for level in grant.levels:
        if level not in BUCKET_LEVELS:
            raise ValueError(f"bucket {grant.name}: unknown level {level}")
        actions, target = BUCKET_LEVELS[level]
        arn = BUCKET % grant.name + ("/*" if target == "objects" else "")
        out.append(_statement(_sid(grant.name, "bucket", level), actions, [arn]))
    return out


def _queue(grant: R.Grant) -> list[dict]:
    out = []
    for level in grant.levels:
        if level not in QUEUE_LEVELS:
            raise ValueError(f"queue {grant.name}: unknown level {level}")
        out.append(_statement(_sid(grant.name, "queue", level), QUEUE_LEVELS[level], [QUEUE % grant.name]))
    return out


def _state_machine(grant: R.Grant) -> list[dict]:
    out = []
    for level in grant.levels:
        if level not in STATE_MACHINE_LEVELS:
            raise ValueError(f"state machine {grant.name}: unknown level {level}")
        actions, arn = STATE_MACHINE_LEVELS[level]
        out.append(_statement(_sid(grant.name, "machine", level), actions, [arn % grant.name]))
    return out


def _secrets(grants: list[R.Grant]) -> list[dict]:
    if not grants:
        return []
    params = [PARAMETER % secret_parameter(g.name) for g in grants]
    return [
        _statement("SecretParameters", ("ssm:GetParameter",), params),
        {**_statement("SecretDecryption", ("kms:Decrypt",),
                      ["arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"]),
         # Only the AWS-managed aws/ssm key, and only when SSM asks on the function's behalf.
         "Condition": {"StringEquals": {"kms:ViaService": "ssm.${AWS::Region}.amazonaws.com"},
                       "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/aws/ssm"}}},
    ]


def function_statements(fn: R.Function, grouped: bool = False) -> list[dict]:
    """Every statement of the function's role: its grants, its event source, its logs, X-Ray.

    One statement per (resource, level) - what the tests reason about. ``grouped`` merges statements
    with the same actions into one with several resources (the same grants, a fraction of the size:
    a role's inline policies may hold 10,240 characters)."""
    statements = _statements(fn)
    if not grouped:
        return statements
    merged: dict[tuple, dict] = {}
    for s in statements:
        key = (tuple(s["Action"]), json.dumps(s.get("Condition"), sort_keys=True))
        if key in merged:
            merged[key]["Resource"] += [r for r in s["Resource"] if r not in merged[key]["Resource"]]
        else:
            merged[key] = {**s, "Resource": list(s["Resource"])}
    out = list(merged.values())
    counts: dict[str, int] = {}
    for s in out:  # readable, unique Sids: the service and a counter
        service = s["Action"][0].split(":")[0].capitalize()
        counts[service] = counts.get(service, 0) + 1
        s["Sid"] = f"{service}{counts[service]}"
    return out


def _statements(fn: R.Function) -> list[dict]:
    statements: list[dict] = []
    for grant in fn.grants:
        if grant.kind == "table":
            statements += _table(grant)
        elif grant.kind == "bucket":
            statements += _bucket(grant)
        elif grant.kind == "queue":
            statements += _queue(grant)
        elif grant.kind == "state-machine":
            statements += _state_machine(grant)
        elif grant.kind != "secret":
            raise ValueError(f"{fn.name}: unknown grant kind {grant.kind}")
    statements += _secrets([g for g in fn.grants if g.kind == "secret"])
    if fn.queue:
        statements.append(_statement(_sid("event", "source", fn.queue), EVENT_SOURCE_ACTIONS, [QUEUE % fn.queue]))
    statements.append(_statement("Logs", ("logs:CreateLogStream", "logs:PutLogEvents"), [LOG_GROUP % fn.name]))
    statements.append(_statement("Tracing", XRAY_ACTIONS, ["*"]))
    sids = [s["Sid"] for s in statements]
    if len(sids) != len(set(sids)):
        raise ValueError(f"{fn.name}: the same resource is granted twice")
    return statements


# The longest values the placeholders take in a deployment (scripts/deploy.sh: stack visionsuit-<stage of
# up to 20 characters>, parameters /visionsuit/<stage>/<name>): policy sizes are checked with these.
WORST_CASE = {"AWS::Partition": "aws-us-gov", "AWS::Region": "ap-southeast-2", "AWS::AccountId": "123456789012",
              "AWS::StackName": "visionsuit-" + "s" * 20}
MANAGED_POLICY_LIMIT = 6144  # characters of one managed policy document, whitespace excluded


def worst_case_values() -> dict[str, str]:
    values = dict(WORST_CASE)
    for fn in R.FUNCTIONS:
        for g in fn.grants:
            if g.kind == "secret":
                values[secret_parameter(g.name)] = "/visionsuit/" + "s" * 20 + "/storage-events-secret"
    return values


def rendered_size(document: dict) -> int:
    """Characters IAM counts for ``document`` (no whitespace) once CloudFormation filled the names."""
    return len(substitute(json.dumps(document, separators=(",", ":")), worst_case_values()))


def policy_documents(fn: R.Function, limit: int = MANAGED_POLICY_LIMIT - 200) -> list[dict]:
    """The function's grouped statements split into as few documents as fit a managed policy each."""
    documents: list[dict] = []
    for statement in function_statements(fn, grouped=True):
        if documents and rendered_size({**documents[-1], "Statement": documents[-1]["Statement"] + [statement]}) <= limit:
            documents[-1]["Statement"].append(statement)
        else:
            documents.append({"Version": "2012-10-17", "Statement": [statement]})
    return documents


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill ``${Name}`` placeholders (tests render the statements with their own names)."""
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    return text
