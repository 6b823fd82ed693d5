"""The web UI's typed client is generated from frontend/openapi.json; a stale copy would let the UI
type-check against routes or request bodies the API no longer has."""
import json
from pathlib import Path

import app  # noqa: F401  (registers every route)
from chalicelib.api.openapi import build_document

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_committed_openapi_document_matches_the_api():
    committed = json.loads(COMMITTED.read_text())
    assert committed == json.loads(json.dumps(build_document())), (
        "frontend/openapi.json is stale: run `cd frontend && npm run gen:api` and commit both generated files")
