"""One least-privilege role per function, exactly as its ``Function`` declaration says: specific
actions on specific ARNs (tables and the GSIs it queries, one bucket's objects, one queue, ...), no
wildcard actions, and ``*`` resources only where AWS has no resource type (X-Ray). Whether the
declarations match what the code does is proven by tests/integration/test_iam_usage.py."""
from __future__ import annotations

import json
import re

import pytest

from infra import iam
from infra import resources as R
from infra.app_template import build_app, function_id

SUB = re.compile(r"\$\{([^}]+)\}")


@pytest.fixture(scope="module")
def app():
    return build_app()


def role_of(app: dict, fn: R.Function) -> dict:
    role_id = app["Resources"][function_id(fn)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return app["Resources"][role_id]["Properties"]


def policies_of(app: dict, fn: R.Function) -> list[dict]:
    return [app["Resources"][ref["Ref"]]["Properties"]["PolicyDocument"] for ref in role_of(app, fn)["ManagedPolicyArns"]]


def statements_of(app: dict, fn: R.Function) -> list[dict]:
    return [s for document in policies_of(app, fn) for s in document["Statement"]]


def pairs(statements: list[dict]) -> set[tuple[str, str]]:
    """(action, resource) pairs; Fn::Sub wrappers removed."""
    out = set()
    for s in statements:
        for resource in s["Resource"]:
            text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
            out |= {(a, text) for a in s["Action"]}
    return out


def test_one_role_per_function_with_exactly_its_declared_grants(app):
    roles = set()
    for fn in R.FUNCTIONS:
        role = role_of(app, fn)
        roles.add(id(role))
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        assert "Policies" not in role  # all in the function's own managed policies
        statements = statements_of(app, fn)
        # The grouped role policy grants the same (action, resource) pairs as one statement per grant level.
        assert pairs(statements) == pairs(iam.function_statements(fn)), fn.name
    assert len(roles) == len(R.FUNCTIONS)


def test_no_wildcards_beyond_the_documented_exceptions(app):
    for fn in R.FUNCTIONS:
        for s in statements_of(app, fn):
            assert s["Effect"] == "Allow"
            assert all("*" not in a and re.fullmatch(r"[a-z0-9]+:[A-Za-z]+", a) for a in s["Action"]), s
            for resource in s["Resource"]:
                text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
                if text == "*":
                    assert set(s["Action"]) <= set(iam.XRAY_ACTIONS), s  # X-Ray has no resource types
                elif s["Action"] == ["kms:Decrypt"]:
                    # Any key, but only through SSM and only the AWS-managed aws/ssm key.
                    assert s["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/aws/ssm"}
                    assert s["Condition"]["StringEquals"]["kms:ViaService"] == {
                        "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}
                else:
                    # Only the trailing object / execution / log stream part may be open.
                    head = text.rsplit("/", 1)[0] if text.endswith("/*") else text.removesuffix(":*")
                    assert "*" not in head, text
                    assert set(SUB.findall(text)) <= {"AWS::Partition", "AWS::Region", "AWS::AccountId",
                                                      "AWS::StackName"} | set(app["Parameters"]), text


def test_grants_name_existing_resources_and_known_levels():
    tables = {t.name: t for t in R.TABLES}
    names = {"bucket": {b.name for b in R.BUCKETS}, "queue": {q.name for q in R.QUEUES} | {q.dlq_name for q in R.QUEUES},
             "state-machine": {m.name for m in R.STATE_MACHINES}}
    from chalicelib.config import SECRET_PROPERTIES

    for fn in R.FUNCTIONS:
        for g in fn.grants:
            if g.kind == "table":
                assert g.name in tables, (fn.name, g.name)
                assert set(g.indexes) <= {i.name for i in tables[g.name].indexes}, (fn.name, g.name)
            elif g.kind == "secret":
                assert g.name in SECRET_PROPERTIES.values(), (fn.name, g.name)
            else:
                assert g.name in names[g.kind], (fn.name, g.kind, g.name)
            assert (g.levels or g.indexes) and len(set(g.levels)) == len(g.levels)
        kinds = [(g.kind, g.name) for g in fn.grants]
        assert len(kinds) == len(set(kinds)), f"{fn.name}: a resource is declared twice"
        iam.function_statements(fn)  # raises on unknown levels


def test_unknown_levels_and_indexes_are_refused():
    fn = R.Function("x", "m:f", (R.table("users", "read", indexes=("by-nothing",)),))
    with pytest.raises(ValueError, match="by-nothing"):
        iam.function_statements(fn)
    with pytest.raises(ValueError, match="unknown level"):
        iam.function_statements(R.Function("x", "m:f", (R.bucket("media", "admin"),)))


def test_secrets_are_read_from_exactly_the_named_parameters(app):
    for fn in R.FUNCTIONS:
        secrets = sorted(g.name for g in fn.grants if g.kind == "secret")
        env = app["Resources"][function_id(fn)]["Properties"]["Environment"]["Variables"]
        assert sorted(k.removesuffix("_PARAM") for k in env if k.endswith("_SECRET_PARAM")) == secrets
        statements = statements_of(app, fn)
        granted = {r["Fn::Sub"] for s in statements if "ssm:GetParameter" in s["Action"] for r in s["Resource"]}
        assert granted == {f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter"
                           f"${{{iam.secret_parameter(name)}}}" for name in secrets}


def test_each_policy_fits_the_managed_policy_limit(app):
    """A managed policy may hold 6,144 characters (whitespace excluded), counted after CloudFormation
    substituted the names: rendered with the longest names a deployment uses, and a role may have 10."""
    assert len(iam.WORST_CASE["AWS::StackName"]) == len("visionsuit-") + 20  # scripts/deploy.sh: STAGE <= 20
    values = iam.worst_case_values()
    used = set()
    sizes = {}
    for fn in R.FUNCTIONS:
        refs = [r["Ref"] for r in role_of(app, fn)["ManagedPolicyArns"]]
        assert 1 <= len(refs) <= 10 and not used & set(refs)  # policies are not shared between roles
        used |= set(refs)
        for document in policies_of(app, fn):
            text = json.dumps(document, separators=(",", ":"))
            for placeholder in set(SUB.findall(text)):
                text = text.replace("${" + placeholder + "}", values[placeholder])
            text = text.replace('{"Fn::Sub":', "").replace('"},', '",')  # the wrapper is not part of the policy
            sizes.setdefault(fn.name, []).append(len(text))
    assert max(max(v) for v in sizes.values()) < iam.MANAGED_POLICY_LIMIT, sizes
    assert len(sizes["api"]) > 1  # the API's grants need more than one policy (the limit is real)


def test_recorded_calls_map_to_the_actions_iam_authorizes():
    """The integration recorder's mapping (tests/integration/iam_recording.py) from API calls to IAM terms."""
    from tests.integration.iam_recording import Resource, iam_calls

    assert iam_calls("s3", "CopyObject", {"Bucket": "b", "Key": "to", "CopySource": {"Bucket": "b", "Key": "from"}}) == [
        ("s3:GetObject", Resource("object", "b", "from")), ("s3:PutObject", Resource("object", "b", "to"))]
    assert iam_calls("s3", "HeadObject", {"Bucket": "b", "Key": "k"}) == [("s3:GetObject", Resource("object", "b", "k"))]
    assert iam_calls("s3", "UploadPart", {"Bucket": "b", "Key": "k"}) == [("s3:PutObject", Resource("object", "b", "k"))]
    assert iam_calls("s3", "ListObjectsV2", {"Bucket": "b"}) == [("s3:ListBucket", Resource("bucket", "b"))]
    assert iam_calls("s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}]}}) == [
        ("s3:DeleteObject", Resource("object", "b", "x")), ("s3:DeleteObject", Resource("object", "b", "y"))]
    assert iam_calls("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "t1"}}, {"ConditionCheck": {"TableName": "t2"}}]}) == [
        ("dynamodb:PutItem", Resource("table", "t1")), ("dynamodb:ConditionCheckItem", Resource("table", "t2"))]
    assert iam_calls("dynamodb", "Query", {"TableName": "t", "IndexName": "i"}) == [
        ("dynamodb:Query", Resource("table", "t", "i"))]
    assert iam_calls("sqs", "SendMessageBatch", {"QueueUrl": "http://h:1/123/p-ingest"}) == [
        ("sqs:SendMessage", Resource("queue", "p-ingest"))]
    assert iam_calls("states", "SendTaskSuccess", {"taskToken": "t"}) == [("states:SendTaskSuccess", Resource("task-token"))]
    assert iam_calls("ssm", "GetParameter", {"Name": "/p"}) == [("ssm:GetParameter", Resource("secret", "/p"))]
