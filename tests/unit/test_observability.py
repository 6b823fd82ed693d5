"""Logging keys, EMF metrics and tracing of the handlers, and the system service's queue logic,
without any AWS endpoint (fakes stand in for the container's services and for SQS)."""
from __future__ import annotations

import io
import json
import logging
import time
from types import SimpleNamespace

import pytest

from chalicelib import container, observability
from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging import QueuedMessage
from chalicelib.services.system_service import SystemService
from infra.local.lambda_runtime import LambdaContext


# -- capture helpers ------------------------------------------------------------------------
@pytest.fixture
def emf(caplog):
    """EMF documents flushed while the test runs (outside Lambda they go to visionsuit.metrics)."""
    for function in ("ingest", "job-events", "ops-metrics", "unit"):
        observability.get_metrics(function).flush()  # nothing from earlier tests
    caplog.set_level(logging.DEBUG, logger="visionsuit.metrics")

    def documents():
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "visionsuit.metrics"]

    return documents


def metric_values(documents, name):
    """[(dimensions, value)] of every document carrying ``name``."""
    found = []
    for doc in documents:
        directive = doc["_aws"]["CloudWatchMetrics"][0]
        if any(m["Name"] == name for m in directive["Metrics"]):
            dims = {d: doc[d] for d in directive["Dimensions"][0]}
            value = doc[name]  # Powertools writes a list of values (EMF accepts both)
            found.append((dims, value if isinstance(value, list) else [value], directive["Namespace"]))
    return found


@pytest.fixture
def log_lines():
    """JSON lines of the Powertools loggers, as their own formatter writes them."""
    streams = {}

    def capture(function):
        logger = logging.getLogger(observability.service_name(function))
        formatter = observability.get_logger(function).registered_formatter
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        streams[function] = (logger, handler, stream, logger.level)
        logger.setLevel(logging.INFO)
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield capture
    for logger, handler, _, level in streams.values():
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def overrides():
    saved = dict(container._instances)
    yield container.override
    container.reset()
    for name, value in saved.items():
        container.override(name, value)


def sqs_event(*bodies):
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(b), "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"}
                        for i, b in enumerate(bodies)]}


def s3_body(key, seconds_ago=2.0):
    created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - seconds_ago))
    return {"Records": [{"eventName": "ObjectCreated:Put", "eventTime": created,
                         "s3": {"bucket": {"name": "media"}, "object": {"key": key, "eTag": "abc"}}}]}


# -- metrics plumbing ---------------------------------------------------------------------------
def test_metrics_are_grouped_by_dimensions_and_logged_outside_lambda(emf, capsys):
    m = observability.get_metrics("unit")
    m.count("Things")
    m.count("Things", 2)
    m.count("Rejected", reason="too-large")
    m.add("Latency", observability.Unit.Milliseconds, 12.5)
    m.flush()
    docs = emf()
    assert len(docs) == 2  # one document per dimension set
    assert metric_values(docs, "Things") == [({"service": "visionsuit-unit"}, [1.0, 2.0], "VisionSuit")]
    assert metric_values(docs, "Rejected") == [({"service": "visionsuit-unit", "reason": "too-large"}, [1.0],
                                                "VisionSuit")]
    latency = next(d for d in docs if "Latency" in d)["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert {"Name": "Latency", "Unit": "Milliseconds"} in latency
    m.flush()
    assert len(emf()) == 2  # flushed documents are not sent twice; an empty flush emits nothing
    assert capsys.readouterr().out == ""  # no stdout outside Lambda


def test_in_lambda_emf_documents_are_printed(monkeypatch, capsys):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "visionsuit-unit")
    m = observability.get_metrics("unit")
    m.count("Printed")
    m.flush()
    doc = json.loads(capsys.readouterr().out)
    assert doc["Printed"] == [1.0] and doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "VisionSuit"


def test_tracing_is_off_outside_lambda_and_handlers_still_run(overrides, emf):
    assert observability.get_tracer("ingest").disabled
    overrides("ingest_pipeline", SimpleNamespace(handle=lambda *a: "ignored"))
    from functions.ingest import handler

    assert handler.handler(sqs_event(s3_body("elsewhere/x")), LambdaContext("ingest")) == {"batchItemFailures": []}


# -- ingest ---------------------------------------------------------------------------------
class FakePipeline:
    """Binds ids like the real pipeline for the keys it knows; raises for 'boom' keys."""

    def __init__(self, assets):
        self.assets = assets

    def handle(self, bucket, key, etag):
        if "boom" in key:
            raise RuntimeError("storage unavailable")
        session_id = key.split("/")[1]
        observability.bind("ingest", upload_session_id=session_id, asset_id=self.assets.get(key))
        return "recorded" if key in self.assets else "orphan"


def test_ingest_handler_logs_record_ids_without_leaks_and_counts_outcomes(overrides, emf, log_lines):
    from functions.ingest import handler

    lines = log_lines("ingest")
    overrides("ingest_pipeline", FakePipeline({"incoming/s1/0-a.png": "asset-a"}))
    context = LambdaContext("ingest")
    event = sqs_event(s3_body("incoming/s1/0-a.png", 3), s3_body("incoming/s2/0-b.png"), s3_body("incoming/s3/boom"))
    result = handler.handler(event, context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    by_message = {}
    for line in lines():
        assert line["correlation_id"] == context.aws_request_id
        assert line["service"] == "visionsuit-ingest"
        by_message.setdefault(line["message_id"], []).append(line)
    first, second = by_message["m0"][0], by_message["m1"][0]
    assert (first["asset_id"], first["upload_session_id"], first["object_key"]) == ("asset-a", "s1",
                                                                                   "incoming/s1/0-a.png")
    assert "asset_id" not in second and second["upload_session_id"] == "s2"  # nothing left over from m0
    assert by_message["m2"][0]["level"] == "ERROR" and "asset_id" not in by_message["m2"][0]

    docs = emf()
    assert metric_values(docs, "IngestReady") == [({"service": "visionsuit-ingest"}, [1.0], "VisionSuit")]
    assert metric_values(docs, "IngestFailed") == [({"service": "visionsuit-ingest"}, [1.0], "VisionSuit")]
    [(_, [latency], _)] = metric_values(docs, "IngestLatency")
    assert 2500 <= latency <= 60_000  # the object was created about 3 s before


def test_ingest_rejections_are_counted_by_reason(emf):
    from functions.ingest.pipeline import IngestPipeline

    settled = []
    repo = SimpleNamespace(settle=lambda record_id, **fields: settled.append((record_id, fields["status"])))
    pipeline = IngestPipeline(*([None] * 11))
    info = SimpleNamespace(etag="e", size=3)
    assert pipeline._reject(repo, "img1", "Not an image", info, "invalid-image") == "rejected"
    assert pipeline._reject(repo, "img2", "Too big", info, "too-large") == "rejected"
    observability.get_metrics("ingest").flush()
    found = metric_values(emf(), "IngestRejected")
    assert sorted(d["reason"] for d, _, _ in found) == ["invalid-image", "too-large"]
    assert len(settled) == 2


# -- generation job events -------------------------------------------------------------------
def test_job_events_count_applied_outcomes_with_durations_and_log_the_job_id(overrides, emf, log_lines):
    from functions.generator import events

    lines = log_lines("job-events")
    applied = iter([SimpleNamespace(created_at=time.time() - 4), None])  # the recorded job; None: not applied
    overrides("generator_service", SimpleNamespace(record_outcome=lambda *a: next(applied)))
    context = LambdaContext("job-events")
    event = sqs_event({"jobId": "job1", "outcome": "succeeded", "result": {}},
                      {"jobId": "job1", "outcome": "succeeded", "result": {}},  # redelivered: not counted again
                      {"nothing": "useful"})
    assert events.handler(event, context) == {"batchItemFailures": []}

    docs = emf()
    assert metric_values(docs, "JobOutcome") == [({"service": "visionsuit-job-events", "outcome": "succeeded"}, [1.0],
                                                  "VisionSuit")]
    [(_, [duration], _)] = metric_values(docs, "JobDuration")
    assert 3500 <= duration <= 60_000
    logged = {line["message_id"]: line for line in lines()}
    assert logged["m0"]["job_id"] == "job1" and logged["m1"]["applied"] is False
    assert "job_id" not in logged["m2"]  # the malformed record after job1 carries no job id
    assert all(line["correlation_id"] == context.aws_request_id for line in logged.values())


# -- system service ------------------------------------------------------------------------------
class FakeQueues:
    """QueueAdmin over lists; ``refuse`` makes the source refuse bodies containing that text."""

    def __init__(self, dead: list[str], refuse: str | None = None, fail_depth: set[str] = frozenset()):
        self.dead = [QueuedMessage(b, {}, f"h{i}") for i, b in enumerate(dead)]
        self.hidden: list[QueuedMessage] = []
        self.sent: list[str] = []
        self.refuse = refuse
        self.fail_depth = fail_depth

    def depth(self, url):
        if url in self.fail_depth:
            raise RuntimeError("unreachable")
        if url.endswith("-dlq"):
            return {"visible": len(self.dead), "inFlight": len(self.hidden), "delayed": 0}
        return {"visible": len(self.sent), "inFlight": 0, "delayed": 1}

    def dead_letter_url(self, url):
        return None if url.endswith("/plain") else url + "-dlq"

    def receive(self, url, limit, hide_seconds):
        batch, self.dead = self.dead[:limit], self.dead[limit:]
        self.hidden += batch
        return batch

    def send_batch(self, url, messages):
        ok = [not (self.refuse and self.refuse in m.body) for m in messages]
        self.sent += [m.body for m, good in zip(messages, ok, strict=True) if good]
        return ok

    def delete_batch(self, url, handles):
        self.hidden = [m for m in self.hidden if m.receipt_handle not in handles]
        return len(handles)

    def release(self, url, handles):
        back = [m for m in self.hidden if m.receipt_handle in handles]
        self.hidden = [m for m in self.hidden if m.receipt_handle not in handles]
        self.dead += back


class Audit:
    def __init__(self):
        self.entries = []

    def record(self, actor, action, kind, target, details):
        self.entries.append((action, kind, target, details))


def system(queues, urls=None, clock=time.monotonic, runs=None, metrics=None):
    audit = Audit()
    service = SystemService(lambda: urls or {"ingest": "q/ingest", "plain": "q/plain"}, queues,
                            reports=lambda: [{"name": "b", "ranAt": 2, "report": {}}, {"name": "a", "ranAt": 1,
                                                                                     "report": {}}],
                            health=lambda: {"status": "ok"}, audit=lambda: audit,
                            record_run=lambda name, report: (runs if runs is not None else []).append((name, report)),
                            metrics=metrics, clock=clock)
    return service, audit


ADMIN = SimpleNamespace(id="admin1")


def test_redrive_moves_up_to_max_deletes_only_what_was_sent_and_audits():
    queues = FakeQueues([f"m{i}" for i in range(25)])
    service, audit = system(queues)
    assert service.redrive(ADMIN, "ingest", 12) == {"queue": "ingest", "moved": 12, "failed": 0, "deadLetter": 13}
    assert queues.sent == [f"m{i}" for i in range(12)] and not queues.hidden
    assert audit.entries == [("system.redrive", "queue", "ingest", {"max": 12, "moved": 12, "failed": 0})]


def test_redrive_releases_refused_messages_and_stops():
    queues = FakeQueues(["ok1", "bad", "ok2"], refuse="bad")
    service, _ = system(queues)
    result = service.redrive(ADMIN, "ingest", 100)
    assert (result["moved"], result["failed"]) == (2, 1)
    assert [m.body for m in queues.dead] == ["bad"] and not queues.hidden  # back in the DLQ, visible


def test_redrive_is_bounded_by_time():
    ticks = iter(range(0, 1000, 8))  # each clock reading 8 s later: two batches fit in the 20 s budget
    queues = FakeQueues([f"m{i}" for i in range(100)])
    service, _ = system(queues, clock=lambda: next(ticks))
    assert service.redrive(ADMIN, "ingest", 100)["moved"] == 20


def test_redrive_of_unknown_queue_or_one_without_dlq_is_refused():
    service, audit = system(FakeQueues([]))
    with pytest.raises(NotFound):
        service.redrive(ADMIN, "nope", 5)
    with pytest.raises(Conflict):
        service.redrive(ADMIN, "plain", 5)
    assert audit.entries == []


def test_overview_reports_unreachable_queues_and_the_schedules_in_order():
    service, _ = system(FakeQueues(["x"], fail_depth={"q/plain"}))
    view = service.overview()
    ingest, plain = view["queues"]
    assert ingest == {"name": "ingest", "reachable": True, "visible": 0, "inFlight": 0, "delayed": 1,
                      "deadLetter": {"visible": 1, "inFlight": 0}}
    assert plain["reachable"] is False and plain["visible"] is None
    assert [s["name"] for s in view["schedules"]] == ["b", "a"] and view["health"] == {"status": "ok"}


def test_ops_metrics_run_publishes_depths_per_queue_and_files_its_report(emf):
    runs = []
    service, _ = system(FakeQueues(["x", "y"]), urls={"ingest": "q/ingest"}, runs=runs,
                        metrics=observability.get_metrics("ops-metrics"))
    report = service.publish_depths("trigger-1")
    observability.get_metrics("ops-metrics").flush()
    docs = emf()
    assert metric_values(docs, "DeadLetters") == [({"service": "visionsuit-ops-metrics", "queue": "ingest"}, [2.0],
                                                   "VisionSuit")]
    assert metric_values(docs, "QueueDelayed")[0][1] == [1.0]
    assert runs == [("ops-metrics", report)] and report["trigger"] == "trigger-1"
    assert report["queues"]["ingest"]["deadLetter"] == {"visible": 2, "inFlight": 0}
