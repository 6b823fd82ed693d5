from openapi_spec_validator import validate

import app
from chalicelib.api.openapi import build_document


def test_document_is_valid_openapi_and_complete():
    doc = build_document()
    validate(doc)
    served = {(path, method.lower()) for path, methods in app.app.routes.items() for method in methods
              if method != "OPTIONS"}  # CORS preflight views (routing.py), not part of the API
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented


def test_security_and_roles_are_documented():
    doc = build_document()
    assert doc["paths"]["/api/settings"]["patch"]["x-min-role"] == "ADMIN"
    assert doc["paths"]["/api/settings"]["patch"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/health"]["get"]["security"] == [{}, {"bearer": []}]
    callback = doc["paths"]["/api/generator/callbacks/{job_id}/{attempt}/{action}"]["post"]
    assert callback["security"] == [] and {p["name"] for p in callback["parameters"]} >= {"sig", "exp", "nonce", "attempt"}
