"""Small key-value tables: site settings and schedule reports, rate-limit windows, one-time nonces."""
from __future__ import annotations

import time

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.repositories.base import conditional, table_meta


class SettingsItem(Model):
    Meta = table_meta("settings")

    pk = UnicodeAttribute(hash_key=True)
    data = MapAttribute(default=dict)
    updated_at = NumberAttribute(default=0)


class RateLimitItem(Model):
    Meta = table_meta("ratelimits")

    pk = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()


class NonceItem(Model):
    Meta = table_meta("nonces")

    pk = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute()


class SettingsRepository:
    """One document per key. Plain ``put`` for single-writer documents; the two conditional writes
    are optimistic concurrency for documents several admins or job runs may write at once."""

    def get(self, key: str) -> dict | None:
        return self.get_versioned(key)[0]

    def get_versioned(self, key: str) -> tuple[dict | None, float | None]:
        """The document and its version (the time of its last write), (None, None) when absent."""
        try:
            item = SettingsItem.get(key, consistent_read=True)
        except DoesNotExist:
            return None, None
        data = item.data.as_dict() if isinstance(item.data, MapAttribute) else dict(item.data or {})
        return data, float(item.updated_at)

    def put(self, key: str, data: dict) -> None:
        SettingsItem(key, data=data, updated_at=time.time()).save()

    def put_versioned(self, key: str, data: dict, expected: float | None) -> bool:
        """Write only if the document is still the version read (None: only if there is none yet)."""
        now = time.time()
        if expected is not None and now <= expected:
            now = expected + 1e-6  # the version must change even when clocks do not advance
        guard = SettingsItem.pk.does_not_exist() if expected is None else SettingsItem.updated_at == expected
        return conditional(lambda: SettingsItem(key, data=data, updated_at=now).save(condition=guard))

    def put_if(self, key: str, data: dict, expected: dict | None) -> bool:
        """Write only if the stored document still holds ``expected`` (field -> value); with
        ``expected=None`` only if there is none yet. False when someone else wrote first."""
        if expected is None:
            condition = SettingsItem.pk.does_not_exist()
        else:
            condition = SettingsItem.pk.exists()
            for name, value in expected.items():
                condition &= SettingsItem.data[name] == value
        return conditional(lambda: SettingsItem(key, data=data, updated_at=time.time()).save(condition=condition))

    def ping(self) -> bool:
        """One cheap GetItem: raises when the table or endpoint is unreachable."""
        self.get("site")
        return True


class RateLimitRepository:
    def count(self, key: str) -> int:
        try:
            item = RateLimitItem.get(key, consistent_read=True)
        except DoesNotExist:
            return 0
        return int(item.count) if item.expires_at > time.time() else 0

    def increment(self, key: str, expires_at: int) -> int:
        item = RateLimitItem(key)
        item.update(actions=[RateLimitItem.count.add(1), RateLimitItem.expires_at.set(expires_at)])
        return int(item.count)


class NonceRepository:
    def claim(self, key: str, expires_at: float) -> bool:
        """Record ``key`` once; False when it was already recorded (a replay)."""
        return conditional(lambda: NonceItem(key, expires_at=int(expires_at)).save(condition=NonceItem.pk.does_not_exist()))

    def exists(self, key: str) -> bool:
        try:
            item = NonceItem.get(key, consistent_read=True)
        except DoesNotExist:
            return False
        return item.expires_at > time.time()
