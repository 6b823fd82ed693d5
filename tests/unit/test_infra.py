"""The resource description, the state machine and the generated CloudFormation agree."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import resources as R
from infra.template import build


def test_rate_expressions():
    assert R.Schedule("a", "rate(5 minutes)", "x:y").interval_seconds == 300
    assert R.Schedule("a", "rate(1 hour)", "x:y").interval_seconds == 3600
    with pytest.raises(ValueError):
        _ = R.Schedule("a", "cron(0 * * * ? *)", "x:y").interval_seconds


def test_state_machine_timing_and_catchers():
    definition = R.load_definition(R.STATE_MACHINES[0], R.Timing(heartbeat_seconds=7, timeout_seconds=70))
    dispatch = definition["States"]["Dispatch"]
    assert dispatch["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert (dispatch["HeartbeatSeconds"], dispatch["TimeoutSeconds"]) == (7, 70)
    # Both emulators report a missed heartbeat as States.Timeout; AWS as States.HeartbeatTimeout.
    assert set(dispatch["Catch"][0]["ErrorEquals"]) == {"States.HeartbeatTimeout", "States.Timeout"}
    # Transient agent failures loop back with a doubling backoff, bounded by the attempt limit.
    timed = R.load_definition(R.STATE_MACHINES[0], R.Timing(retry_interval_seconds=3, retry_max_attempts=4))
    assert timed["States"]["Init"]["Parameters"]["backoff"] == 3
    assert timed["States"]["CanRetry"]["Choices"][0]["NumericLessThan"] == 4
    assert {"ErrorEquals": ["Agent.Transient"], "ResultPath": "$.error", "Next": "CanRetry"} in dispatch["Catch"]
    assert "Retry" not in dispatch
    # Only the SQS integration is used (no Lambda, no DynamoDB integration).
    resources = {s["Resource"] for s in definition["States"].values() if s["Type"] == "Task"}
    assert all(r.startswith("arn:aws:states:::sqs:") for r in resources)


def test_substitution_refuses_leftovers():
    definition = R.load_definition(R.STATE_MACHINES[0], R.Timing())
    with pytest.raises(ValueError, match="JobEventsQueueUrl"):
        R.substitute(definition, {"DispatchQueueUrl": "http://q"})


def test_description_is_consistent():
    queues = {q.name for q in R.QUEUES}
    for b in R.BUCKETS:
        assert all(n.queue in queues for n in b.notifications)
    for q in R.QUEUES:
        if q.consumer:
            module, _, fn = q.consumer.partition(":")
            assert callable(getattr(importlib.import_module(module), fn))
    for s in R.SCHEDULES:
        module, _, fn = s.handler.partition(":")
        assert callable(getattr(importlib.import_module(module), fn))
    for m in R.STATE_MACHINES:
        assert all(kind == "queue" and logical in queues for kind, logical in m.substitutions.values())


def test_template_wiring():
    t = build()
    res = t["Resources"]
    queues = {k: v for k, v in res.items() if v["Type"] == "AWS::SQS::Queue"}
    for name, q in queues.items():
        if not name.endswith("DlqQueue"):
            target = q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert target in queues and target.endswith("DlqQueue")
    for b in (v for v in res.values() if v["Type"] == "AWS::S3::Bucket"):
        for cfg in b["Properties"].get("NotificationConfiguration", {}).get("QueueConfigurations", []):
            queue = cfg["Queue"]["Fn::GetAtt"][0]
            assert queue in queues
            policies = [res[d] for d in b["DependsOn"]]
            assert any(p["Properties"]["Queues"] == [{"Ref": queue}] for p in policies)
    tables = [v for v in res.values() if v["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == len(R.TABLES)
    assert all(t_["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for t_ in tables)


def test_template_passes_cfn_lint(tmp_path):
    path = tmp_path / "stateful.json"
    path.write_text(json.dumps(build()))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    r = subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # ...and the check can fail: an out-of-range visibility timeout is flagged.
    broken = build()
    broken["Resources"]["IngestQueue"]["Properties"]["VisibilityTimeout"] = 999_999
    path.write_text(json.dumps(broken))
    assert subprocess.run([str(cfn_lint), str(path)], capture_output=True).returncode != 0
