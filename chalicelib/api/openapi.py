"""``GET /api/openapi.json``: the OpenAPI 3.1 document generated from the route table and models."""
from __future__ import annotations

import re

from chalicelib.api.routing import ROUTES, Router, RouteSpec

router = Router(__name__, "meta")

ENVELOPE_ERROR = {
    "type": "object",
    "required": ["data", "meta", "errors"],
    "properties": {
        "data": {"type": "null"},
        "meta": {"type": "null"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "field": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}


def _schema(model, components: dict) -> dict:
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(spec: RouteSpec, components: dict) -> dict:
    op = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{spec.method.lower()}{spec.path}").strip("_"),
        "responses": {
            str(spec.status): {"description": "Success (envelope with data)"},
            "default": {"description": "Error envelope", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}},
        },
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer" if spec.path_params.get(name) is int else "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query:
        schema = spec.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for n, s in schema.get("properties", {}).items():
            if s.get("type") == "object":
                # Grouped parameters (routing._group_metadata): one per key, spelled "<name>.<key>".
                params.append({"name": f"{n}.{{fieldSlug}}", "in": "query", "required": False,
                               "description": f"Repeatable: {n}.<fieldSlug>=<value>, every one must match",
                               "schema": {"type": "string", "maxLength": 200}})
            else:
                params.append({"name": n, "in": "query", "required": n in required, "schema": s})
    if spec.security == "signed":
        params += [{"name": n, "in": "query", "required": True, "schema": {"type": "string"}} for n in ("exp", "nonce", "sig")]
    if params:
        op["parameters"] = params
    if spec.body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(spec.body, components)}}}
    if spec.security == "bearer":
        op["security"] = [{"bearer": []}]
    elif spec.security == "optional":
        op["security"] = [{}, {"bearer": []}]
    elif spec.security == "agent":
        op["security"] = [{"agentKey": []}]
    elif spec.security == "storage-events":
        op["security"] = [{"storageEvents": []}]
    else:
        op["security"] = []
    if spec.role is not None:
        op["x-min-role"] = spec.role.name
    return op


def build_document() -> dict:
    components: dict = {"ErrorEnvelope": ENVELOPE_ERROR}
    paths: dict = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "VisionSuit API", "version": "1.0.0",
                 "description": "Every response uses the envelope {data, meta, errors}."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "agentKey": {"type": "http", "scheme": "bearer", "description": "GPU agent key (vsa_...)"},
                "storageEvents": {"type": "http", "scheme": "bearer", "description": "MinIO webhook shared secret"},
            },
        },
    }


@router.route("/openapi.json", summary="This OpenAPI document", maintenance_exempt=True)
def openapi(ctx):
    return build_document()
