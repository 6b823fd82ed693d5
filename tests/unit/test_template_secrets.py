"""Secrets never appear in a template: functions get SSM parameter NAMES and fetch the values at run
time (chalicelib.secret_store through chalicelib.config), once per container, decrypted."""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib import secret_store
from chalicelib.config import SECRET_PROPERTIES, Config
from chalicelib.errors import ConfigurationError
from infra.app_template import build_app
from infra.template import build

TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def suspicious(template: dict) -> list[str]:
    """Random-looking tokens (a generated secret has ~6 bits per character; names, ids and
    UUIDs have far less) and secret variables that carry a value instead of a parameter name."""
    found = [t for s in strings(template) for t in TOKEN.findall(s) if entropy(t) > 4.6]
    for resource in template["Resources"].values():
        env = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        found += [name for name in SECRET_PROPERTIES.values() if name in env]
        found += [f"{k}={v}" for k, v in env.items() if k.endswith("_PARAM") and not isinstance(v, dict)]
    return found


@pytest.fixture(scope="module")
def app():
    return build_app()


def test_no_secret_values_in_either_template(app):
    assert suspicious(build()) == []
    assert suspicious(app) == []
    for name in SECRET_PROPERTIES.values():
        assert name not in app["Parameters"]
    secret_params = [p for k, p in app["Parameters"].items() if k.endswith("SecretParameter")]
    assert len(secret_params) == len(SECRET_PROPERTIES)
    assert all("Default" not in p and p["Type"] == "String" for p in secret_params)  # names, given at deploy


def test_the_scan_finds_a_planted_secret(app):
    planted = json.loads(json.dumps(app))
    planted["Resources"]["IngestFunction"]["Properties"]["Environment"]["Variables"]["VS_JWT_SECRET"] = "x" * 40
    planted["Resources"]["AlarmTopic"]["Properties"]["DisplayName"] = "Zt4q_Lw9-kP2vR7xB1nM8sY3cJ6hF0dG5aE"
    found = suspicious(planted)
    assert "VS_JWT_SECRET" in found and "Zt4q_Lw9-kP2vR7xB1nM8sY3cJ6hF0dG5aE" in found


@pytest.fixture
def ssm_env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in SECRET_PROPERTIES.values():
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_PARAM", raising=False)
    secret_store.forget()
    yield monkeypatch
    secret_store.forget()


@mock_aws
def test_secret_is_fetched_once_from_ssm_with_decryption(ssm_env):
    ssm = boto3.client("ssm", region_name="eu-west-1")
    value = "s" * 20 + "-jwt-secret-from-parameter-store"
    ssm.put_parameter(Name="/vs/test/jwt", Value=value, Type="SecureString")
    ssm_env.setenv("VS_JWT_SECRET_PARAM", "/vs/test/jwt")
    ssm_env.setenv("VS_JWT_SECRET", "an environment value that must not win over the parameter")
    assert Config().jwt_secret == value.encode()
    # Cached per container: a second configuration does not ask SSM again (a changed value shows only in
    # new containers, which is how a rotation rolls out).
    ssm.put_parameter(Name="/vs/test/jwt", Value="r" * 40, Type="SecureString", Overwrite=True)
    assert Config().jwt_secret == value.encode()


@mock_aws
def test_missing_or_short_parameter_is_a_configuration_error(ssm_env):
    ssm = boto3.client("ssm", region_name="eu-west-1")
    ssm_env.setenv("VS_CALLBACK_SECRET_PARAM", "/vs/test/absent")
    with pytest.raises(ConfigurationError, match="/vs/test/absent"):
        _ = Config().callback_secret
    ssm.put_parameter(Name="/vs/test/short", Value="too-short", Type="SecureString")
    ssm_env.setenv("VS_CALLBACK_SECRET_PARAM", "/vs/test/short")
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        _ = Config().callback_secret


def test_without_a_parameter_the_environment_value_is_used_and_never_defaulted(ssm_env):
    with pytest.raises(ConfigurationError, match="VS_STORAGE_EVENTS_SECRET"):
        _ = Config().storage_events_secret
    ssm_env.setenv("VS_STORAGE_EVENTS_SECRET", "e" * 32)
    assert Config().storage_events_secret == b"e" * 32
    assert "VS_STORAGE_EVENTS_SECRET_PARAM" not in os.environ


def test_deploy_script_creates_and_passes_exactly_the_template_secret_parameters(app):
    script = (Path(__file__).resolve().parents[2] / "scripts" / "deploy.sh").read_text()
    created = set(re.findall(r"\[(\w+SecretParameter)\]=", script))
    assert created == {k for k in app["Parameters"] if k.endswith("SecretParameter")}
    block = script.split("--parameter-overrides", 1)[1].split("\n}", 1)[0]
    overrides = set(re.findall(r'"(\w+)=\$', block))
    assert {"PublicUrl", "AlarmEmail"} | created <= overrides
    assert overrides <= set(app["Parameters"]), overrides - set(app["Parameters"])
    assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0
    # CloudFront resolves only plain String parameters; every other secret stays a SecureString.
    types = dict(re.findall(r"\[(\w+SecretParameter)\]=(String|SecureString)\b", script))
    assert types == {"OriginVerifySecretParameter": "String"}
    assert '--type "${SECRET_TYPES[$key]:-SecureString}"' in script


@mock_aws
def test_origin_verify_secret_is_read_from_a_plain_string_parameter(ssm_env):
    ssm = boto3.client("ssm", region_name="eu-west-1")
    value = "o" * 20 + "-origin-verify-from-parameter-store"
    ssm.put_parameter(Name="/vs/test/origin-verify", Value=value, Type="String")
    ssm_env.setenv("VS_ORIGIN_VERIFY_SECRET_PARAM", "/vs/test/origin-verify")
    assert Config().origin_verify_secret == value.encode()
