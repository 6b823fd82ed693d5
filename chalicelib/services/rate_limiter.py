"""Fixed-window counters in DynamoDB (atomic ADD; the window's item expires through TTL)."""
from __future__ import annotations

import hashlib
import math
import time

from chalicelib.errors import RateLimited


class RateLimiter:
    def __init__(self, repo, clock=time.time) -> None:
        self._repo = repo
        self._clock = clock

    def _key(self, scope: str, subject: str, window: int) -> tuple[str, int]:
        start = int(self._clock() // window) * window
        # Subjects (emails, IPs) are hashed so the table holds no personal data.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{scope}#{digest}#{start}", start + window

    def check(self, scope: str, subject: str, limit: int, window: int) -> None:
        key, end = self._key(scope, subject, window)
        if self._repo.count(key) >= limit:
            raise RateLimited("Too many attempts; try again later", retry_after=math.ceil(end - self._clock()))

    def hit(self, scope: str, subject: str, window: int) -> int:
        key, end = self._key(scope, subject, window)
        return self._repo.increment(key, end + 60)

    def take(self, scope: str, subject: str, limit: int, window: int) -> None:
        """Count this attempt and refuse it when it is past ``limit`` in the window. One atomic
        increment, so concurrent attempts can never all slip under the limit (check-then-hit can);
        a refused attempt is counted too, which only matters until the window ends."""
        key, end = self._key(scope, subject, window)
        if self._repo.increment(key, end + 60) > limit:
            raise RateLimited("Too many attempts; try again later", retry_after=math.ceil(end - self._clock()))
