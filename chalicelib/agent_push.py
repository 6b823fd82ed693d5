"""Push-mode delivery of assignments to GPU agents (``POST <endpoint>/jobs``).

The request is signed with HMAC-SHA256 over ``"<timestamp>.<body>"``, keyed with the SHA-256 digest
of the agent's secret: the platform stores only that digest, and the agent can derive it from its
key, so neither side needs another shared secret (docs/generation.md, "Push mode").
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests


def signature(key_digest: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key_digest.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class AgentPusher:
    def __init__(self, timeout: float = 5.0, clock=time.time) -> None:
        self._timeout = timeout
        self._clock = clock

    def push(self, endpoint: str, key_digest: str, assignment: dict) -> str:
        """accepted | busy | refused | unreachable"""
        body = json.dumps(assignment, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = {"Content-Type": "application/json", "X-VisionSuit-Timestamp": timestamp,
                   "X-VisionSuit-Signature": signature(key_digest, timestamp, body)}
        try:
            r = requests.post(endpoint.rstrip("/") + "/jobs", data=body, headers=headers, timeout=self._timeout,
                              allow_redirects=False)
        except requests.RequestException:
            return "unreachable"
        if r.status_code == 202:
            return "accepted"
        return "busy" if r.status_code == 409 else "refused"
