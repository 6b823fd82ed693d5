"""Scheduled (EventBridge, every minute): hand pending jobs to idle push-mode agents.

One run keeps dispatching for up to ``VS_PUSH_DISPATCH_SECONDS`` (below the schedule's period), so a
push agent waits seconds, not a minute, for its next job. With no idle push agent a run ends at once.
"""
from __future__ import annotations

from chalicelib import container, observability

logger = observability.get_logger("push-dispatch")
metrics = observability.get_metrics("push-dispatch")
tracer = observability.get_tracer("push-dispatch")


@observability.invocation(logger, metrics, tracer)
def handler(event, context):
    report = container.generator_service().push_dispatch(container.config().push_dispatch_seconds)
    if report["pushed"] or report["refused"]:
        metrics.count("JobsPushed", len(report["pushed"]))
        logger.info("push dispatch", extra={"pushed": len(report["pushed"]), "refused": report["refused"]})
    return report
