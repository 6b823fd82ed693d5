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


def owner_ref(owner_id: str, owners: dict[str, User]) -> dict:
    owner = owners.get(owner_id)
    return {"id": owner_id, "displayName": owner.display_name if owner else None}


def _moderation(asset, viewer: User | None) -> dict:
    # Review state is the owner's and the administrators' business only.
    return {"visibility": asset.visibility, "moderation": asset.moderation} if can_manage(viewer, asset.owner_id) \
        else {"visibility": asset.visibility}


def model_card(m: ModelAsset, owners: dict[str, User], previews: dict, viewer: User | None) -> dict:
    return {
        "id": m.id, "title": m.title, "type": m.kind, "baseModel": m.base_model, "tags": m.tags,
        "triggerWords": m.trigger_words, "owner": owner_ref(m.owner_id, owners), "previews": previews,
        "isAdult": m.is_adult, "status": m.status, "primaryVersionId": m.primary_version_id,
        "downloads": m.download_count, "likes": m.like_count, "createdAt": iso(m.created_at),
        "updatedAt": iso(m.updated_at), **_moderation(m, viewer),
    }


def _version(v: ModelVersion, primary_id: str | None, manage: bool) -> dict:
    meta = v.metadata or {}
    return {"id": v.id, "name": v.name, "status": v.status, "error": v.error if manage else None,
            "isPrimary": v.id == primary_id, "filename": v.filename, "size": v.size, "hashes": v.hashes,
            "downloads": v.download_count, "createdAt": iso(v.created_at),
            "summary": {k: meta.get(k) for k in ("baseModel", "kind", "network", "resolution", "trainingImages",
                                                  "outputName", "tensorCount")},
            "headerAvailable": bool(v.header_key) and manage}


def model_versions(m: ModelAsset, versions: list[ModelVersion], viewer: User | None) -> list[dict]:
    manage = can_manage(viewer, m.owner_id)
    return [_version(v, m.primary_version_id, manage) for v in versions]


def model_detail(d, viewer: User | None) -> dict:
    m = d.model
    owners = {d.owner.id: d.owner} if d.owner else {}
    return {
        **model_card(m, owners, d.previews, viewer),
        "description": m.description,
        "trigger": {"words": m.trigger_words, "copyText": ", ".join(m.trigger_words)},
        "versions": model_versions(m, d.versions, viewer),
        "metadata": d.metadata,
        "datasetTags": [{"tag": t, "count": n} for t, n in d.dataset_tags],
        "galleries": [{"id": g.id, "title": g.title} for g in d.galleries],
        "counts": {"downloads": m.download_count, "likes": m.like_count, "versions": len(d.versions),
                   "galleries": len(d.galleries)},
        "canEdit": can_manage(viewer, m.owner_id),
    }


def image_card(i: ImageAsset, owners: dict[str, User], previews: dict, viewer: User | None) -> dict:
    return {
        "id": i.id, "title": i.title, "tags": i.tags, "owner": owner_ref(i.owner_id, owners), "previews": previews,
        "width": i.width, "height": i.height, "isAdult": i.is_adult, "status": i.status, "likes": i.like_count,
        "createdAt": iso(i.created_at), "updatedAt": iso(i.updated_at), **_moderation(i, viewer),
    }


def image_detail(d, viewer: User | None) -> dict:
    i = d.image
    owners = {d.owner.id: d.owner} if d.owner else {}
    meta = i.meta or {}
    return {
        **image_card(i, owners, d.previews, viewer),
        "description": i.description, "mime": i.mime, "size": i.size,
        "prompt": meta.get("prompt"), "negativePrompt": meta.get("negative_prompt"),
        "parameters": meta.get("params") or {}, "source": meta.get("source"),
        "resources": [{"modelId": m.id, "modelTitle": m.title, "versionId": v.id, "versionName": v.name}
                      for m, v in d.linked],
        "galleries": [{"id": g.id, "title": g.title} for g in d.galleries],
        "canEdit": can_manage(viewer, i.owner_id),
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


# -- galleries ---------------------------------------------------------------------------------
def gallery_card(v, viewer: User | None) -> dict:
    """``v``: a GalleryView (gallery, owner, cover preview URLs, entry count when known)."""
    g = v.gallery
    manage = can_manage(viewer, g.owner_id)
    return {
        "id": g.id, "title": g.title, "description": g.description, "visibility": g.visibility,
        "owner": owner_ref(g.owner_id, {v.owner.id: v.owner} if v.owner else {}),
        # The cover's id only with a cover the viewer may see (or to the people who may change it).
        "coverImageId": g.cover_image_id if (v.cover or manage) else None, "cover": v.cover,
        "parentId": g.parent_id, "entryCount": v.entry_count,
        "createdAt": iso(g.created_at), "updatedAt": iso(g.updated_at),
    }


def gallery_entry(e, viewer: User | None) -> dict:
    """``e``: an EntryView (entry, asset, asset owner, preview URLs)."""
    a = e.asset
    return {
        "kind": e.entry.kind, "assetId": e.entry.asset_id, "position": e.entry.position, "note": e.entry.note,
        "addedAt": iso(e.entry.added_at),
        "asset": {"id": a.id, "title": a.title, "previews": e.previews, "isAdult": a.is_adult,
                  "owner": owner_ref(a.owner_id, {e.owner.id: e.owner} if e.owner else {})},
    }


def gallery_detail(d, viewer: User | None) -> dict:
    return {
        **gallery_card(d.view, viewer),
        "entries": [gallery_entry(e, viewer) for e in d.entries],
        "entriesCursor": d.entries_cursor,
        "children": [{"id": c.id, "title": c.title, "visibility": c.visibility} for c in d.children],
        "parent": {"id": d.parent.id, "title": d.parent.title} if d.parent else None,
        "canEdit": d.can_edit,
    }


def gallery_batch(report) -> dict:
    """``report``: a BatchReport; ``added`` or ``removed`` counts what actually changed."""
    return {"added" if report.action == "add" else "removed": report.count, "items": report.items}


def notification(n) -> dict:
    return {"id": n.id, "category": n.category, "type": n.type, "title": n.title, "body": n.body,
            "link": n.link, "actorId": n.actor_id, "read": n.read, "createdAt": iso(n.created_at)}


def audit_entry(e, actors: dict[str, User]) -> dict:
    actor = actors.get(e.actor_id)
    return {"id": e.id, "action": e.action, "target": {"kind": e.target_kind, "id": e.target_id},
            "actor": {"id": e.actor_id, "displayName": actor.display_name if actor else None},
            "details": e.details, "createdAt": iso(e.created_at)}
