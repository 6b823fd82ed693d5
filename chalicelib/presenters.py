"""Pure functions shaping domain records into API payloads (camelCase, no secrets, no PII leaks)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from chalicelib.models import Agent, ImageAsset, Job, ModelAsset, ModelVersion, Role, SiteSettings, UploadSession, User
from chalicelib.services.visibility import PLACEHOLDER, access, can_manage


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
    return {"siteTitle": d["site_title"], "allowRegistration": d["allow_registration"], "maintenanceMode": d["maintenance_mode"],
            "serviceEndpoints": d["service_endpoints"]}


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
    if _placeholder(m, viewer):
        return in_audit(m, "model")
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
    if _placeholder(i, viewer):
        return in_audit(i, "image")
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
    # Review state is the owner's and the administrators' business only (others never see it in audit).
    if can_manage(viewer, asset.owner_id):
        return {"visibility": asset.visibility, "moderation": asset.moderation,
                "inAudit": asset.moderation == "flagged"}
    return {"visibility": asset.visibility}


def model_card(m: ModelAsset, owners: dict[str, User], previews: dict, viewer: User | None) -> dict:
    if _placeholder(m, viewer):
        return in_audit(m, "model")
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
    if _placeholder(m, viewer):
        return in_audit(m, "model")
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
    if _placeholder(i, viewer):
        return in_audit(i, "image")
    return {
        "id": i.id, "title": i.title, "tags": i.tags, "owner": owner_ref(i.owner_id, owners), "previews": previews,
        "width": i.width, "height": i.height, "isAdult": i.is_adult, "status": i.status, "likes": i.like_count,
        "createdAt": iso(i.created_at), "updatedAt": iso(i.updated_at), **_moderation(i, viewer),
    }


def image_detail(d, viewer: User | None) -> dict:
    i = d.image
    if _placeholder(i, viewer):
        return in_audit(i, "image")
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
        # Which agent took an attempt is operations detail: administrators only.
        "history": [{"status": h.get("status"), "at": iso(h.get("at")),
                     **({"agent": h["agent"]} if h.get("agent") and viewer.role >= Role.ADMIN else {})}
                    for h in j.history],
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


def agent(a: Agent, online: bool | None = None) -> dict:
    return {"id": a.id, "name": a.name, "enabled": a.enabled, "createdAt": iso(a.created_at),
            "lastSeenAt": iso(a.last_seen_at), "mode": "push" if a.endpoint else "pull", "busy": bool(a.current_job_id),
            **({"online": online} if online is not None else {})}


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
        # Only the people who may see a held gallery at all learn that it is held.
        **({"heldForReview": bool(g.held_by)} if manage else {}),
    }


def gallery_entry(e, viewer: User | None) -> dict:
    """``e``: an EntryView (entry, asset, asset owner, preview URLs)."""
    a = e.asset
    if _placeholder(a, viewer):
        asset = in_audit(a, e.entry.kind)
    else:
        asset = {"id": a.id, "title": a.title, "previews": e.previews, "isAdult": a.is_adult,
                 "owner": owner_ref(a.owner_id, {e.owner.id: e.owner} if e.owner else {})}
        if can_manage(viewer, a.owner_id):
            asset.update(moderation=a.moderation, inAudit=a.moderation == "flagged")
    return {
        "kind": e.entry.kind, "assetId": e.entry.asset_id, "position": e.entry.position, "note": e.entry.note,
        "addedAt": iso(e.entry.added_at), "asset": asset,
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


# -- people: profiles, account administration, curator applications ------------------------------
def profile(p, viewer: User | None) -> dict:
    """``p``: a profile_service.Profile."""
    models, images = p.models.page, p.images.page
    galleries, galleries_cursor = p.galleries
    return {
        **user(p.user, viewer),
        "joinedAt": iso(p.user.created_at),
        "avatar": p.avatar,
        "rank": p.rank,
        "stats": p.stats,
        "models": {"items": [model_card(m, models.owners, p.models.previews.get(m.id, {}), viewer)
                             for m in models.items], "cursor": models.cursor},
        "images": {"items": [image_card(i, images.owners, p.images.previews.get(i.id, {}), viewer)
                             for i in images.items], "cursor": images.cursor},
        "galleries": {"items": [gallery_card(v, viewer) for v in galleries], "cursor": galleries_cursor},
    }


def account_deletion(d) -> dict | None:
    if d is None:
        return None
    return {"status": d.status, "content": d.mode, "to": d.target_id, "counts": d.counts, "error": d.error,
            "requestedBy": d.requested_by, "requestedAt": iso(d.requested_at), "updatedAt": iso(d.updated_at),
            "finishedAt": iso(d.finished_at)}


def admin_user(u: User, deletion, admin: User) -> dict:
    return {**user(u, admin), "avatarImageId": u.avatar_image_id, "updatedAt": iso(u.updated_at),
            "deletion": account_deletion(deletion)}


def account(view, admin: User) -> dict:
    """``view``: a user_admin_service.AccountView (the account, or only its deletion tombstone)."""
    if view.user is None:
        return {"id": view.user_id, "deleted": True, "deletion": account_deletion(view.deletion)}
    return {**admin_user(view.user, view.deletion, admin), "deleted": False}


def curator_application(a, applicant: User | None, viewer: User) -> dict:
    out = {"id": a.id, "status": a.status, "message": a.message, "createdAt": iso(a.created_at),
           "decidedAt": iso(a.decided_at), "reason": a.decision_reason,
           "applicant": {"id": a.user_id, "displayName": applicant.display_name if applicant else None,
                         "role": applicant.role.name if applicant else None}}
    if viewer.role >= Role.ADMIN:
        out["decidedBy"] = a.decided_by
        if applicant is not None:
            out["applicant"].update(email=applicant.email, isActive=applicant.is_active,
                                    joinedAt=iso(applicant.created_at))
    return out


# -- moderation ---------------------------------------------------------------------------------
def in_audit(asset, kind: str) -> dict:
    """What the owner of an asset under review sees of it (lists, details, gallery entries, profiles)."""
    return {"id": asset.id, "title": asset.title, "kind": kind, "moderation": "flagged", "inAudit": True,
            "placeholder": True}


def _placeholder(asset, viewer: User | None) -> bool:
    return access(viewer, asset) == PLACEHOLDER


def safety_keyword(k) -> dict:
    return {"id": k.id, "label": k.label, "category": k.category, "createdAt": iso(k.created_at or None)}


def safety_recalculation(run) -> dict:
    """Progress of a safety recalculation; ``percent`` is an estimate until the run is done (the
    total comes from DynamoDB's approximate item counts)."""
    if run.status == "done":
        percent = 100
    elif run.total:
        # A run that has scanned anything shows at least 1 %, so a large table does not look stalled.
        percent = min(99, max(1 if run.scanned else 0, run.scanned * 100 // run.total))
    else:
        percent = 0
    return {
        "id": run.id, "status": run.status, "trigger": run.trigger, "phase": run.phase, "scanned": run.scanned,
        "total": run.total, "percent": percent, "adultMarked": run.adult_marked, "adultCleared": run.adult_cleared,
        "flagged": run.flagged, "cleared": run.cleared, "queuedAt": iso(run.created_at),
        "startedAt": iso(run.started_at), "finishedAt": iso(run.finished_at), "supersedes": run.supersedes,
        "error": run.error,
    }


# -- rankings -----------------------------------------------------------------------------------
def leaderboard_entry(e) -> dict:
    """``e``: a ranking_service.LeaderboardEntry."""
    return {"position": e.position, "user": {"id": e.user.id, "displayName": e.user.display_name,
                                             "role": e.user.role.name, "avatar": e.avatar},
            "rank": e.rank}


def user_rank(u: User, rank: dict, state=None) -> dict:
    """``state`` (the stored ranking state) only for administrators: reset and block bookkeeping."""
    out = {"user": {"id": u.id, "displayName": u.display_name, "role": u.role.name}, "rank": rank}
    if state is not None:
        out["ranking"] = {"isBlocked": state.blocked, "lastResetAt": iso(state.last_reset_at),
                          "resetCounts": state.reset_counts, "listed": state.listed, "storedScore": state.score}
    return out


def ranking_settings(s) -> dict:
    """``s``: a ranking_service.RankingSettings."""
    r = s.recompute
    return {"modelWeight": s.weights.model, "galleryWeight": s.weights.gallery, "imageWeight": s.weights.image,
            "isFallback": s.is_fallback,
            "recompute": {**r, "startedAt": iso(r.get("startedAt")), "finishedAt": iso(r.get("finishedAt"))}}


def rank_tier(t) -> dict:
    return {"id": t.id, "label": t.label, "description": t.description, "minimumScore": t.minimum_score,
            "position": t.position, "isActive": t.is_active,
            "createdAt": iso(t.created_at) if t.created_at else None,
            "updatedAt": iso(t.updated_at) if t.updated_at else None}


# -- comments and likes -------------------------------------------------------------------------
DELETED_USER = "Deleted user"


def comment(v) -> dict:
    """``v``: a CommentView. A deleted comment (a tombstone holding replies) keeps only its place."""
    c = v.comment
    author = None
    if v.author is not None and not c.deleted:
        author = {"id": v.author.id, "displayName": v.author.display_name, "role": v.author.role.name,
                  "avatar": v.avatar}
    out = {
        "id": c.id, "parentId": c.parent_id, "content": "" if c.deleted else c.content, "author": author,
        # What to show as the author: their name, or "Deleted user" when the account is gone.
        "authorName": None if c.deleted else (author["displayName"] if author else DELETED_USER),
        "createdAt": iso(c.created_at), "editedAt": iso(c.edited_at), "likeCount": max(0, c.like_count),
        "viewerHasLiked": v.liked, "replyCount": max(0, c.reply_count), "deleted": c.deleted,
        "canEdit": v.can_edit, "canDelete": v.can_delete,
    }
    if v.replies is not None:
        out["replies"] = [comment(r) for r in v.replies]
    return out


def like_state(s) -> dict:
    return {"liked": s.liked, "likeCount": s.like_count}


def flag_receipt(report) -> dict:
    """What a reporter gets back: their own report (never who else reported, or how many)."""
    return {"kind": report.kind, "assetId": report.asset_id, "reason": report.reason, "details": report.details,
            "createdAt": iso(report.created_at), "status": "received"}


def moderation_settings(s) -> dict:
    return {"flagThreshold": s.flag_threshold, "flagsPerHour": s.flags_per_hour}


def moderation_case(v) -> dict:
    """``v``: a moderation_service.CaseView. Administrators only; reporters by id and display name."""
    c, a = v.case, v.asset
    asset = None
    if a is not None:
        owner = v.owner
        asset = {"id": a.id, "title": a.title, "kind": c.kind, "type": getattr(a, "kind", None) if c.kind == "model"
                 else None, "owner": {"id": a.owner_id, "displayName": owner.display_name if owner else None},
                 "thumbnail": v.thumbnail, "visibility": a.visibility, "moderation": a.moderation,
                 "isAdult": a.is_adult, "status": a.status}
    return {
        "kind": c.kind, "assetId": c.asset_id, "state": c.state, "asset": asset,
        "reporterCount": c.reporter_count, "reasons": dict(sorted(c.reasons.items())),
        "latestDetails": [{"reason": r.get("reason"), "details": r.get("details"), "reportedAt": iso(r.get("at")),
                           "reporter": {"id": r.get("reporterId"),
                                        "displayName": v.reporters[r["reporterId"]].display_name
                                        if r.get("reporterId") in v.reporters else None}}
                          for r in c.recent],
        "autoReasons": c.auto_reasons, "openedAt": iso(c.opened_at), "firstReportedAt": iso(c.first_reported_at),
        "lastReportedAt": iso(c.last_reported_at), "hiddenAt": iso(c.hidden_at),
        "previousVisibility": (c.previous or {}).get("visibility"),
        "decision": {"by": c.decided_by, "at": iso(c.decided_at), "note": c.note, "purgedAt": iso(c.purged_at)}
        if c.decided_at else None,
    }


# -- generation ----------------------------------------------------------------------------------
GENERIC_JOB_FAILURE = "Generation failed. An administrator can see the diagnostic log."


def generation_job(j: Job, renders: list, viewer: User, summary: bool = False) -> dict:
    """A generation request as its owner (or an admin) sees it: never storage keys or hashes."""
    out = job(j, viewer)
    if j.error and viewer.role < Role.ADMIN:
        out["error"] = "Cancelled" if j.status == "cancelled" else GENERIC_JOB_FAILURE
    out.update(stage=j.stage, retryOf=j.retry_of, ownerId=j.owner_id)
    r = j.request or {}
    if r:
        base = r.get("baseModel") or {}
        out["request"] = {
            "prompt": r.get("prompt"), "negativePrompt": r.get("negativePrompt"), "seed": r.get("seed"),
            "cfgScale": r.get("cfgScale"), "steps": r.get("steps"), "width": r.get("width"), "height": r.get("height"),
            "sampler": r.get("sampler"), "scheduler": r.get("scheduler"), "batchSize": r.get("batchSize"),
            "baseModel": {"id": base.get("id"), "label": base.get("label"), "type": base.get("type"),
                          "modelId": base.get("modelId")},
            "loras": [{"modelId": lora["modelId"], "name": lora["name"], "strength": lora["strength"]}
                      for lora in r.get("loras") or []],
        }
        if not summary:
            out["triggerWords"] = [{"modelId": lora["modelId"], "words": lora.get("triggerWords") or []}
                                   for lora in r.get("loras") or []]
    out["renderIds"] = list(j.renders)
    if not summary:
        out["renders"] = [{"id": image.id, "status": image.status, "title": image.title, "width": image.width,
                           "height": image.height, "visibility": image.visibility, "previews": previews,
                           **({"error": image.error} if image.error else {})}
                          for image, previews in renders]
    return out


def queue_view(v) -> dict:
    t = v.telemetry
    out = {
        "paused": t.paused, "declineNew": t.decline_new,
        "counts": {"pending": t.counts.get("pending", 0), "queued": t.counts.get("queued", 0),
                   "running": t.counts.get("dispatched", 0) + t.counts.get("running", 0)},
        "agents": {"online": t.agents_online, "busy": t.agents_busy},
        "mine": {"active": v.usage.get("active", 0), "today": v.usage.get("today", 0)},
        "blocked": v.block is not None,
        "blockReason": getattr(v.block, "reason", None),
    }
    return out


# -- generator settings, queue switch and blocks --------------------------------------------------
def _size(z) -> dict:
    return {"width": z.width, "height": z.height}


def generator_queue(q, viewer: User) -> dict:
    out = {"paused": q.paused, "declineNew": q.decline_new, "reason": q.reason}
    if viewer.role >= Role.ADMIN:
        out.update(changedAt=iso(q.changed_at), changedBy=q.changed_by)
    return out


def generator_overview(o, viewer: User) -> dict:
    """``o``: a GeneratorOverview. Members see the options and their own access, limits and usage;
    where a base model's file lives (catalog model, bucket key, digest) only administrators see."""
    s, admin = o.settings, viewer.role >= Role.ADMIN
    if admin:
        base_models = [{"id": m.id, "label": m.label, "type": m.type, "default": m.default, "source": m.source,
                        "modelId": m.model_id, "key": m.key, "sha256": m.sha256} for m in s.base_models]
    else:
        base_models = [{"id": m.id, "label": m.label, "type": m.type, "default": m.default, "modelId": m.model_id}
                       for m in s.base_models]
    limits = {"maxConcurrentPerUser": s.limits.max_concurrent_per_user, "dailyPerUser": s.limits.daily_per_user,
              "apply": o.limits_apply}
    if admin:
        limits["adminsExempt"] = s.limits.admins_exempt
    out = {
        "accessMode": s.access_mode, "enabled": s.enabled, "canGenerate": o.can_generate,
        "block": {"reason": o.block.reason, "since": iso(o.block.created_at)} if o.block else None,
        "baseModels": base_models,
        "sizes": {"presets": [_size(z) for z in s.sizes.presets], "default": _size(s.sizes.default),
                  "minSide": s.sizes.min_side, "maxSide": s.sizes.max_side, "maxPixels": s.sizes.max_pixels},
        "samplers": list(s.samplers), "defaultSampler": s.default_sampler,
        "schedulers": list(s.schedulers), "defaultScheduler": s.default_scheduler,
        "steps": {"default": s.steps.default, "max": s.steps.max},
        "cfg": {"default": s.cfg.default, "min": s.cfg.min, "max": s.cfg.max},
        "maxBatch": s.max_batch, "limits": limits, "usage": dict(o.usage),
        "queue": generator_queue(o.queue, viewer),
    }
    if admin:
        out["version"] = s.version
    return out


def generator_block(b, users: dict) -> dict:
    """An administrator's view of a block: the user by id and display name (never their email)."""
    user = users.get(b.user_id)
    return {"userId": b.user_id, "user": {"id": user.id, "displayName": user.display_name} if user else None,
            "reason": b.reason, "createdAt": iso(b.created_at), "updatedAt": iso(b.updated_at),
            "createdBy": b.created_by, "updatedBy": b.updated_by}


# -- operations: the admin system view ----------------------------------------------------------
def system_overview(view: dict) -> dict:
    """Queue depths and health as the service reports them; scheduled runs with ISO times (reports
    store epoch seconds; the report body itself is the job's own summary, shown as is)."""
    def when(value):
        return iso(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    schedules = [{"name": s.get("name"), "ranAt": when(s.get("ranAt")), "report": s.get("report")}
                 for s in view["schedules"]]
    return {"queues": view["queues"], "schedules": schedules, "health": view["health"]}
