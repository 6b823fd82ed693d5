"""HTTP middleware: every answer in the envelope, security headers, one structured log line.

Chalice answers some requests itself (405 for a method the path lacks, 415 for a non-JSON body,
500 for an exception outside our wrapper) with ``{"Code","Message"}`` bodies; those are
translated here so no client ever sees that format. Query strings are never logged: callback
signatures travel there.
"""
from __future__ import annotations

import time

from aws_lambda_powertools import Logger
from chalice import Response

from chalicelib import envelope

logger = Logger(service="visionsuit-api")


def _finish(response: Response) -> Response:
    translated = envelope.from_chalice_body(response.status_code, response.body) if response.status_code >= 400 else None
    if translated:
        status, body = translated
        headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
        response = Response(body=body, status_code=status, headers={"Content-Type": "application/json", **headers})
    for name, value in envelope.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def envelope_middleware(event, get_response):
    started = time.perf_counter()
    try:
        response = _finish(get_response(event))
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        response = _finish(Response(body=envelope.error("INTERNAL_ERROR", "Unexpected server error"), status_code=500,
                                    headers={"Content-Type": "application/json"}))
    request_id = getattr(event.lambda_context, "aws_request_id", None)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    logger.info("request", extra={
        "method": event.method, "path": event.path, "status": response.status_code, "requestId": request_id,
        "durationMs": round((time.perf_counter() - started) * 1000, 1),
    })
    return response
