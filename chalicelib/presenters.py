"""Pure functions shaping domain records into API payloads (camelCase, no secrets, no PII leaks)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from chalicelib.models import Agent, Job, Role, SiteSettings, Upload, User


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def user(u: User, viewer: User | None) -> dict:
    out = {
        "id": u.id,
        "displayName": u.display_name,
        "role": u.role.name,
        "bio": u.bio,
        "createdAt": iso(u.created_at),
    }
    # Email and private preferences only for the account itself and administrators.
    if viewer is not None and (viewer.id == u.id or viewer.role >= Role.ADMIN):
        out.update(email=u.email, showAdultContent=u.show_adult, isActive=u.is_active, lastLoginAt=iso(u.last_login_at))
    return out


def session(token: str, u: User, expires_at: int) -> dict:
    return {"token": token, "tokenType": "Bearer", "expiresAt": iso(expires_at), "user": user(u, u)}


def site_settings(s: SiteSettings) -> dict:
    d = asdict(s)
    return {"siteTitle": d["site_title"], "allowRegistration": d["allow_registration"], "maintenanceMode": d["maintenance_mode"]}


def upload(u: Upload) -> dict:
    return {
        "id": u.id,
        "filename": u.filename,
        "declaredType": u.declared_type,
        "declaredSize": u.declared_size,
        "status": u.status,
        "detectedType": u.detected_type,
        "size": u.size,
        "reason": u.reason,
        "createdAt": iso(u.created_at),
        "processedAt": iso(u.processed_at),
    }


def job(j: Job, viewer: User) -> dict:
    out = {
        "id": j.id,
        "kind": j.kind,
        "status": j.status,
        "progress": j.progress,
        "attempt": j.attempt,
        "createdAt": iso(j.created_at),
        "updatedAt": iso(j.updated_at),
        "history": [{"status": h.get("status"), "at": iso(h.get("at"))} for h in j.history],
        "result": j.result,
        "error": None,
    }
    if j.error:
        # Members get a generic message; administrators the recorded detail.
        if viewer.role >= Role.ADMIN:
            out.update(error=j.error, agentError=j.agent_error)
        else:
            out["error"] = "The job did not complete"
    return out


def agent(a: Agent) -> dict:
    return {"id": a.id, "name": a.name, "enabled": a.enabled, "createdAt": iso(a.created_at), "lastSeenAt": iso(a.last_seen_at)}
