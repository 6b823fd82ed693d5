from chalicelib import envelope
from chalicelib.errors import ConfigurationError, NotFound, RateLimited, ValidationError


def test_client_errors_keep_their_message_and_field():
    status, body, headers = envelope.from_exception(NotFound("Model x not found", field="id"))
    assert status == 404 and body == {"data": None, "meta": None,
                                      "errors": [{"code": "NOT_FOUND", "field": "id", "message": "Model x not found"}]}


def test_server_errors_never_leak_detail():
    status, body, _ = envelope.from_exception(ConfigurationError("VS_JWT_SECRET is not set"))
    assert status == 500 and body["errors"][0] == {"code": "INTERNAL_ERROR", "field": None, "message": "Unexpected server error"}


def test_validation_error_lists_details():
    details = [{"code": "VALIDATION_ERROR", "field": "a", "message": "x"}, {"code": "VALIDATION_ERROR", "field": "b", "message": "y"}]
    _, body, _ = envelope.from_exception(ValidationError("x", "a", details))
    assert body["errors"] == details


def test_rate_limited_carries_retry_after():
    status, body, headers = envelope.from_exception(RateLimited("slow down", retry_after=0))
    assert status == 429 and headers == {"Retry-After": "1"} and body["errors"][0]["code"] == "RATE_LIMITED"


def test_chalice_bodies_are_translated():
    assert envelope.from_chalice_body(405, {"Code": "MethodNotAllowedError", "Message": "Unsupported method: DELETE"}) == (
        405, envelope.error("METHOD_NOT_ALLOWED", "Method not allowed for this resource"))
    status, body = envelope.from_chalice_body(500, '{"Code": "InternalServerError", "Message": "trace..."}')
    assert status == 500 and body["errors"][0]["message"] == "Unexpected server error"
    assert envelope.from_chalice_body(400, {"data": None, "meta": None, "errors": []}) is None
    assert envelope.from_chalice_body(400, "plain text") is None
