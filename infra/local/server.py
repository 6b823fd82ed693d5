"""One port for everything: the Chalice API under /api (through Chalice's API Gateway emulation,
so handlers see real proxy events) and the built SPA everywhere else."""
from __future__ import annotations

import base64
import json
import logging
import mimetypes
import threading
from pathlib import Path

from chalice.config import Config as ChaliceConfig
from chalice.local import LocalGateway, LocalGatewayException
from werkzeug.security import safe_join
from werkzeug.serving import WSGIRequestHandler, make_server

from chalicelib import container, envelope
from chalicelib.api.routing import API_PREFIX
from chalicelib.edge_policy import CorsPolicy, add_vary_origin
from infra.edge import spa_security_headers
from infra.local.lambda_runtime import invoking

API_FUNCTION = "api"
# A refused body is still read and discarded up to this much (API Gateway's payload limit), so the
# client can send it and read the 413; closing on a half-sent body makes it see a reset instead.
DRAIN_LIMIT = 10 * 1024 * 1024
MAX_URL_BYTES = 8 * 1024  # path + query; API Gateway refuses far longer request lines itself
MAX_HEADER_BYTES = 16 * 1024
# Vite writes content-hashed bundles under assets/: a changed file gets a new name, so they can be
# cached for good. Everything else (index.html above all) must be revalidated so a new build shows.
HASHED_ASSETS_PREFIX = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_thread_state = threading.local()
log = logging.getLogger("visionsuit.http")


def make_thread_safe(app_obj) -> None:
    """Lambda runs one request per container; this server runs many per process, so the app's
    per-request attributes become thread-local (what ``chalice local`` does too)."""

    class ThreadLocalChalice(app_obj.__class__):
        current_request = property(lambda self: getattr(_thread_state, "request", None),
                                   lambda self, v: setattr(_thread_state, "request", v))
        lambda_context = property(lambda self: getattr(_thread_state, "context", None),
                                  lambda self, v: setattr(_thread_state, "context", v))

    app_obj.__class__ = ThreadLocalChalice


def _json(start_response, status: int, body: dict, extra: dict | None = None):
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    headers += list(envelope.SECURITY_HEADERS.items()) + list((extra or {}).items())
    start_response(f"{status} ", headers)
    return [payload]


class PlatformApp:
    def __init__(self, app_obj, static_dir: Path) -> None:
        make_thread_safe(app_obj)
        self._gateway = LocalGateway(app_obj, ChaliceConfig.create(chalice_app=app_obj, lambda_timeout=30))
        self._static = static_dir
        # The placeholder page (no build yet) is one file with inline script and style; the policy
        # is for the built SPA, which has neither.
        self._csp = static_dir.name != "placeholder"

    def __call__(self, environ, start_response):
        # WSGI hands the path over as latin-1 decoded bytes; API Gateway passes UTF-8 through.
        raw = environ.get("PATH_INFO", "/")
        try:
            path = raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            path = raw
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return self._api(environ, start_response, path)
        return self._static_file(start_response, path, https=environ.get("wsgi.url_scheme") == "https")

    def _api(self, environ, start_response, path):
        # Sizes are judged before the body is read (API Gateway does the same in front of the Lambda).
        refused = _oversized_request(environ)
        if refused is None:
            body, refused = _read_body(environ, container.config().max_request_bytes)
        if refused is not None:
            status, code, message = refused
            return _json(start_response, status, envelope.error(code, message), _cors_headers(environ))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING")
        full_path = f"{path}?{query}" if query else path
        try:
            with invoking(API_FUNCTION):  # the Chalice Lambda's name in infra.resources FUNCTIONS
                response = self._gateway.handle_request(environ["REQUEST_METHOD"], full_path, headers, body or None)
        except LocalGatewayException:
            # API Gateway's answer for an unknown path; on AWS a gateway response maps it the same way.
            status, payload = envelope.not_found_route()
            return _json(start_response, status, payload)
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            raw = base64.b64decode(raw)
        elif isinstance(raw, str):
            raw = raw.encode()
        out_headers = list((response.get("headers") or {}).items())
        for name, values in (response.get("multiValueHeaders") or {}).items():
            out_headers += [(name, v) for v in values]
        out_headers.append(("Content-Length", str(len(raw))))
        start_response(f"{response['statusCode']} ", out_headers)
        return [raw]

    def _static_file(self, start_response, path, https: bool = False):
        root = self._static
        relative = path.lstrip("/")
        target = safe_join(str(root), relative) if relative else None
        file = Path(target) if target else None
        if not (file and file.is_file()):
            if relative.startswith(HASHED_ASSETS_PREFIX):
                # A missing bundle must not turn into index.html: the browser would run HTML as a script.
                return self._plain(start_response, "404 Not Found", b"Not found")
            file = root / "index.html"  # client-side routes (deep links such as /models/<id>)
        data = file.read_bytes()
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        cache = IMMUTABLE if file.parent.name == "assets" and relative.startswith(HASHED_ASSETS_PREFIX) else REVALIDATE
        headers = [("Content-Type", ctype), ("Content-Length", str(len(data))), ("Cache-Control", cache)]
        headers += spa_security_headers(html=ctype == "text/html", https=https, csp=self._csp).items()
        start_response("200 OK", headers)
        return [data]

    @staticmethod
    def _plain(start_response, status: str, body: bytes):
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                                ("Cache-Control", REVALIDATE), ("X-Content-Type-Options", "nosniff")])
        return [body]


def _oversized_request(environ) -> tuple[int, str, str] | None:
    url = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    if url > MAX_URL_BYTES:
        return 414, "URI_TOO_LONG", f"Request URLs are limited to {MAX_URL_BYTES} bytes"
    header_bytes = sum(len(k) - 5 + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))
    if header_bytes > MAX_HEADER_BYTES:
        return 431, "HEADERS_TOO_LARGE", f"Request headers are limited to {MAX_HEADER_BYTES} bytes"
    return None


def _drain(stream, budget: int) -> None:
    while budget > 0:
        chunk = stream.read(min(65536, budget))
        if not chunk:
            return
        budget -= len(chunk)


def _read_body(environ, limit: int) -> tuple[bytes, tuple[int, str, str] | None]:
    """The body, or a refusal once it is known to exceed ``limit``: a declared Content-Length is
    refused unread; a chunked body (no length up front) is read no further than limit + 1 bytes."""
    too_large = 413, "PAYLOAD_TOO_LARGE", f"Request bodies are limited to {limit} bytes"
    stream = environ["wsgi.input"]
    try:
        if environ.get("wsgi.input_terminated"):  # Transfer-Encoding: chunked (werkzeug dechunks)
            body = stream.read(limit + 1)
            if len(body) > limit:
                _drain(stream, DRAIN_LIMIT)
                return b"", too_large
            return body, None
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b"", (400, "VALIDATION_ERROR", "Invalid Content-Length")
    except OSError:  # a malformed chunk
        return b"", (400, "VALIDATION_ERROR", "Malformed chunked request body")
    if length < 0:
        return b"", (400, "VALIDATION_ERROR", "Invalid Content-Length")
    if length > limit:
        _drain(stream, min(length, DRAIN_LIMIT))
        return b"", too_large
    return (stream.read(length) if length else b""), None


def _cors_headers(environ) -> dict[str, str]:
    """CORS for answers the server gives itself (the middleware adds them to the API's own), so a
    browser on an allowed origin can read why its request was refused."""
    headers = CorsPolicy(container.config().allowed_origins).response_headers(environ.get("HTTP_ORIGIN"),
                                                                             preflight=False)
    add_vary_origin(headers)
    return headers


class QuietHandler(WSGIRequestHandler):
    """Access lines without query strings: signed callback URLs carry their signature there."""

    def log_request(self, code="-", size="-") -> None:
        log.debug("%s %s %s", self.command, self.path.split("?", 1)[0], code)


class HttpServer:
    def __init__(self, app: PlatformApp, host: str, port: int) -> None:
        self._server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
