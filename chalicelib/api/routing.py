"""Route declaration shared by every blueprint.

``Router.route`` registers a Chalice view and records a :class:`RouteSpec` (the route table the
OpenAPI document is generated from). The wrapper it installs does, in order: resolve the caller
from the bearer token (role from the stored user), enforce maintenance mode and the minimum
role, validate path/query/body with pydantic, call the handler, and wrap the result in the
envelope. Domain errors become envelope responses through ``chalicelib.envelope`` only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import pydantic
from chalice import Blueprint, Response
from pydantic.alias_generators import to_camel

from chalicelib import container, envelope
from chalicelib.edge_policy import ORIGIN_VERIFY_HEADER, client_ip
from chalicelib.errors import DomainError, Maintenance, PayloadTooLarge, ValidationError
from chalicelib.models import Role, User
from chalicelib.services.auth_service import require_role

API_PREFIX = "/api"
ROUTES: list[RouteSpec] = []
_PREFLIGHT_PATHS: set[str] = set()  # full paths that already have their OPTIONS view


@dataclass(frozen=True)
class RouteSpec:
    path: str  # full path as served, e.g. /api/auth/login
    method: str
    summary: str
    tag: str
    role: Role | None  # None: not a user route (agent key or signed URL)
    security: str  # "bearer" | "optional" | "agent" | "signed"
    body: type[pydantic.BaseModel] | None
    query: type[pydantic.BaseModel] | None
    response: Any
    status: int
    maintenance_exempt: bool
    path_params: dict[str, type] = field(default_factory=dict)


@dataclass
class Result:
    data: Any = None
    meta: dict | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestContext:
    user: User | None
    body: Any
    query: Any
    path_params: dict[str, Any]
    headers: dict[str, str]
    query_params: dict[str, str]
    source_ip: str
    path: str
    raw_body: bytes | None


def validation_error(exc: pydantic.ValidationError, where: str) -> ValidationError:
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"])
        details.append({"code": "VALIDATION_ERROR", "field": loc or where, "message": err["msg"]})
    first = details[0] if details else {"field": where, "message": "Invalid request"}
    return ValidationError(first["message"], field=first["field"], details=details)


def parse_body(raw: bytes | None, model: type[pydantic.BaseModel]) -> Any:
    limit = container.config().max_request_bytes  # the middleware refuses larger requests first
    if raw and len(raw) > limit:
        raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes")
    try:
        data = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("Request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise ValidationError("Request body must be a JSON object", field="body")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        raise validation_error(e, "body") from None


def _parse_model(values: dict, model: type[pydantic.BaseModel], where: str) -> Any:
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as e:
        raise validation_error(e, where) from None


def _group_metadata(params: dict[str, str], model: type[pydantic.BaseModel]) -> dict:
    """``metadata.<slug>=value`` query parameters become one ``metadata`` mapping for models that
    declare it; for every other model they stay unknown parameters (and are rejected)."""
    if "metadata" not in model.model_fields:
        return params
    grouped: dict = {k: v for k, v in params.items() if not k.startswith("metadata.")}
    filters = {k.removeprefix("metadata."): v for k, v in params.items() if k.startswith("metadata.")}
    if filters:
        grouped["metadata"] = filters
    return grouped


def present(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if not isinstance(result, Result):
        result = Result(result, status=status)
    if result.status == 204:
        return Response(body="", status_code=204, headers=result.headers)
    return Response(body=envelope.ok(result.data, result.meta), status_code=result.status,
                    headers={"Content-Type": "application/json", **result.headers})


def error_response(exc: DomainError) -> Response:
    status, body, headers = envelope.from_exception(exc)
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **headers})


class Router:
    def __init__(self, name: str, tag: str) -> None:
        self.blueprint = Blueprint(name)
        self.tag = tag

    def route(self, path: str, method: str = "GET", *, summary: str, role: Role | None = Role.GUEST,
              security: str | None = None, body: type[pydantic.BaseModel] | None = None,
              query: type[pydantic.BaseModel] | None = None, response: Any = None, status: int = 200,
              maintenance_exempt: bool = False, path_params: dict[str, type] | None = None) -> Callable:
        security = security or ("optional" if role == Role.GUEST else "bearer")
        spec = RouteSpec(API_PREFIX + path, method, summary, self.tag, role, security, body, query, response,
                         status, maintenance_exempt, path_params or {})

        def decorate(handler: Callable[[RequestContext], Any]) -> Callable:
            @wraps(handler)
            def view(**params: str) -> Response:
                try:
                    return present(handler(self._context(spec, params)), spec.status)
                except DomainError as e:
                    return error_response(e)

            ROUTES.append(spec)
            content_types = ["application/json"] if method in ("POST", "PUT", "PATCH") else None
            kwargs = {"methods": [method]}
            if content_types:
                kwargs["content_types"] = content_types
            self.blueprint.route(path, **kwargs)(view)
            self._options_view(path)
            return handler

        return decorate

    def _options_view(self, path: str) -> None:
        """Browsers preflight cross-origin calls with OPTIONS. API Gateway answers OPTIONS only on
        paths that declare it (Chalice's own CORS support emits one fixed origin), so every path
        gets a view answering with its methods in ``Allow``; the middleware turns that into CORS
        headers for an allowed Origin only. Not in ROUTES: preflight is not part of the API."""
        full = API_PREFIX + path
        if full in _PREFLIGHT_PATHS:
            return
        _PREFLIGHT_PATHS.add(full)

        def preflight(**_params: str) -> Response:
            methods = sorted({s.method for s in ROUTES if s.path == full} | {"OPTIONS"})
            return Response(body="", status_code=204, headers={"Allow": ", ".join(methods)})

        preflight.__name__ = f"options_{full.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
        self.blueprint.route(path, methods=["OPTIONS"])(preflight)

    def _context(self, spec: RouteSpec, params: dict[str, str]) -> RequestContext:
        request = self.blueprint.current_request
        headers = dict(request.headers)
        user = None
        if spec.security in ("bearer", "optional"):
            user = container.auth_service().authenticate(request.headers.get("authorization"))
        if not spec.maintenance_exempt and (user is None or user.role < Role.ADMIN):
            if container.settings_service().site().maintenance_mode:
                raise Maintenance("The site is in maintenance mode")
        if spec.role is not None:
            require_role(user, spec.role)
        path_values: dict[str, Any] = dict(params)
        for name, kind in spec.path_params.items():
            try:
                path_values[name] = kind(params[name])
            except (TypeError, ValueError):
                raise ValidationError(f"Invalid path parameter {name}", field=name) from None
        query_params = dict(request.query_params or {})
        query = _parse_model(_group_metadata(query_params, spec.query), spec.query, "query") if spec.query else None
        body = parse_body(request.raw_body, spec.body) if spec.body else None
        config = container.config()
        source_ip = client_ip((request.context.get("identity") or {}).get("sourceIp"),
                              request.headers.get("x-forwarded-for"), config.trusted_proxy_hops,
                              origin_verify=request.headers.get(ORIGIN_VERIFY_HEADER.lower()),
                              origin_verify_secret=config.origin_verify_secret)
        return RequestContext(user, body, query, path_values, headers, query_params, source_ip,
                              spec.path.format(**params), request.raw_body)


class ApiModel(pydantic.BaseModel):
    """Request/response models: camelCase on the wire, unknown fields rejected."""

    model_config = pydantic.ConfigDict(alias_generator=to_camel,
                                       populate_by_name=True, extra="forbid", str_strip_whitespace=True)
