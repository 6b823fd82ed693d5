"""The application template (infra.app_template) is wired as infra/resources.py describes it:
cfn-lint clean, notifications reach their queues, every queue has a DLQ, alarms and a consumer,
every schedule invokes its function, CloudFront serves the SPA and routes /api/* to the API."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.edge_policy import ORIGIN_VERIFY_HEADER
from infra import iam
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
from infra.edge import PERMISSIONS_POLICY, spa_security_headers
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


def test_the_api_behaviour_has_its_own_headers_policy_without_the_spas_csp(app):
    res = app["Resources"]
    config = res["Distribution"]["Properties"]["DistributionConfig"]
    (api_behavior,) = config["CacheBehaviors"]
    policy_id = api_behavior["ResponseHeadersPolicyId"]["Ref"]
    assert policy_id != config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]
    policy = res[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    assert set(policy["SecurityHeadersConfig"]) == {"StrictTransportSecurity", "ContentTypeOptions"}
    assert "CustomHeadersConfig" not in policy
    assert "Content-Security-Policy" not in json.dumps(policy) and "default-src" not in json.dumps(policy)


def test_the_site_policy_adds_coop_and_permissions_policy_from_infra_edge(app):
    policy = app["Resources"]["EdgeHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    custom = {item["Header"]: item for item in policy["CustomHeadersConfig"]["Items"]}
    document = spa_security_headers({}, html=True, https=True)
    assert custom["Permissions-Policy"]["Value"] == PERMISSIONS_POLICY == document["Permissions-Policy"]
    assert custom["Cross-Origin-Opener-Policy"]["Value"] == document["Cross-Origin-Opener-Policy"] == "same-origin"
    assert all(item["Override"] for item in custom.values())
    # CloudFront refuses custom headers that SecurityHeadersConfig covers (CSP, HSTS, framing...).
    assert not {h.lower() for h in custom} & {"content-security-policy", "strict-transport-security",
                                              "x-frame-options", "x-content-type-options", "referrer-policy"}


def test_cloudfront_proves_itself_to_the_api_with_a_secret_resolved_from_ssm(app):
    res = app["Resources"]
    origins = {o["Id"]: o for o in res["Distribution"]["Properties"]["DistributionConfig"]["Origins"]}
    (header,) = origins["api"]["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_VERIFY_HEADER
    parameter = iam.secret_parameter("VS_ORIGIN_VERIFY_SECRET")
    # A dynamic reference to the parameter named at deploy time: the value is never in the template.
    assert header["HeaderValue"] == {"Fn::Sub": "{{resolve:ssm:${" + parameter + "}}}"}
    assert "Default" not in app["Parameters"][parameter]
    assert "site" not in {o["Id"] for o in origins.values() if "OriginCustomHeaders" in o}
    # The API reads the same parameter (by name) and may read exactly it; no other function gets it.
    env = res["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["VS_ORIGIN_VERIFY_SECRET_PARAM"] == {"Ref": parameter} and env["VS_TRUSTED_PROXY_HOPS"] == "1"
    assert "VS_ORIGIN_VERIFY_SECRET" not in env
    api = next(fn for fn in R.FUNCTIONS if fn.name == R.API_FUNCTION)
    granted = [r for s in iam.function_statements(api) if "ssm:GetParameter" in s["Action"] for r in s["Resource"]]
    assert iam.PARAMETER % parameter in granted
    for fid, fn in functions_by_id(app).items():
        if fn.name != R.API_FUNCTION:
            assert "VS_ORIGIN_VERIFY_SECRET_PARAM" not in res[fid]["Properties"]["Environment"]["Variables"], fid


def test_cors_origins_are_the_public_url_plus_the_allowed_origins_list(app):
    params = app["Parameters"]
    assert "AllowedOrigin" not in params  # the stateful template keeps it (LocalStack tier); the app has a list
    assert params["AllowedOrigins"]["Type"] == "CommaDelimitedList" and params["AllowedOrigins"]["Default"] == ""
    pattern = re.compile(params["AllowedOrigins"]["AllowedPattern"])
    assert pattern.match("") and pattern.match("https://a.example.org") and pattern.match("http://localhost:5173")
    assert not any(pattern.match(v) for v in ("*", "https://*.example.org", "https://a.example.org/path"))
    assert not re.match(params["PublicUrl"]["AllowedPattern"], "*")
    env = app["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["VS_ALLOWED_ORIGINS"] == {"Fn::Join": [",", {"Ref": "AllowedOrigins"}]}
    media = app["Resources"][_logical_id(next(b.name for b in R.BUCKETS if b.browser_uploads), "bucket")]
    condition, cors, otherwise = media["Properties"]["CorsConfiguration"]["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert "*" not in json.dumps(cors["CorsRules"][0]["AllowedOrigins"])

    def evaluate(value, public_url: str, allowed: list[str]):
        """The intrinsic functions this property uses, as CloudFormation evaluates them."""
        conditions = {"HasPublicUrl": public_url != "", "HasAllowedOrigins": "".join(allowed) != ""}
        conditions["HasBrowserOrigins"] = conditions["HasPublicUrl"] or conditions["HasAllowedOrigins"]
        refs = {"PublicUrl": public_url, "AllowedOrigins": allowed}
        if isinstance(value, list):
            return [evaluate(v, public_url, allowed) for v in value]
        if not isinstance(value, dict):
            return value
        ((fn, arg),) = value.items() if len(value) == 1 else ((None, None),)
        if fn == "Ref":
            return refs[arg]
        if fn == "Fn::If":
            return evaluate(arg[1] if conditions[arg[0]] else arg[2], public_url, allowed)
        if fn == "Fn::Join":
            return arg[0].join(evaluate(arg[1], public_url, allowed))
        if fn == "Fn::Split":
            return evaluate(arg[1], public_url, allowed).split(arg[0])
        return {k: evaluate(v, public_url, allowed) for k, v in value.items()}

    assert app["Conditions"][condition] == {"Fn::Or": [{"Condition": "HasPublicUrl"},
                                                       {"Condition": "HasAllowedOrigins"}]}
    assert app["Conditions"]["HasAllowedOrigins"] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "AllowedOrigins"}]}, ""]}]}

    def origins(public_url: str, allowed: list[str]):
        value = evaluate({"Fn::If": [condition, cors, None]}, public_url, allowed)  # None: AWS::NoValue
        return value if value is None else value["CorsRules"][0]["AllowedOrigins"]

    pub, a, b = "https://vs.example.org", "https://a.example.org", "http://localhost:5173"
    assert origins(pub, [""]) == [pub]
    assert origins(pub, [a, b]) == [pub, a, b]
    assert origins("", [a]) == [a]
    assert origins("", [""]) is None  # no rule rather than a placeholder or "*"
