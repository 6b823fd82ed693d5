"""Site settings (title, registration, maintenance, status-page links) stored in DynamoDB with a
short read cache. Nothing is ever written to files: every Lambda container reads the same item."""
from __future__ import annotations

import time
from dataclasses import asdict, replace
from urllib.parse import urlsplit

from chalicelib.errors import ValidationError
from chalicelib.models import SiteSettings

SITE_KEY = "site"
MAX_ENDPOINTS = 20
MAX_ENDPOINT_LABEL = 60
MAX_ENDPOINT_URL = 300
MAX_SITE_TITLE = 120
FIELD_NAMES = {"site_title": "siteTitle", "allow_registration": "allowRegistration",
               "maintenance_mode": "maintenanceMode", "service_endpoints": "serviceEndpoints"}


def _printable(text: str) -> bool:
    return all(ch.isprintable() for ch in text)


def clean_site_title(value) -> str:
    title = " ".join(str(value).split())
    if not 1 <= len(title) <= MAX_SITE_TITLE or not _printable(title):
        raise ValidationError(f"siteTitle must have 1 to {MAX_SITE_TITLE} printable characters", field="siteTitle")
    return title


def public_link(url, field: str) -> str:
    """An absolute http(s) link fit to show to anyone: no credentials, no scripts, no odd characters.
    The platform never requests it (it is only shown), so private hosts are the administrator's choice."""
    text = str(url).strip()
    problem = None
    if not text or len(text) > MAX_ENDPOINT_URL:
        problem = f"must have 1 to {MAX_ENDPOINT_URL} characters"
    elif not text.isascii() or any(ch.isspace() or not ch.isprintable() or ch in "<>\\\"'`" for ch in text):
        problem = "may contain only visible ASCII characters and no quotes, backslashes or angle brackets"
    else:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (raises ValueError on a malformed port)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            problem = "must be an absolute http:// or https:// URL"
        elif "@" in parts.netloc:
            problem = "must not contain credentials (user:password@)"
    if problem:
        raise ValidationError(f"URL {problem}", field=field)
    return text


def clean_endpoints(value) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_ENDPOINTS:
        raise ValidationError(f"serviceEndpoints is a list of at most {MAX_ENDPOINTS} links", field="serviceEndpoints")
    cleaned, labels = [], set()
    for n, entry in enumerate(value):
        where = f"serviceEndpoints.{n}"
        if not isinstance(entry, dict):
            raise ValidationError("Each service endpoint is an object with label and url", field=where)
        label = " ".join(str(entry.get("label") or "").split())
        if not 1 <= len(label) <= MAX_ENDPOINT_LABEL or not _printable(label):
            raise ValidationError(f"label must have 1 to {MAX_ENDPOINT_LABEL} printable characters", field=f"{where}.label")
        if label.casefold() in labels:
            raise ValidationError("Service endpoint labels must be unique", field=f"{where}.label")
        labels.add(label.casefold())
        item = {"label": label, "url": public_link(entry.get("url") or "", f"{where}.url")}
        if entry.get("kind"):
            item["kind"] = str(entry["kind"])
        cleaned.append(item)
    return cleaned


def _stored_endpoints(value) -> list[dict]:
    """What was stored, shaped for readers (a damaged entry is dropped rather than shown)."""
    out = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("label"), str) and isinstance(entry.get("url"), str):
            out.append({k: str(entry[k]) for k in ("label", "url", "kind") if entry.get(k)})
    return out


class SettingsService:
    def __init__(self, repo, cache_seconds: float, registration_default: bool, clock=time.monotonic,
                 audit=None) -> None:
        self._repo = repo
        self._audit = audit  # () -> AuditService
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
        if "service_endpoints" in known:
            known["service_endpoints"] = _stored_endpoints(known["service_endpoints"])
        settings = replace(self._defaults, **known)
        self._cached = (self._clock(), settings)
        return settings

    def update_site(self, changes: dict, actor=None) -> SiteSettings:
        """Apply a partial change (validated as a whole before anything is written) and audit which
        fields changed; values are not copied into the audit log."""
        changes = dict(changes)
        unknown = set(changes) - set(FIELD_NAMES)
        if unknown:
            raise ValidationError("Unknown setting", field=sorted(unknown)[0])
        if "site_title" in changes:
            changes["site_title"] = clean_site_title(changes["site_title"])
        for flag in ("allow_registration", "maintenance_mode"):
            if flag in changes and not isinstance(changes[flag], bool):
                raise ValidationError(f"{FIELD_NAMES[flag]} must be true or false", field=FIELD_NAMES[flag])
        if "service_endpoints" in changes:
            changes["service_endpoints"] = clean_endpoints(changes["service_endpoints"])
        self._cached = None  # compare with (and build on) what is stored now, not a cached copy
        current = self.site()
        changed = [k for k, v in changes.items() if getattr(current, k) != v]
        if not changed:
            return current
        settings = replace(current, **changes)
        self._repo.put(SITE_KEY, asdict(settings))
        self._cached = (self._clock(), settings)
        if self._audit is not None and actor is not None:
            details = {"changed": sorted(FIELD_NAMES[k] for k in changed)}
            details.update({FIELD_NAMES[k]: changes[k] for k in ("allow_registration", "maintenance_mode") if k in changed})
            self._audit().record(actor, "settings.update", "settings", SITE_KEY, details)
        return settings

    def record_schedule_run(self, name: str, report: dict) -> None:
        self._repo.put(f"schedule#{name}", report)

    def schedule_run(self, name: str) -> dict | None:
        return self._repo.get(f"schedule#{name}")
