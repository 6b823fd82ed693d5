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
    def get(self, key: str) -> dict | None:
        try:
            item = SettingsItem.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return item.data.as_dict() if isinstance(item.data, MapAttribute) else dict(item.data)

    def put(self, key: str, data: dict) -> None:
        SettingsItem(key, data=data, updated_at=time.time()).save()

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
