"""HTTP middleware: every answer in the envelope, security headers, one structured log line.

At the edge, before any handler: bodies over VS_MAX_REQUEST_BYTES get 413 and state-changing
browser requests from a foreign origin 403; every answer then gets CORS headers for an allowed
Origin only (preflights included: routing.py gives every API path an OPTIONS view).

Chalice answers some requests itself (405 for a method the path lacks, 415 for a non-JSON body,
500 for an exception outside our wrapper) with ``{"Code","Message"}`` bodies; those are
translated here so no client ever sees that format. Query strings are never logged: callback
signatures travel there.
"""
from __future__ import annotations

import time

from chalice import Response

from chalicelib import container, envelope, observability
from chalicelib.edge_policy import CorsPolicy, add_vary_origin, body_too_large

logger = observability.get_logger("api")
tracer = observability.get_tracer("api")


def _finish(response: Response) -> Response:
    translated = envelope.from_chalice_body(response.status_code, response.body) if response.status_code >= 400 else None
    if translated:
        status, body = translated
        headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
        response = Response(body=body, status_code=status, headers={"Content-Type": "application/json", **headers})
    for name, value in envelope.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _refusal(event, policy: CorsPolicy) -> Response | None:
    """Refused at the edge, before any handler runs (nothing is read, written or counted)."""
    limit = container.config().max_request_bytes
    if body_too_large(len(event.raw_body or b""), limit):
        return Response(body=envelope.error("PAYLOAD_TOO_LARGE", f"Request bodies are limited to {limit} bytes"),
                        status_code=413, headers={"Content-Type": "application/json"})
    if policy.refuses(event.method, event.headers.get("origin"), event.headers.get("host")):
        return Response(body=envelope.error("FORBIDDEN", "Requests from this origin are not allowed"),
                        status_code=403, headers={"Content-Type": "application/json"})
    return None


def _with_cors(event, response: Response, policy: CorsPolicy) -> Response:
    origin = event.headers.get("origin")
    preflight = event.method == "OPTIONS" and "access-control-request-method" in event.headers
    allow = next((v for k, v in response.headers.items() if k.lower() == "allow"), None)
    response.headers.update(policy.response_headers(origin, preflight=preflight, allow=allow,
                                                    requested_headers=event.headers.get("access-control-request-headers")))
    add_vary_origin(response.headers)
    return response


def _handle(event, get_response, request_id: str | None):
    started = time.perf_counter()
    try:
        policy = CorsPolicy(container.config().allowed_origins)
        response = _with_cors(event, _finish(_refusal(event, policy) or get_response(event)), policy)
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        response = _finish(Response(body=envelope.error("INTERNAL_ERROR", "Unexpected server error"), status_code=500,
                                    headers={"Content-Type": "application/json"}))
    if request_id:
        response.headers["X-Request-Id"] = request_id
    logger.info("request", extra={
        "method": event.method, "path": event.path, "status": response.status_code, "requestId": request_id,
        "durationMs": round((time.perf_counter() - started) * 1000, 1),
    })
    return response


def _request_id(event) -> str | None:
    """API Gateway's request id (also in its access logs); the Lambda request id where there is none
    (the local server supplies a Lambda context, not a request context)."""
    request_id = (event.context or {}).get("requestId") if isinstance(event.context, dict) else None
    return request_id or getattr(event.lambda_context, "aws_request_id", None)


@tracer.capture_method(capture_response=False)  # responses may carry tokens: never trace metadata
def _traced(event, get_response, request_id: str | None):
    tracer.put_annotation("route", f"{event.method} {event.path}")
    return _handle(event, get_response, request_id)


def envelope_middleware(event, get_response):
    request_id = _request_id(event)
    with observability.request_scope(logger, request_id):
        return _traced(event, get_response, request_id)
