"""Client side of upload sessions (used by the bulk-import CLI, the dev seed and tests).

Talks to the API over HTTP with a bearer token in the header and to storage only through the
presigned URLs the API hands out; retries what S3 asks clients to retry (500/503).
"""
from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

MODEL_TYPE = "application/octet-stream"


def retrying_session(idempotent_only: bool = False) -> requests.Session:
    """Retries 5xx answers; for the API only on idempotent methods (a retried POST could create a
    second session); presigned PUTs of the same bytes are always safe to repeat."""
    session = requests.Session()
    methods = Retry.DEFAULT_ALLOWED_METHODS if idempotent_only else None
    retry = Retry(total=5, backoff_factor=0.3, status_forcelist=(500, 502, 503, 504), allowed_methods=methods,
                  raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def content_type(path: Path) -> str:
    if path.suffix.lower() in (".safetensors", ".zip"):
        return MODEL_TYPE if path.suffix.lower() == ".safetensors" else "application/zip"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class ApiError(Exception):
    def __init__(self, status: int, body: dict | None):
        errors = (body or {}).get("errors") or [{"code": "HTTP", "message": str(status)}]
        super().__init__(f"{status} {errors[0].get('code')}: {errors[0].get('message')}")
        self.status, self.errors = status, errors


@dataclass
class FileSource:
    name: str
    size: int
    content_type: str
    read: Callable[[int, int], bytes]  # (offset, length) -> bytes

    @classmethod
    def from_path(cls, path: Path) -> FileSource:
        def read(offset: int, length: int) -> bytes:
            with open(path, "rb") as f:
                f.seek(offset)
                return f.read(length)

        return cls(path.name, path.stat().st_size, content_type(path), read)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, ctype: str) -> FileSource:
        return cls(name, len(data), ctype, lambda offset, length: data[offset:offset + length])


class Uploader:
    def __init__(self, api_url: str, token: str, progress: Callable[[int], None] | None = None) -> None:
        self.api = api_url.rstrip("/")
        self._http = retrying_session(idempotent_only=True)
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._storage = retrying_session()  # presigned URLs carry their own signature: no token here
        self._progress = progress or (lambda n: None)

    @classmethod
    def login(cls, api_url: str, email: str, password: str, **kw) -> Uploader:
        r = retrying_session(idempotent_only=True).post(f"{api_url.rstrip('/')}/api/auth/login", json={"email": email, "password": password},
                                    timeout=30)
        if r.status_code != 200:
            raise ApiError(r.status_code, _json(r))
        return cls(api_url, r.json()["data"]["token"], **kw)

    def call(self, method: str, path: str, **kw) -> dict | None:
        r = self._http.request(method, self.api + path, timeout=60, **kw)
        if r.status_code >= 400:
            raise ApiError(r.status_code, _json(r))
        return (_json(r) or {}).get("data")

    def upload(self, kind: str, files: list[FileSource], on_session: Callable[[dict], None] | None = None,
               **fields) -> dict:
        """Create a session, send every file (single PUT or multipart), complete it. ``on_session`` sees
        the session before any byte is sent, so a caller can record it and :meth:`resume` after a crash."""
        body = {"kind": kind, "files": [{"name": f.name, "size": f.size, "contentType": f.content_type} for f in files],
                **{k: v for k, v in fields.items() if v is not None}}
        session = self.call("POST", "/api/uploads", json=body)
        if on_session:
            on_session(session)
        return self._send_all(session, files)

    def resume(self, session_id: str, files: list[FileSource]) -> dict | None:
        """Finish an earlier session: send what has not arrived, then complete. None when the session
        can no longer be finished (aborted or expired) and must be started again."""
        state = self.call("GET", f"/api/uploads/{session_id}")
        if state["status"] == "completed":
            return state
        if state["status"] != "open":
            return None
        missing = [f["index"] for f in state["files"] if not f["uploaded"]]
        if missing:
            # Fresh URLs for what is missing: the session's original ones may have expired.
            fresh = {}
            for index in missing:
                described = state["files"][index]
                if described["multipart"]:
                    fresh[index] = {**described, "upload": {"method": "multipart", "partSize": described["partSize"],
                                                            "partCount": described["partCount"], "parts": []}}
                else:
                    fresh[index] = {**described, "upload": self.call("POST", f"/api/uploads/{session_id}/parts",
                                                                     json={"fileIndex": index, "partNumbers": [1]})}
            for index, described in fresh.items():
                self._send(session_id, described, files[index])
        self.call("POST", f"/api/uploads/{session_id}/complete", json={})
        return state

    def _send_all(self, session: dict, files: list[FileSource]) -> dict:
        for described, source in zip(session["files"], files, strict=True):
            self._send(session["id"], described, source)
        self.call("POST", f"/api/uploads/{session['id']}/complete", json={})
        return session

    def _send(self, session_id: str, described: dict, source: FileSource) -> None:
        upload = described["upload"]
        if upload["method"] == "PUT":
            self._put(upload["url"], source.read(0, source.size), upload["headers"])
            self._progress(source.size)
            return
        part_size, count = upload["partSize"], upload["partCount"]
        urls = {p["partNumber"]: p["url"] for p in upload["parts"]}
        for number in range(1, count + 1):
            if number not in urls:
                batch = list(range(number, min(count, number + 99) + 1))
                more = self.call("POST", f"/api/uploads/{session_id}/parts",
                                 json={"fileIndex": described["index"], "partNumbers": batch})
                urls.update({p["partNumber"]: p["url"] for p in more["parts"]})
            data = source.read((number - 1) * part_size, part_size)
            self._put(urls[number], data, {})
            self._progress(len(data))

    def _put(self, url: str, data: bytes, headers: dict) -> None:
        r = self._storage.put(url, data=data, headers=headers, timeout=300)
        if r.status_code >= 300:
            raise ApiError(r.status_code, None)


def _json(r: requests.Response) -> dict | None:
    try:
        return r.json()
    except ValueError:
        return None
