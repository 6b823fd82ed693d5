"""Least privilege, proven: every AWS call a function made in this session is allowed by the IAM
policy the template generates for it, and (after a full suite) every grant was used.

Runs last (conftest orders it). iam_recording attributes each botocore call and presigned URL to
the function whose handler was running (API requests, queue consumers, schedules) and reduces it to
(IAM action, resource). Here the generated policy statements are rendered with this session's
concrete names and evaluated like IAM does for an Allow-only policy: action match (wildcards allowed),
resource ARN match (wildcards allowed); conditions are not evaluated (only the KMS statement has one).
"""
from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from pathlib import Path

import pytest

from chalicelib.config import SECRET_PROPERTIES
from infra import iam
from infra import resources as R
from tests.integration import iam_recording
from tests.integration.conftest import STACK
from tests.integration.iam_recording import Resource

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / ".data" / "iam-usage.json"

# Grants no test can exercise here, each with the reason it exists.
UNEXERCISED = {
    # Lambda's event source mapping polls and deletes with the consumer's role; locally the poller does
    # it outside any handler, so it is never attributed.
    ("*", "event-source"): "the SQS event source mapping receives/deletes with the function's role",
    # Written by the Lambda runtime and the X-Ray daemon, not by handler code.
    ("*", "logs"): "the Lambda runtime writes the function's log streams",
    ("*", "xray"): "the X-Ray SDK/daemon sends trace segments (Tracing: Active)",
    # SSM decrypts SecureString values with KMS on the caller's behalf; never a call of ours.
    ("*", "kms"): "SSM calls KMS Decrypt on the caller's behalf for SecureString parameters",
}


class Names:
    """This session's concrete values for the placeholders in the generated policies."""

    def __init__(self, env: dict[str, str]) -> None:
        machine_arn = env[R.state_machine_env(R.STATE_MACHINES[0].name)]
        parts = machine_arn.split(":")
        self.partition, self.region, self.account = parts[1], parts[3], parts[4]
        self.prefix = env[R.table_env(R.TABLES[0].name)][: -len(R.TABLES[0].name) - 1]

    def physical(self, logical: str) -> str:
        return R.physical(self.prefix, logical)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def substitutions(self) -> dict[str, str]:
        values = {"AWS::Partition": self.partition, "AWS::Region": self.region, "AWS::AccountId": self.account,
                  "AWS::StackName": self.prefix}
        # Locally a secret's "parameter" is its environment variable, named as a parameter path.
        values.update({iam.secret_parameter(env_name): f"/local/{env_name}" for env_name in SECRET_PROPERTIES.values()})
        return values


def render(statements: list[dict], names: Names) -> list[dict]:
    return [{**s, "Resource": [iam.substitute(r, names.substitutions()) for r in s["Resource"]]} for s in statements]


def resource_arns(resource: Resource, names: Names) -> list[str]:
    """The ARN(s) IAM evaluates for a recorded call."""
    k = resource.kind
    if k == "table":
        base = names.arn("dynamodb", f"table/{resource.name}")
        return [f"{base}/index/{resource.detail}" if resource.detail else base]
    if k == "object":
        return [f"arn:{names.partition}:s3:::{resource.name}/{resource.detail}"]
    if k == "bucket":
        return [f"arn:{names.partition}:s3:::{resource.name}"]
    if k == "queue":
        return [names.arn("sqs", resource.name)]
    if k in ("state-machine", "execution"):
        return [resource.name]
    if k == "task-token":
        # IAM authorizes task-token calls against the state machine the token belongs to; there is one.
        return [names.arn("states", f"stateMachine:{names.physical(m.name)}") for m in R.STATE_MACHINES]
    if k == "secret":
        return [names.arn("ssm", f"parameter/local/{resource.name}")]
    return ["*"]


def _matches(pattern: str, value: str, case_insensitive: bool = False) -> bool:
    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def allowed(statements: list[dict], action: str, arn: str) -> list[dict]:
    return [s for s in statements if s["Effect"] == "Allow"
            and any(_matches(a, action, case_insensitive=True) for a in _as_list(s["Action"]))
            and any(_matches(r, arn) for r in _as_list(s["Resource"]))]


def _full_suite_ran(session) -> bool:
    config = session.config
    if config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False) \
            or getattr(config.option, "deselect", None):
        return False
    here = Path(__file__).parent
    files = {p.name for p in here.glob("test_*.py")}
    collected = {item.path.name for item in session.items}
    # This check runs before the other test of this module, so any failure counted is another test's.
    return files <= collected and session.testsfailed == 0


@pytest.fixture(scope="module")
def usage(runtime):
    names = Names(runtime.env)
    policies = {f.name: render(iam.function_statements(f), names) for f in R.FUNCTIONS}
    recorded = sorted(iam_recording.RECORDED, key=lambda r: (r[0], r[1], r[2].kind, r[2].name, r[2].detail))
    REPORT.parent.mkdir(exist_ok=True)
    by_function = defaultdict(set)
    for function, action, resource in recorded:
        shown = resource.name if resource.kind != "object" else f"{resource.name}/{resource.detail.split('/')[0]}/..."
        by_function[function].add(f"{action} {resource.kind}:{shown}{'#' + resource.detail if resource.kind == 'table' and resource.detail else ''}")
    logical = {f: sorted({line.replace(f"{names.prefix}-", "") for line in v}) for f, v in sorted(by_function.items())}
    REPORT.write_text(json.dumps(logical, indent=1))
    return names, policies, recorded


def test_every_grant_is_used(usage, request):
    """(b): a statement resource that no recorded call needed is a grant too many - unless a test is
    missing, which the message says as well. Needs the whole suite in this session."""
    if not _full_suite_ran(request.session):
        pytest.skip("unused-grant check needs the whole integration suite, passing, in this session")
    if STACK != "embedded":
        # Some grants are reachable only through moto's clock: it reports every multipart upload as started
        # in 2010, so sweep-uploads' orphan-multipart path (read the session, abort the upload) runs; a real
        # store needs a 25-hour-old upload. Allowed-ness (the other test) is checked on every stack.
        pytest.skip("unused-grant check runs on the embedded stack, where every sweep path is reachable")
    names, policies, recorded = usage
    calls = defaultdict(list)
    for function, action, resource in recorded:
        calls[function] += [(action, arn) for arn in resource_arns(resource, names)]
    unused = []
    for function, statements in policies.items():
        for s in statements:
            service = _as_list(s["Action"])[0].split(":")[0]
            if ("*", service) in UNEXERCISED or s.get("Sid", "").startswith("EventSource"):
                continue
            for pattern in _as_list(s["Resource"]):
                if not any(_matches(pattern, arn) and any(_matches(a, action, True) for a in _as_list(s["Action"]))
                           for action, arn in calls[function]):
                    unused.append(f"{function}: {s.get('Sid')} {pattern}")
    assert not unused, ("grants no test used (remove them, or add the missing test):\n" + "\n".join(unused))


def test_every_recorded_call_is_allowed(usage):
    names, policies, recorded = usage
    assert recorded, "nothing was recorded: is iam_recording installed and the runtime attributing calls?"
    denied = set()
    for function, action, resource in recorded:
        assert function in policies, f"calls attributed to {function!r}, which infra.resources FUNCTIONS lacks"
        for arn in resource_arns(resource, names):
            if not allowed(policies[function], action, arn):
                detail = resource.detail.split("/")[0] if resource.kind == "object" else resource.detail
                denied.add(f"{function}: {action} on {resource.kind} {resource.name} {detail}".rstrip())
    assert not denied, "calls the generated IAM policies do not allow:\n" + "\n".join(sorted(denied))
