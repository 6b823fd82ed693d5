"""The application template (infra.app_template) is wired as infra/resources.py describes it:
cfn-lint clean, notifications reach their queues, every queue has a DLQ, alarms and a consumer,
every schedule invokes its function, CloudFront serves the SPA and routes /api/* to the API."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import resources as R
from infra.app_template import (
    ALL_VIEWER_EXCEPT_HOST,
    API_STAGE,
    CACHING_DISABLED,
    SPA_ROUTER,
    build_app,
    function_id,
    spa_content_security_policy,
)
from infra.template import _logical_id, build

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def app():
    return build_app()


def of_type(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def functions_by_id(app: dict) -> dict:
    return {function_id(fn): fn for fn in R.FUNCTIONS}


def test_both_templates_pass_cfn_lint(app, tmp_path):
    (tmp_path / "stateful.json").write_text(json.dumps(build()))
    (tmp_path / "app.json").write_text(json.dumps(app))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    r = subprocess.run([str(cfn_lint), str(tmp_path / "stateful.json"), str(tmp_path / "app.json")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # ...and the check can fail on the application template too: a function below Lambda's minimum memory.
    broken = json.loads(json.dumps(app))
    broken["Resources"]["IngestFunction"]["Properties"]["MemorySize"] = 64
    (tmp_path / "app.json").write_text(json.dumps(broken))
    assert subprocess.run([str(cfn_lint), str(tmp_path / "app.json")], capture_output=True).returncode != 0


def test_stateful_template_keeps_its_outputs_and_schedule_parameters():
    t = build()
    assert {f"{_logical_id(s.name, 'function', 'arn')}" for s in R.SCHEDULES} <= set(t["Parameters"])
    assert _logical_id(R.table_env("users")) in t["Outputs"]


def test_every_notification_reaches_its_queue_which_allows_exactly_that_bucket(app):
    policies = of_type(app, "AWS::SQS::QueuePolicy")
    for b in R.BUCKETS:
        bucket = app["Resources"][_logical_id(b.name, "bucket")]
        configs = bucket["Properties"].get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        assert len(configs) == len(b.notifications)
        for n, cfg in zip(b.notifications, configs, strict=True):
            queue_id = _logical_id(n.queue, "queue")
            assert cfg["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}
            assert cfg["Event"] == "s3:ObjectCreated:*"
            rules = cfg.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            assert rules == ([{"Name": "prefix", "Value": n.prefix}] if n.prefix else [])
            allowing = [p for p in policies.values() if {"Ref": queue_id} in p["Properties"]["Queues"]]
            assert len(allowing) == 1, f"{n.queue}: one queue policy expected"
            (statement,) = allowing[0]["Properties"]["PolicyDocument"]["Statement"]
            assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
            source = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
            assert source.endswith(f":::${{AWS::StackName}}-{b.name}")
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
            # the bucket is created after the policy, or S3 refuses the notification
            assert set(bucket["DependsOn"]) >= {k for k, p in policies.items() if p in allowing}


def test_every_queue_has_a_dlq_alarms_and_a_consumer(app):
    res = app["Resources"]
    alarms = of_type(app, "AWS::CloudWatch::Alarm").values()
    mappings = of_type(app, "AWS::Lambda::EventSourceMapping").values()

    def alarms_on(queue_id: str, metric: str) -> list[dict]:
        return [a["Properties"] for a in alarms if a["Properties"]["MetricName"] == metric
                and a["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]]

    for q in R.QUEUES:
        queue_id, dlq_id = _logical_id(q.name, "queue"), _logical_id(q.dlq_name, "queue")
        redrive = res[queue_id]["Properties"]["RedrivePolicy"]
        assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": q.max_receive_count}
        (dlq_alarm,) = alarms_on(dlq_id, "ApproximateNumberOfMessagesVisible")
        assert (dlq_alarm["Threshold"], dlq_alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert dlq_alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        (age_alarm,) = alarms_on(queue_id, "ApproximateAgeOfOldestMessage")
        assert age_alarm["Threshold"] == q.age_alarm_seconds
        consumers = [m["Properties"] for m in mappings
                     if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}]
        if q.consumer:
            (mapping,) = consumers
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert mapping["BatchSize"] == q.batch_size
            function = res[mapping["FunctionName"]["Ref"]]["Properties"]
            module, _, name = q.consumer.partition(":")
            assert function["Handler"] == f"{module}.{name}"
            assert function["Timeout"] <= q.visibility_timeout  # else messages reappear mid-invocation
        else:
            # Pulled by GPU agents through the API: the API role may receive and delete on it.
            assert not consumers
            api_role = res[res["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]]
            granted = [s for ref in api_role["Properties"]["ManagedPolicyArns"]
                       for s in res[ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
                       if "sqs:ReceiveMessage" in s["Action"]]
            assert any(r == {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:"
                                        f"${{AWS::StackName}}-{q.name}"} for s in granted for r in s["Resource"])
    subscription = res["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail" and subscription["Properties"]["Protocol"] == "email"


def test_every_schedule_invokes_its_function_with_a_permission(app):
    res = app["Resources"]
    permissions = of_type(app, "AWS::Lambda::Permission").values()
    for s in R.SCHEDULES:
        rule_id = _logical_id(s.name, "schedule")
        rule = res[rule_id]["Properties"]
        assert rule["ScheduleExpression"] == s.expression and rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        function_ref = target["Arn"]["Fn::GetAtt"][0]
        module, _, name = s.handler.partition(":")
        assert res[function_ref]["Properties"]["Handler"] == f"{module}.{name}"
        assert any(p["Properties"] == {"FunctionName": {"Ref": function_ref}, "Action": "lambda:InvokeFunction",
                                       "Principal": "events.amazonaws.com",
                                       "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}} for p in permissions), s.name
    assert not [k for k in app["Parameters"] if k.endswith("FunctionArn")]


def test_functions_share_one_code_package_environment_and_tracing(app):
    # The names infra.bootstrap exports locally, plus the runtime settings.
    expected = {R.table_env(t.name) for t in R.TABLES} | {R.bucket_env(b.name) for b in R.BUCKETS} \
        | {R.queue_env(q.name) for q in R.QUEUES} | {R.state_machine_env(m.name) for m in R.STATE_MACHINES} \
        | {"VS_GENERATOR_HEARTBEAT_SECONDS", "VS_PUBLIC_URL", "POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"}
    ids = functions_by_id(app)
    assert set(ids) == {k for k, v in app["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    for fid, fn in ids.items():
        props = app["Resources"][fid]["Properties"]
        assert props["CodeUri"] == "app-code" and props["Layers"] == [{"Ref": "DependenciesLayer"}]
        assert props["Runtime"] == "python3.12" and props["Tracing"] == "Active"
        assert expected <= set(props["Environment"]["Variables"]), fid
        assert props["Role"] == {"Fn::GetAtt": [f"{fid[:-len('Function')] if fid != 'APIHandler' else 'Api'}Role", "Arn"]}
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == f"visionsuit-{fn.name}"


def test_the_api_is_the_chalice_app_behind_a_regional_endpoint(app):
    res = app["Resources"]
    api = res["RestAPI"]["Properties"]
    assert api["StageName"] == API_STAGE and api["EndpointConfiguration"] == "REGIONAL"
    paths = api["DefinitionBody"]["paths"]
    assert "/api/health" in paths and any(p.startswith("/api/models") for p in paths)
    assert res["APIHandler"]["Properties"]["Handler"] == "app.app"
    assert res["UnknownRouteResponse"]["Properties"]["StatusCode"] == "404"


def test_cloudfront_serves_the_spa_and_routes_api_to_api_gateway(app):
    res = app["Resources"]
    config = res["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["api"]["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origins["api"]["OriginPath"] == f"/{API_STAGE}"
    assert origins["site"]["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert origins["site"]["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    (api_behavior,) = config["CacheBehaviors"]
    assert api_behavior["PathPattern"] == "/api/*" and api_behavior["TargetOriginId"] == "api"
    assert api_behavior["CachePolicyId"] == CACHING_DISABLED
    assert api_behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert {"POST", "PUT", "PATCH", "DELETE"} <= set(api_behavior["AllowedMethods"])
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"
    # Custom error responses would turn API 403/404 answers into index.html.
    assert "CustomErrorResponses" not in config
    headers = res["EdgeHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert csp == spa_content_security_policy()
    media_origin = "https://${AWS::StackName}-media.s3.${AWS::Region}.${AWS::URLSuffix}"
    assert f"connect-src 'self' {media_origin}" in csp and "script-src 'self'" in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert default["ResponseHeadersPolicyId"] == {"Ref": "EdgeHeaders"}
    # The site bucket is private: only this distribution reads it.
    site = res["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(site.values())
    (statement,) = res["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"} and statement["Action"] == "s3:GetObject"
    assert "${Distribution}" in statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert "DistributionUrl" in app["Outputs"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront function")
def test_spa_router_rewrites_only_client_side_routes(tmp_path):
    script = tmp_path / "router.js"
    cases = ["/", "/models/abc", "/assets/index-1a2b.js", "/favicon.ico", "/api/models", "/api", "/u/x.y/z"]
    script.write_text(SPA_ROUTER + "\nconsole.log(JSON.stringify(" + json.dumps(cases)
                      + ".map(function (u) { return handler({request: {uri: u}}).uri; })));\n")
    out = json.loads(subprocess.run(["node", str(script)], capture_output=True, text=True, check=True).stdout)
    assert out == ["/index.html", "/index.html", "/assets/index-1a2b.js", "/favicon.ico", "/api/models", "/api",
                   "/index.html"]
