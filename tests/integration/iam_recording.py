"""Records which AWS actions each deployable function performs during the integration session.

Installed once when tests/integration/conftest.py is imported (before the runtime creates any client).
Every botocore API call and every presigned URL made while a handler runs (the local runtime marks
handler invocations with ``infra.local.lambda_runtime.INVOKED_FUNCTION``) is reduced to IAM terms:
``(function, "dynamodb:PutItem", Resource("table", "<physical name>", ...))``. A call outside any
handler is attributed to a function when it happens inside the one service method that function's
handler calls (tests that drive a scheduled job's service directly, with a controllable clock); other
calls from test code and unattributed threads (pollers receiving for the event source mapping, the
bootstrap) are ignored. Secrets are recorded where the configuration hands them out, because locally they come from
environment variables rather than SSM. Kept cheap: one set insertion per call, mapping done here,
ARNs built only when test_iam_usage evaluates the policies.
"""
from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import botocore.client
import botocore.signers

from infra.local.lambda_runtime import INVOKED_FUNCTION


@dataclass(frozen=True)
class Resource:
    kind: str  # table | bucket | object | queue | state-machine | execution | task-token | secret | any
    name: str = ""  # physical name (table, bucket, queue), ARN (state machine, execution) or secret env name
    detail: str = ""  # index name (table) or object key (object)


RECORDED: set[tuple[str, str, Resource]] = set()
_SERVICES = f"{os.sep}chalicelib{os.sep}services{os.sep}"
STATE = {"installed": False}

_S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload", "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
}
_S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
}
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _queue_name(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _queue_name_from_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def iam_calls(prefix: str, operation: str, params: dict) -> list[tuple[str, Resource]]:
    """The IAM (action, resource) pairs AWS authorizes for one API call."""
    if prefix == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            out = []
            for item in params.get("TransactItems", []):
                for kind, body in item.items():
                    out.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", Resource("table", body["TableName"])))
            return out
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", Resource("table", t)) for t in params.get("RequestItems", {})]
        return [(f"dynamodb:{operation}", Resource("table", params.get("TableName", ""), params.get("IndexName", "")))]
    if prefix == "s3":
        bucket = params.get("Bucket", "")
        if operation in ("CopyObject", "UploadPartCopy"):
            source = params["CopySource"]
            if isinstance(source, str):
                source_bucket, _, source_key = unquote(source.lstrip("/")).partition("/")
                source_key = source_key.split("?versionId=")[0]
            else:
                source_bucket, source_key = source["Bucket"], source["Key"]
            return [("s3:GetObject", Resource("object", source_bucket, source_key)),
                    ("s3:PutObject", Resource("object", bucket, params["Key"]))]
        if operation == "DeleteObjects":
            return [("s3:DeleteObject", Resource("object", bucket, o["Key"]))
                    for o in params.get("Delete", {}).get("Objects", [])]
        if operation in _S3_OBJECT_ACTIONS:
            return [(_S3_OBJECT_ACTIONS[operation], Resource("object", bucket, params.get("Key", "")))]
        if operation in _S3_BUCKET_ACTIONS:
            return [(_S3_BUCKET_ACTIONS[operation], Resource("bucket", bucket))]
        return [(f"s3:{operation}", Resource("bucket", bucket))]
    if prefix == "sqs":
        action = f"sqs:{_SQS_ACTIONS.get(operation, operation)}"
        if "QueueUrl" in params:
            return [(action, Resource("queue", _queue_name(params["QueueUrl"])))]
        if "QueueName" in params:
            return [(action, Resource("queue", params["QueueName"]))]
        if operation in ("StartMessageMoveTask", "ListMessageMoveTasks"):
            out = [(action, Resource("queue", _queue_name_from_arn(params["SourceArn"])))]
            if params.get("DestinationArn"):
                out.append(("sqs:SendMessage", Resource("queue", _queue_name_from_arn(params["DestinationArn"]))))
            return out
        if operation == "CancelMessageMoveTask":
            return [(action, Resource("any"))]
        return [(action, Resource("any"))]
    if prefix == "states":
        if "stateMachineArn" in params:
            return [(f"states:{operation}", Resource("state-machine", params["stateMachineArn"]))]
        if "executionArn" in params:
            return [(f"states:{operation}", Resource("execution", params["executionArn"]))]
        if "taskToken" in params:
            return [(f"states:{operation}", Resource("task-token"))]
        return [(f"states:{operation}", Resource("any"))]
    if prefix == "ssm" and "Name" in params:
        return [(f"ssm:{operation}", Resource("secret", params["Name"]))]
    return [(f"{prefix}:{operation}", Resource("any"))]


# Service method -> function, for calls made outside any handler: handlers call ONE service method
# (the project's rule), so a test that drives that method directly - the cleanup jobs' tests, which
# need a controllable clock - exercises exactly what the function would do.
ENTRY_METHODS: dict[str, str] = {}


def _service_calls(handler) -> list[str]:
    """Methods called as ``container.<factory>().<method>(...)`` in a handler's source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    return [node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Attribute)
            and isinstance(node.func.value.func.value, ast.Name) and node.func.value.func.value.id == "container"]


def _entry_methods() -> dict[str, str]:
    from infra import resources as R
    from infra.local.lambda_runtime import load_handler

    found: dict[str, set[str]] = {}
    for fn in R.FUNCTIONS:
        if fn.name == R.API_FUNCTION:
            continue
        methods = _service_calls(load_handler(fn.handler))
        if len(set(methods)) == 1:
            found.setdefault(methods[0], set()).add(fn.name)
    return {method: names.pop() for method, names in found.items() if len(names) == 1}


def _entry_function() -> str | None:
    frame = sys._getframe(3)
    depth = 0
    while frame is not None and depth < 80:
        code = frame.f_code
        if code.co_name in ENTRY_METHODS and _SERVICES in code.co_filename:
            return ENTRY_METHODS[code.co_name]
        frame, depth = frame.f_back, depth + 1
    return None


def _record(client, operation: str, params: dict) -> None:
    function = INVOKED_FUNCTION.get() or _entry_function()
    if function is None:
        return
    try:
        pairs = iam_calls(client.meta.service_model.endpoint_prefix, operation, params)
    except (KeyError, TypeError, AttributeError):  # a shape this module does not know: keep it visible
        pairs = [(f"{client.meta.service_model.endpoint_prefix}:{operation}", Resource("any", "unparsed"))]
    for action, resource in pairs:
        RECORDED.add((function, action, resource))


def record_secret(env_name: str) -> None:
    function = INVOKED_FUNCTION.get() or _entry_function()
    if function is not None:
        RECORDED.add((function, "ssm:GetParameter", Resource("secret", env_name)))


def install() -> None:
    if STATE["installed"]:
        return
    STATE["installed"] = True
    ENTRY_METHODS.update(_entry_methods())
    make_api_call = botocore.client.BaseClient._make_api_call

    def recording_api_call(self, operation_name, api_params):
        _record(self, operation_name, api_params)
        return make_api_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recording_api_call

    # Clients created from now on get this as their generate_presigned_url method (botocore attaches
    # the module's function when it builds a client class). A presigned URL is authorized with the
    # signer's permissions when it is used, so it counts as the signer's call.
    presign = botocore.signers.generate_presigned_url

    def recording_presign(self, ClientMethod, Params=None, ExpiresIn=3600, HttpMethod=None):  # noqa: N803
        operation = self._PY_TO_OP_NAME.get(ClientMethod, ClientMethod)
        _record(self, operation, Params or {})
        return presign(self, ClientMethod, Params=Params, ExpiresIn=ExpiresIn, HttpMethod=HttpMethod)

    botocore.signers.generate_presigned_url = recording_presign

    # Secrets: every read of a Config secret property is recorded (the property still caches the value).
    from chalicelib.config import SECRET_PROPERTIES, Config

    for attribute, env_name in SECRET_PROPERTIES.items():
        cached = Config.__dict__[attribute]

        def reader(self, _cached=cached, _env=env_name):
            record_secret(_env)
            return _cached.__get__(self, type(self))

        # A property is a data descriptor, so it runs on every access even after cached_property filled
        # the instance dict; the cached value is then read back from there.
        setattr(Config, attribute, property(reader))
