"""Site settings (title, registration, maintenance) stored in DynamoDB with a short read cache."""
from __future__ import annotations

import time
from dataclasses import asdict, replace

from chalicelib.models import SiteSettings

SITE_KEY = "site"


class SettingsService:
    def __init__(self, repo, cache_seconds: float, registration_default: bool, clock=time.monotonic) -> None:
        self._repo = repo
        self._cache_seconds = cache_seconds
        self._defaults = SiteSettings(allow_registration=registration_default)
        self._clock = clock
        self._cached: tuple[float, SiteSettings] | None = None

    def site(self) -> SiteSettings:
        # Every request reads maintenance mode; a few seconds of staleness across Lambda
        # containers is the price of not paying a GetItem per request.
        if self._cached and self._clock() - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        stored = self._repo.get(SITE_KEY) or {}
        known = {k: v for k, v in stored.items() if k in SiteSettings.__dataclass_fields__}
        settings = replace(self._defaults, **known)
        self._cached = (self._clock(), settings)
        return settings

    def update_site(self, changes: dict) -> SiteSettings:
        settings = replace(self.site(), **changes)
        self._repo.put(SITE_KEY, asdict(settings))
        self._cached = (self._clock(), settings)
        return settings

    def record_schedule_run(self, name: str, report: dict) -> None:
        self._repo.put(f"schedule#{name}", report)

    def schedule_run(self, name: str) -> dict | None:
        return self._repo.get(f"schedule#{name}")
