"""Pure functions shaping domain records into API payloads (camelCase, no secrets, no PII leaks)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from chalicelib.models import Agent, ImageAsset, Job, ModelAsset, ModelVersion, Role, SiteSettings, UploadSession, User
from chalicelib.services.visibility import can_manage


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
    if can_manage(viewer, u.id):
        out.update(email=u.email, showAdultContent=u.show_adult, isActive=u.is_active, lastLoginAt=iso(u.last_login_at))
    return out


def session(token: str, u: User, expires_at: int) -> dict:
    return {"token": token, "tokenType": "Bearer", "expiresAt": iso(expires_at), "user": user(u, u)}


def site_settings(s: SiteSettings) -> dict:
    d = asdict(s)
    return {"siteTitle": d["site_title"], "allowRegistration": d["allow_registration"], "maintenanceMode": d["maintenance_mode"]}


def upload_session(s: UploadSession, urls: dict | None = None, files: list[dict] | None = None) -> dict:
    out = {
        "id": s.id, "kind": s.kind, "status": s.status, "createdAt": iso(s.created_at), "expiresAt": iso(s.expires_at),
        "modelId": s.model_id, "versionId": s.version_id, "galleryId": s.gallery_id,
        "files": files or [{"index": f.index, "name": f.name, "role": f.role, "size": f.size, "assetId": f.asset_id,
                            "multipart": bool(f.multipart_id)} for f in s.files],
    }
    if urls is not None:
        for f in out["files"]:
            f["upload"] = urls[f["index"]]
    return out


def model_status(m: ModelAsset, versions: list[ModelVersion], cover_urls: dict, viewer: User | None) -> dict:
    manage = can_manage(viewer, m.owner_id)
    return {
        "id": m.id, "title": m.title, "status": m.status, "error": m.error if manage else None,
        "progress": 100 if m.status != "processing" else None, "baseModel": m.base_model, "kind": m.kind,
        "visibility": m.visibility, "isAdult": m.is_adult, "downloads": m.download_count,
        "versions": [{"id": v.id, "name": v.name, "status": v.status, "error": v.error if manage else None,
                      "filename": v.filename, "size": v.size, "hashes": v.hashes,
                      "metadata": v.metadata, "headerAvailable": bool(v.header_key) and manage} for v in versions],
        "cover": cover_urls,
    }


def image_status(i: ImageAsset, preview_urls: dict, viewer: User | None) -> dict:
    manage = can_manage(viewer, i.owner_id)
    return {
        "id": i.id, "title": i.title, "status": i.status, "error": i.error if manage else None,
        "progress": 100 if i.status != "processing" else None, "mime": i.mime, "width": i.width, "height": i.height,
        "isAdult": i.is_adult, "meta": i.meta, "linkedVersionIds": i.linked_version_ids, "previews": preview_urls,
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
