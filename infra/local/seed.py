"""Demo content for ``make dev``, created through the same paths users take."""
from __future__ import annotations

import secrets
import struct
import zlib

import requests

from chalicelib import container
from chalicelib.models import Role


def admin(email: str, password: str | None) -> str | None:
    _, generated = container.auth_service().upsert_account(email, "Administrator", Role.ADMIN, password)
    return generated


def demo_png(width: int = 64, height: int = 64) -> bytes:
    """A small gradient PNG, generated so nothing has to be downloaded or shipped."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 4 % 256, 160)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def demo_content(base_url: str) -> None:
    """A demo curator and one image that travels presigned PUT -> S3 event -> ingest."""
    auth = container.auth_service()
    password = secrets.token_urlsafe(15)
    curator, _ = auth.upsert_account("curator@visionsuit.local", "Demo Curator", Role.CURATOR, password)
    session = requests.Session()
    token = session.post(f"{base_url}/api/auth/login", json={"email": curator.email, "password": password}, timeout=30).json()
    session.headers["Authorization"] = f"Bearer {token['data']['token']}"
    image = demo_png()
    created = session.post(f"{base_url}/api/uploads", json={"filename": "demo-gradient.png", "contentType": "image/png",
                                                            "size": len(image)}, timeout=30).json()["data"]
    put = created["put"]
    requests.put(put["url"], data=image, headers=put["headers"], timeout=30).raise_for_status()
