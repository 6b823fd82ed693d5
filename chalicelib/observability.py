"""Structured logging, metrics and tracing for the API and every function, set up in one place.

- Logging: Powertools JSON lines, one service name per function (``visionsuit-<function>``). Every
  line of an API request carries ``correlation_id`` (the API Gateway request id); every line of a
  function invocation carries the Lambda request id as ``correlation_id`` plus the ids of the record
  being handled (object key, upload session, asset, job), removed again when the record is done so
  they never leak into the next record of a batch.
- Metrics: CloudWatch Embedded Metric Format in the ``VisionSuit`` namespace, serialized by
  Powertools' EMF provider. Documents are flushed by :meth:`FunctionMetrics.log_metrics` at the end
  of each invocation. In Lambda they are printed to stdout (where CloudWatch extracts them);
  anywhere else they go to the ``visionsuit.metrics`` logger at DEBUG, so ``make dev`` stays quiet
  and tests can capture them.
- Tracing: Powertools Tracer (X-Ray). It disables itself outside Lambda (and with
  ``POWERTOOLS_TRACE_DISABLED=true``), so nothing here needs an X-Ray daemon.

Never log secrets, tokens, passwords, query strings, prompts or email addresses: log ids and counts.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

NAMESPACE = "VisionSuit"
SERVICE_PREFIX = "visionsuit-"
Unit = MetricUnit
metrics_log = logging.getLogger("visionsuit.metrics")

_lock = threading.Lock()
_metrics: dict[str, FunctionMetrics] = {}
_tracers: dict[str, Tracer] = {}
_loggers: dict[str, Logger] = {}


def running_in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def service_name(function: str) -> str:
    return SERVICE_PREFIX + function


# -- logging ------------------------------------------------------------------------------
def get_logger(function: str) -> Logger:
    """The function's logger, built once: :func:`bind` asks for it on every record it handles."""
    with _lock:
        if function not in _loggers:
            _loggers[function] = Logger(service=service_name(function))
        return _loggers[function]


@contextmanager
def request_scope(logger: Logger, request_id: str | None) -> Iterator[None]:
    """Tag every line logged in this block with the request's correlation id.

    The key lives in a context variable (Powertools' thread-safe keys) rather than on the shared
    formatter: the local server handles requests on many threads of one process, and a shared key
    would be overwritten by whichever request started last."""
    if request_id:
        logger.thread_safe_append_keys(correlation_id=request_id)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(["correlation_id"])


@contextmanager
def record_scope(logger: Logger, **keys: object) -> Iterator[None]:
    """Keys for one record of a batch; every key added while it is handled (including ids bound
    deeper down with :func:`bind`) is removed afterwards."""
    before = set(logger.get_current_keys())
    logger.append_keys(**{k: v for k, v in keys.items() if v is not None})
    try:
        yield
    finally:
        logger.remove_keys([k for k in list(logger.get_current_keys()) if k not in before])


def bind(function: str, **ids: str | None) -> None:
    """Add ids learnt while handling a record to the function's log lines and trace."""
    present = {k: v for k, v in ids.items() if v}
    if not present:
        return
    get_logger(function).append_keys(**present)
    tracer = get_tracer(function)
    for key, value in present.items():
        tracer.put_annotation(key, str(value))


def invocation(logger: Logger, metrics: FunctionMetrics, tracer: Tracer | None = None):
    """Decorator for a Lambda handler: Lambda context and correlation id on every log line, keys of
    the previous invocation cleared, metrics flushed at the end, traced when tracing is on."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        def correlated(event, context):
            logger.set_correlation_id(getattr(context, "aws_request_id", None))
            return handler(event, context)

        wrapped = metrics.log_metrics(logger.inject_lambda_context(correlated, clear_state=True))
        if tracer is not None:
            wrapped = tracer.capture_lambda_handler(wrapped, capture_response=False)
        return wraps(handler)(wrapped)

    return decorate


# -- metrics ------------------------------------------------------------------------------
class FunctionMetrics:
    """EMF metrics of one function.

    Powertools' ``Metrics`` keeps one metric set per process, shared by every instance; the local
    runtime runs all functions in one process, so one function's flush would carry another's
    metrics under the wrong service. EMF also applies a document's dimensions to all its metrics,
    so metrics are grouped by their dimensions and each group becomes one document."""

    def __init__(self, function: str, namespace: str = NAMESPACE) -> None:
        self.service = service_name(function)
        self.namespace = namespace
        self._groups: dict[tuple, AmazonCloudWatchEMFProvider] = {}
        self._lock = threading.Lock()

    def add(self, name: str, unit: MetricUnit | str, value: float, **dimensions: str) -> None:
        key = tuple(sorted((k, str(v)) for k, v in dimensions.items()))
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=self.service,
                                                    default_dimensions={"service": self.service, **dict(key)})
                self._groups[key] = group
            group.add_metric(name=name, unit=unit, value=value)

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        self.add(name, MetricUnit.Count, value, **dimensions)

    def flush(self) -> None:
        with self._lock:
            groups, self._groups = list(self._groups.values()), {}
        for group in groups:
            if group.metric_set:
                emit(group.serialize_metric_set())

    def log_metrics(self, handler: Callable) -> Callable:
        @wraps(handler)
        def flushed(event, context):
            try:
                return handler(event, context)
            finally:
                self.flush()

        return flushed


def emit(document: dict) -> None:
    line = json.dumps(document, separators=(",", ":"))
    if running_in_lambda():
        print(line, flush=True)  # CloudWatch Logs extracts EMF documents from the function's output
    else:
        metrics_log.debug(line)


def get_metrics(function: str) -> FunctionMetrics:
    with _lock:
        if function not in _metrics:
            _metrics[function] = FunctionMetrics(function)
        return _metrics[function]


# -- tracing ------------------------------------------------------------------------------
def get_tracer(function: str) -> Tracer:
    """X-Ray tracer; disabled automatically outside Lambda and by POWERTOOLS_TRACE_DISABLED."""
    with _lock:
        if function not in _tracers:
            _tracers[function] = Tracer(service=service_name(function))
        return _tracers[function]
