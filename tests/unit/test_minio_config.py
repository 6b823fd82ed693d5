"""The example MinIO configuration (infra/minio/) agrees with what the platform expects: the webhook endpoint is the
storage-events route, the token produces a header the service accepts, events are persisted while the API is down,
and the event rule / lifecycle cover exactly the bucket and prefix that infra/resources.py routes to ingest."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infra import resources as R

MINIO = Path(__file__).resolve().parents[2] / "infra" / "minio"
SETUP = (MINIO / "setup.sh").read_text()


def env_file() -> dict[str, str]:
    values = {}
    for line in (MINIO / "webhook.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z0-9_]+", key), line
            assert not value.startswith(('"', "'")), f"quotes would be part of the value under docker --env-file: {line}"
            values[key] = value
    return values


def script_vars() -> dict[str, str]:
    return {m[1]: shlex.split(m[2], comments=True)[0] if shlex.split(m[2], comments=True) else ""
            for m in re.finditer(r"^([A-Z_]+)=(.*)$", SETUP, re.M)}


def expand(text: str, variables: dict[str, str]) -> str:
    """Shell-style expansion of the script's own variables; others (STACK, secrets) stay as they are."""
    for _ in range(5):  # variables defined from variables (ARN from TARGET_ID)
        text = re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: variables.get(m[1], m[0]), text)
    return text


def mc_command(*words: str, having: str = "") -> list[str]:
    """The first `mc <words...>` command of setup.sh with an argument starting with ``having``, continuation
    lines joined, variables expanded."""
    joined = SETUP.replace("\\\n", " ")
    for line in joined.splitlines():
        args = shlex.split(line, comments=True)
        if args[:len(words) + 1] == ["mc", *words]:
            args = [expand(a, script_vars()) for a in args]
            if any(a.startswith(having) for a in args):
                return args
    raise AssertionError(f"no `mc {' '.join(words)}` in setup.sh")


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def ingest_routing() -> tuple[R.Bucket, str]:
    [(bucket, notification)] = [(b, n) for b in R.BUCKETS for n in b.notifications if n.queue == "ingest"]
    return bucket, notification.prefix


def minio_authorization(auth_token: str) -> str:
    # MinIO's webhook target: a token of two words is sent as is, one word gets "Bearer ".
    return auth_token if len(auth_token.split()) == 2 else f"Bearer {auth_token}"


def test_env_file_defines_one_enabled_target_on_the_storage_events_route():
    from chalicelib.api import events  # noqa: F401  (registers the route)
    from chalicelib.api.routing import ROUTES

    env = env_file()
    target_ids = {k.removeprefix("MINIO_NOTIFY_WEBHOOK_ENABLE_") for k in env if k.startswith("MINIO_NOTIFY_WEBHOOK_ENABLE_")}
    assert target_ids == {"VISIONSUIT"}
    assert env["MINIO_NOTIFY_WEBHOOK_ENABLE_VISIONSUIT"] == "on"
    endpoint = urlsplit(env["MINIO_NOTIFY_WEBHOOK_ENDPOINT_VISIONSUIT"])
    assert endpoint.scheme == "https" and not endpoint.query
    [route] = [r for r in ROUTES if r.path == endpoint.path]
    assert (route.method, route.security, route.role) == ("POST", "storage-events", None)
    # Undelivered events must survive API outages and MinIO restarts.
    assert env["MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_VISIONSUIT"].startswith("/")
    assert int(env["MINIO_NOTIFY_WEBHOOK_QUEUE_LIMIT_VISIONSUIT"]) >= 10_000


def test_env_file_token_becomes_a_header_the_service_accepts():
    from chalicelib.errors import Unauthorized
    from chalicelib.services.storage_events import StorageEventsService

    token = env_file()["MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_VISIONSUIT"]
    scheme, secret = token.split()
    assert scheme == "Bearer" and "REPLACE" in secret  # a placeholder, never a real secret in the repository
    service = StorageEventsService(queue=None, secret=lambda: secret.encode())
    service.authenticate(minio_authorization(token))
    # The one-word form (bare secret) works too, as MinIO adds "Bearer " itself.
    service.authenticate(minio_authorization(secret))
    with pytest.raises(Unauthorized):
        StorageEventsService(queue=None, secret=lambda: b"another").authenticate(minio_authorization(token))


def test_mc_script_configures_the_same_target_as_the_env_file():
    env, variables = env_file(), script_vars()
    config = mc_command("admin", "config", "set", having="notify_webhook:")
    assert config[4:6] == [variables["ALIAS"], "notify_webhook:VISIONSUIT"]
    settings = dict(a.split("=", 1) for a in config[6:])
    # The platform's public URL (trailing slash dropped) + the route path of the env file.
    assert settings["endpoint"] == "${VS_PUBLIC_URL%/}" + urlsplit(env["MINIO_NOTIFY_WEBHOOK_ENDPOINT_VISIONSUIT"]).path
    assert settings["auth_token"].split()[0] == "Bearer"
    assert settings["queue_dir"] == env["MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_VISIONSUIT"] == variables["QUEUE_DIR"]
    assert settings["queue_limit"] == env["MINIO_NOTIFY_WEBHOOK_QUEUE_LIMIT_VISIONSUIT"]


def test_event_rule_matches_the_ingest_routing_of_the_resources():
    bucket, prefix = ingest_routing()
    add = mc_command("event", "add")
    alias, _, bucket_name = add[3].partition("/")
    assert alias == script_vars()["ALIAS"]
    assert bucket_name == R.physical("${STACK}", bucket.name)
    assert add[4] == "arn:minio:sqs::VISIONSUIT:webhook"  # the env file's target id
    # "put" is MinIO's name for every s3:ObjectCreated:* event, which is what AWS routes to the queue.
    assert option(add, "--event") == "put"
    assert option(add, "--prefix") == prefix
    # The handler accepts MinIO's event names ("s3:ObjectCreated:Put", "...:CompleteMultipartUpload").
    handler = (Path(__file__).resolve().parents[2] / "functions" / "ingest" / "handler.py").read_text()
    assert 'removeprefix("s3:").startswith("ObjectCreated")' in handler


def test_lifecycle_matches_the_resources():
    bucket, _ = ingest_routing()
    rules = json.loads((MINIO / "lifecycle-media.json").read_text())["Rules"]
    assert {(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules if r["Status"] == "Enabled"} == set(
        bucket.expire_after_days)
    ilm = mc_command("ilm", "import")
    assert ilm[3] == f"{script_vars()['ALIAS']}/{R.physical('${STACK}', bucket.name)}"
    # Every bucket of the resources is created.
    made = mc_command("mb")
    assert {a.partition("/")[2] for a in made if "/" in a} == {R.physical("${STACK}", b.name) for b in R.BUCKETS}


def test_setup_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(MINIO / "setup.sh")], check=True)


def test_storage_signs_with_its_own_keys_when_configured(monkeypatch):
    """On AWS the functions hold role credentials MinIO does not know: VS_S3_* keys sign every S3 request."""
    import boto3

    from chalicelib.config import Config
    from chalicelib.storage import Storage

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://minio.example.com:9000")
    session = boto3.session.Session(aws_access_key_id="ASIAROLEKEY", aws_secret_access_key="role-secret",
                                    aws_session_token="role-token", region_name="us-east-1")
    monkeypatch.delenv("VS_S3_ACCESS_KEY_ID", raising=False)
    assert Config().s3_credentials is None
    default = Storage(session, "path", Config().s3_credentials).presign_get("vs-media", "a/b.png", 60)
    assert "ASIAROLEKEY" in default and "X-Amz-Security-Token" in default
    monkeypatch.setenv("VS_S3_ACCESS_KEY_ID", "visionsuit-app")
    monkeypatch.setenv("VS_S3_SECRET_ACCESS_KEY", "minio-user-secret")
    url = Storage(session, "path", Config().s3_credentials).presign_get("vs-media", "a/b.png", 60)
    assert url.startswith("https://minio.example.com:9000/vs-media/a/b.png?")  # custom endpoint, path-style
    assert "X-Amz-Credential=visionsuit-app%2F" in url
    assert "ASIAROLEKEY" not in url and "X-Amz-Security-Token" not in url


def test_emulated_webhook_body_is_what_the_endpoint_and_ingest_expect():
    """The test tier's notifier sends MinIO's shape: a query-escaped record key, the plain key in ``Key``."""
    from datetime import UTC, datetime
    from urllib.parse import unquote_plus

    from chalicelib.services.storage_events import StorageEventsService
    from tests.fixtures.minio_notifier import authorization_header, minio_event_body

    body = minio_event_body("vs-media", "incoming/s1/0-a b+c.png", etag="abc", size=3, content_type="image/png",
                            user_metadata={}, event_name="s3:ObjectCreated:Put", access_key="app",
                            when=datetime(2026, 11, 21, 6, 0, 0, 123456, tzinfo=UTC))
    record = body["Records"][0]
    assert body["EventName"] == record["eventName"] == "s3:ObjectCreated:Put"
    assert body["Key"] == "vs-media/incoming/s1/0-a b+c.png"
    assert record["s3"]["object"]["key"] == "incoming%2Fs1%2F0-a+b%2Bc.png"  # Go's url.QueryEscape
    assert unquote_plus(record["s3"]["object"]["key"]) == "incoming/s1/0-a b+c.png"  # what the handler does
    assert record["eventTime"] == "2026-11-21T06:00:00.123Z" and record["eventSource"] == "minio:s3"
    sent = []

    class Queue:
        def send_each(self, messages):
            sent.extend(messages)

    service = StorageEventsService(Queue(), lambda: b"s" * 32)
    service.authenticate(authorization_header("s" * 32))
    assert service.accept(body) == 1 and sent == [{"Records": [record]}]
