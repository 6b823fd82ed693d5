"""The scheduled cleanup jobs on the real stack (S3 and DynamoDB of the local runtime).

Their schedules run at real rates (hours) in the test session, so each test calls the service with small
limits and a controllable clock: object ages are moved by the clock, record ages are seeded in the past.
Every job: removes what it should, leaves what it must not, is bounded (limit 2 with 5 candidates), continues
where it stopped, reports zero when run again, files its report, and survives a bad item."""
from __future__ import annotations

import time
import uuid

import boto3
import pytest

from chalicelib import container
from chalicelib.models import ImageAsset, ModelAsset, ModelVersion, Notification, UploadSession
from chalicelib.services.cleanup_service import SCHEDULED_JOBS, CleanupOptions

DAY = 86400
# Large enough that a run is bounded by its limit, not by how much of the session's data it examines.
WIDE = CleanupOptions(scan_budget=1_000_000)


def _bucket(runtime) -> str:
    return runtime.env["VS_BUCKET_MEDIA"]


def _put(runtime, key: str, data: bytes = b"x") -> str:
    boto3.client("s3").put_object(Bucket=_bucket(runtime), Key=key, Body=data)
    return key


def _exists(runtime, key: str) -> bool:
    return container.storage().head(_bucket(runtime), key) is not None


def _stored_report(admin, name: str) -> dict:
    r = admin["api"].get(f"/api/settings/schedules/{name}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _drain(run, limit: int = 100_000, rounds: int = 50) -> list[dict]:
    """Run until a run reaches the end of what it walks (more=False); the reports."""
    reports = []
    for _ in range(rounds):
        reports.append(run(limit))
        if not reports[-1]["more"]:
            return reports
    raise AssertionError(f"no end after {rounds} runs: {reports[-1]}")


# -- cleanup-orphans ---------------------------------------------------------------------------------
def test_orphans_are_deleted_after_the_grace_period_and_nothing_else(runtime, admin):
    now = time.time()
    orphans = [_put(runtime, f"assets/images/{uuid.uuid4().hex}/e1-gone.png") for _ in range(4)]
    orphans.append(_put(runtime, f"derived/versions/{uuid.uuid4().hex}/header.json"))
    image_id, session_id = uuid.uuid4().hex, uuid.uuid4().hex
    referenced = _put(runtime, f"assets/images/{image_id}/e2-kept.png")
    thumb = _put(runtime, f"derived/images/{image_id}/e2-small.webp")
    superseded = _put(runtime, f"assets/images/{image_id}/e1-replaced.png")
    container.catalog().images.save(ImageAsset(image_id, admin["id"], "kept", "ready", referenced, "kept.png", now, now,
                                               thumbnails={"small": {"key": thumb, "mime": "image/webp"}}))
    container.catalog().sessions.create(UploadSession(session_id, admin["id"], "images", "open", now, now + DAY))
    uploading = _put(runtime, f"incoming/{session_id}/0-upload.png")
    system = _put(runtime, f"system/cleanup-test/{uuid.uuid4().hex}.json")
    kept = [referenced, thumb, uploading, system]

    # Today everything is younger than the grace period: nothing is touched.
    young = container.new_cleanup_service(WIDE, clock=lambda: now + 60).cleanup_orphans(1000)
    assert young["young"] >= len(orphans) and all(_exists(runtime, k) for k in orphans + [superseded])

    later = container.new_cleanup_service(WIDE, clock=lambda: now + 2 * DAY)
    first = later.cleanup_orphans(2)
    assert first["count"] == 2 and first["more"] is True and first["cursor"]
    assert _stored_report(admin, "cleanup-orphans") == first
    second = later.cleanup_orphans(2)
    assert second["startAfter"] == first["cursor"] and second["count"] == 2  # continues, not restarts
    _drain(later.cleanup_orphans)
    assert not any(_exists(runtime, k) for k in orphans + [superseded])
    assert all(_exists(runtime, k) for k in kept)
    again = later.cleanup_orphans(1000)
    assert again["count"] == 0 and again["errors"] == 0 and not again["more"]
    assert _stored_report(admin, "cleanup-orphans")["count"] == 0


class RefusingStorage:
    """The real storage, except that the store refuses to delete the keys in ``refused``."""

    def __init__(self, refused: set[str]) -> None:
        self._real, self.refused = container.storage(), refused

    def __getattr__(self, name):
        return getattr(self._real, name)

    def delete_reporting(self, bucket, keys):
        self._real.delete_reporting(bucket, [k for k in keys if k not in self.refused])
        return [k for k in keys if k in self.refused]


def test_orphans_survive_a_key_the_store_refuses(runtime):
    now = time.time()
    keys = [_put(runtime, f"assets/images/{uuid.uuid4().hex}/e1-x.png") for _ in range(3)]
    service = container.new_cleanup_service(WIDE, clock=lambda: now + 2 * DAY, storage=RefusingStorage({keys[1]}))
    reports = _drain(service.cleanup_orphans)
    assert sum(r["errors"] for r in reports) == 1
    assert keys[1] in "".join(sample for r in reports for sample in r["errorSamples"])
    assert [_exists(runtime, k) for k in keys] == [False, True, False]
    container.storage().delete(_bucket(runtime), [keys[1]])


# -- cleanup-removed ---------------------------------------------------------------------------------
def _removed_image(runtime, owner_id: str, decided_at: float) -> tuple[ImageAsset, list[str]]:
    from chalicelib.repositories.moderation import Case, ModerationRepository

    image_id, now = uuid.uuid4().hex, time.time()
    keys = [_put(runtime, f"assets/images/{image_id}/e1-a.png"), _put(runtime, f"derived/images/{image_id}/e1-small.webp")]
    image = ImageAsset(image_id, owner_id, "removed", "ready", keys[0], "a.png", now, now, visibility="public",
                       moderation="removed", thumbnails={"small": {"key": keys[1], "mime": "image/webp"}})
    container.catalog().images.save(image)
    assert ModerationRepository().save_case(Case("image", image_id, owner_id, decided_at - 60, state="removed",
                                                 round=2, decided_by="admin", decided_at=decided_at, note="gone"))
    return image, keys


def _removed_model(runtime, owner_id: str, decided_at: float) -> tuple[ModelAsset, list[str]]:
    from chalicelib.repositories.moderation import Case, ModerationRepository

    model_id, version_id, cover_id, now = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex, time.time()
    keys = [_put(runtime, f"assets/versions/{version_id}/e1-m.safetensors"),
            _put(runtime, f"derived/versions/{version_id}/header.json"),
            _put(runtime, f"assets/images/{cover_id}/e1-cover.png")]
    c = container.catalog()
    c.images.save(ImageAsset(cover_id, owner_id, "cover", "ready", keys[2], "cover.png", now, now,
                             moderation="removed", model_id=model_id, purpose="model-cover"))
    c.versions.save(ModelVersion(version_id, model_id, "1.0", "ready", "m.safetensors", keys[0], now, now,
                                 header_key=keys[1], cover_image_id=cover_id))
    model = ModelAsset(model_id, owner_id, "removed model", "ready", now, now, moderation="removed",
                       primary_version_id=version_id, cover_image_id=cover_id)
    c.models.save(model)
    assert ModerationRepository().save_case(Case("model", model_id, owner_id, decided_at - 60, state="removed",
                                                 round=2, decided_by="admin", decided_at=decided_at, note="gone"))
    return model, keys


def _case(kind: str, asset_id: str):
    from chalicelib.repositories.moderation import ModerationRepository

    return ModerationRepository().case(kind, asset_id)


def test_removed_assets_are_purged_after_retention_and_marked(runtime, admin, make_user):
    now = time.time()
    owner = make_user("CURATOR")
    removed = [_removed_image(runtime, owner["id"], now - 3 * DAY) for _ in range(4)]
    model, model_keys = _removed_model(runtime, owner["id"], now - 3 * DAY)
    recent, recent_keys = _removed_image(runtime, owner["id"], now - 3600)  # within retention (appeal window)
    active_key = _put(runtime, f"assets/images/{uuid.uuid4().hex}/e1-active.png")

    service = container.new_cleanup_service(WIDE, clock=lambda: now)
    first = service.cleanup_removed(2)
    assert first["count"] == 2 and first["more"] is True and first["purgedAssets"] == 2
    assert _stored_report(admin, "cleanup-removed") == first
    second = service.cleanup_removed(2)
    assert second["count"] == 2
    _drain(service.cleanup_removed)
    for image, keys in removed:
        assert not any(_exists(runtime, k) for k in keys)
        assert _case("image", image.id).purged_at
        stored = container.catalog().images.get(image.id)  # the record stays for administrators ...
        assert stored.moderation == "removed" and stored.key == "" and stored.thumbnails == {}  # ... without links
        status = admin["api"].get(f"/api/images/{image.id}/status")
        assert status.status_code == 200 and not status.json()["data"].get("previews")
    assert not any(_exists(runtime, k) for k in model_keys) and _case("model", model.id).purged_at
    assert container.catalog().versions.get(model.primary_version_id).header_key == ""
    assert admin["api"].get(f"/api/models/{model.id}/versions/{model.primary_version_id}/download").status_code == 404
    # Removed an hour ago: kept through the retention period; active assets are not this job's business.
    assert all(_exists(runtime, k) for k in recent_keys) and not _case("image", recent.id).purged_at
    assert _exists(runtime, active_key)
    again = service.cleanup_removed(100)
    assert again["count"] == 0 and again["errors"] == 0 and again["objects"] == 0

    # After the retention period the recent one goes too.
    container.new_cleanup_service(WIDE, clock=lambda: now + 2 * DAY).cleanup_removed(100)
    assert not any(_exists(runtime, k) for k in recent_keys)


def test_replaced_avatars_are_deleted_and_the_current_one_kept(runtime, make_user):
    now = time.time()
    member = make_user()
    avatars = []
    for n in range(2):
        image_id = uuid.uuid4().hex
        key = _put(runtime, f"assets/images/{image_id}/e1-avatar{n}.png")
        container.catalog().images.save(ImageAsset(image_id, member["id"], "avatar", "ready", key, "a.png",
                                                   now - 3 * DAY, now - 3 * DAY, visibility="public", purpose="avatar"))
        avatars.append((image_id, key))
    container.users_repo().set_avatar(member["id"], avatars[1][0])
    service = container.new_cleanup_service(WIDE, clock=lambda: now)
    reports = _drain(service.cleanup_removed)
    assert sum(r["replacedAvatars"] for r in reports) >= 1
    assert container.catalog().images.get(avatars[0][0]) is None and not _exists(runtime, avatars[0][1])
    assert container.catalog().images.get(avatars[1][0]) is not None and _exists(runtime, avatars[1][1])
    assert service.cleanup_removed(100)["count"] == 0


def test_removed_survives_a_failing_purge(runtime, make_user):
    now = time.time()
    owner = make_user("CURATOR")
    broken, broken_keys = _removed_image(runtime, owner["id"], now - 3 * DAY)
    fine, fine_keys = _removed_image(runtime, owner["id"], now - 3 * DAY)

    def purge(kind, asset):
        if asset.id == broken.id:
            raise RuntimeError("storage unavailable")
        return container.asset_service().purge_files(kind, asset)

    reports = _drain(container.new_cleanup_service(WIDE, clock=lambda: now, purge_files=purge).cleanup_removed)
    assert sum(r["errors"] for r in reports) == 1 and broken.id in "".join(s for r in reports for s in r["errorSamples"])
    assert not any(_exists(runtime, k) for k in fine_keys) and _case("image", fine.id).purged_at
    assert all(_exists(runtime, k) for k in broken_keys) and not _case("image", broken.id).purged_at
    container.new_cleanup_service(WIDE, clock=lambda: now).cleanup_removed(100)  # the next run retries it
    assert not any(_exists(runtime, k) for k in broken_keys) and _case("image", broken.id).purged_at


# -- cleanup-expired ---------------------------------------------------------------------------------
def _expired_items(frozen: float, tag: str) -> dict:
    """Expired items of every TTL table, plus live ones that must stay; returns lookups for both."""
    from chalicelib.repositories.community import CommentRepository
    from chalicelib.repositories.generator_state import GeneratorStateRepository
    from chalicelib.repositories.kv import NonceItem, RateLimitItem
    from chalicelib.repositories.notifications import NotificationRepository, OnceItem
    from chalicelib.repositories.search_index import MarkerItem

    nonces, limits = container.nonces_repo(), container.ratelimit_repo()
    expired_nonces = [f"cleanup-{tag}-{n}" for n in range(5)]
    for key in expired_nonces:
        assert nonces.claim(key, frozen - 100)
    assert nonces.claim(f"revoked#cleanup-{tag}", frozen - 100)  # a revoked token's marker, expired with the token
    assert nonces.claim(f"cleanup-{tag}-live", frozen + 3600)
    limits.increment(f"cleanup-{tag}-old", int(frozen - 100))
    limits.increment(f"cleanup-{tag}-live", int(frozen + 3600))
    user = f"cleanup-{tag}"
    GeneratorStateRepository().reserve(user, "2000-01-01", frozen - 100, None, None)  # day counter (TTL) + active
    MarkerItem(f"S#image#cleanup-{tag}", "S", expires_at=int(frozen - 100)).save()
    CommentRepository().claim_double_submit("image", f"cleanup-{tag}", user, "digest", "c1", frozen - 200, frozen - 150)
    NotificationRepository().claim_once(user, f"cleanup-{tag}", frozen - 100)
    NotificationRepository().claim_once(user, f"cleanup-{tag}-live", frozen + 3600)

    def gone(model, *key):
        try:
            model.get(*key, consistent_read=True)
            return False
        except model.DoesNotExist:
            return True

    from chalicelib.repositories.community import CommentItem, thread_key
    from chalicelib.repositories.generator_state import CounterItem

    double = next(i for i in CommentItem.query(thread_key("image", f"cleanup-{tag}")))
    return {
        "expired": [(NonceItem, k) for k in expired_nonces] + [
            (NonceItem, f"revoked#cleanup-{tag}"), (RateLimitItem, f"cleanup-{tag}-old"),
            (CounterItem, f"usage#{user}", "day#2000-01-01"), (MarkerItem, f"S#image#cleanup-{tag}", "S"),
            (CommentItem, double.pk, double.sk), (OnceItem, user, f"ONCE#cleanup-{tag}")],
        "live": [(NonceItem, f"cleanup-{tag}-live"), (RateLimitItem, f"cleanup-{tag}-live"),
                 (CounterItem, f"usage#{user}", "active"), (OnceItem, user, f"ONCE#cleanup-{tag}-live")],
        "gone": gone,
    }


def test_expired_items_and_old_upload_sessions_are_deleted(runtime, admin):
    frozen = time.time()
    items = _expired_items(frozen, uuid.uuid4().hex[:8])
    c = container.catalog()
    old_session, recent_session = uuid.uuid4().hex, uuid.uuid4().hex
    c.sessions.create(UploadSession(old_session, admin["id"], "images", "expired", frozen - 9 * DAY, frozen - 8 * DAY))
    leftover = _put(runtime, f"incoming/{old_session}/0-left.png")
    c.sessions.create(UploadSession(recent_session, admin["id"], "images", "completed", frozen - 2 * DAY, frozen - DAY))

    service = container.new_cleanup_service(WIDE, clock=lambda: frozen)
    first = service.cleanup_expired(2)
    assert first["count"] == 2 and first["more"] is True
    assert _stored_report(admin, "cleanup-expired") == first
    second = service.cleanup_expired(2)
    assert second["count"] == 2 and second["cursor"] != first["cursor"]
    reports = _drain(service.cleanup_expired)
    assert all(items["gone"](*entry) for entry in items["expired"])
    assert not any(items["gone"](*entry) for entry in items["live"])
    assert c.sessions.get(old_session) is None and not _exists(runtime, leftover)
    assert c.sessions.get(recent_session) is not None
    assert reports[-1]["uploadSessions"] >= 1 and reports[-1]["wrapped"]
    again = service.cleanup_expired(100_000)
    assert again["count"] == 0 and again["errors"] == 0
    assert _stored_report(admin, "cleanup-expired")["count"] == 0


def test_expired_cleanup_survives_a_failing_delete_and_spares_renewed_items(runtime):
    from chalicelib.repositories.expiring import EXPIRING_KINDS, ExpiringItemRepository

    frozen, tag = time.time(), uuid.uuid4().hex[:8]
    nonces = container.nonces_repo()
    keys = [f"cleanup-bad-{tag}-{n}" for n in range(3)]
    for key in keys:
        assert nonces.claim(key, frozen - 100)

    class Failing(ExpiringItemRepository):
        def delete_if_expired(self, key, now):
            if key["pk"] == keys[1]:
                raise RuntimeError("throttled")
            return super().delete_if_expired(key, now)

    repos = [Failing(kind) if kind.table == "nonces" else ExpiringItemRepository(kind) for kind in EXPIRING_KINDS]
    reports = _drain(container.new_cleanup_service(WIDE, clock=lambda: frozen, expiring=repos).cleanup_expired)
    assert sum(r["errors"] for r in reports) == 1
    assert [nonces.exists(k) or _nonce_stored(k) for k in keys] == [False, True, False]
    # A conditional delete spares an item renewed after the scan saw it expired.
    renewed = ExpiringItemRepository(EXPIRING_KINDS[0])
    from chalicelib.repositories.kv import NonceItem

    NonceItem(keys[1], expires_at=int(frozen + 3600)).save()
    assert renewed.delete_if_expired({"pk": keys[1]}, frozen) is False and _nonce_stored(keys[1])


def _nonce_stored(key: str) -> bool:
    from chalicelib.repositories.kv import NonceItem

    try:
        NonceItem.get(key, consistent_read=True)
        return True
    except NonceItem.DoesNotExist:
        return False


# -- cleanup-notifications ---------------------------------------------------------------------------
def _notification(user_id: str, category: str, age_days: float, now: float) -> Notification:
    from chalicelib.repositories.notifications import NotificationRepository

    created = now - age_days * DAY
    n = Notification(f"{int(created * 1000):013d}{uuid.uuid4().hex[:8]}", user_id, category, "test", "t", "b", created)
    assert NotificationRepository().add(n, created + 180 * DAY)
    return n


def test_stale_notifications_are_deleted_and_unread_counters_stay_exact(admin, make_user):
    from chalicelib.repositories.notifications import NotificationRepository

    repo, now = NotificationRepository(), time.time()
    member = make_user()
    uid = member["id"]
    read_old = [_notification(uid, "comments", 40 + n, now) for n in range(3)]
    for n in read_old:
        assert repo.mark_read(uid, n)
    unread_ancient = [_notification(uid, "comments", 100 + n, now) for n in range(2)]
    unread_kept = _notification(uid, "comments", 40, now)  # unread and younger than 90 days: kept
    read_recent = _notification(uid, "comments", 1, now)
    assert repo.mark_read(uid, read_recent)
    # Read through the read-all watermark (read flag never set) and old: deleted without touching the count.
    under_mark = [_notification(uid, "likes", 50 + n, now) for n in range(2)]
    repo.mark_all_read(uid, ["likes"], under_mark[0].id)
    fresh_like = _notification(uid, "likes", 0.5, now)
    assert repo.counts(uid)[0]["comments"] == 3 and repo.counts(uid)[0]["likes"] == 1

    service = container.new_cleanup_service(WIDE, clock=lambda: now)
    first = service.cleanup_notifications(2)
    assert first["count"] == 2 and first["more"] is True
    assert _stored_report(admin, "cleanup-notifications") == first
    second = service.cleanup_notifications(2)
    assert second["count"] == 2
    reports = [first, second, *_drain(service.cleanup_notifications)]
    assert sum(r["readDeleted"] for r in reports) == len(read_old) + len(under_mark)
    assert sum(r["unreadDeleted"] for r in reports) == len(unread_ancient)
    remaining = {n.id for n in repo.page(uid, None, 50, repo.counts(uid)[1])[0]}
    assert remaining == {unread_kept.id, read_recent.id, fresh_like.id}
    assert repo.counts(uid)[0] == {"announcements": 0, "moderation": 0, "likes": 1, "comments": 1}
    listed = member["api"].get("/api/notifications").json()["data"]
    assert {i["id"] for i in listed["items"]} == remaining
    again = service.cleanup_notifications(100)
    assert again["count"] == 0 and again["errors"] == 0


def test_notification_cleanup_survives_a_bad_item(make_user):
    from chalicelib.repositories.notifications import NotificationRepository, NotificationRetentionRepository

    repo, now = NotificationRepository(), time.time()
    uid = make_user()["id"]
    olds = [_notification(uid, "announcements", 200 + n, now) for n in range(3)]

    class Failing(NotificationRetentionRepository):
        def delete_unread(self, n):
            if n.id == olds[1].id:
                raise RuntimeError("throttled")
            return super().delete_unread(n)

    reports = _drain(container.new_cleanup_service(WIDE, clock=lambda: now,
                                                   notification_retention=Failing()).cleanup_notifications)
    assert sum(r["errors"] for r in reports) == 1
    remaining = {n.id for n in repo.page(uid, None, 50, repo.counts(uid)[1])[0]}
    assert remaining == {olds[1].id} and repo.counts(uid)[0]["announcements"] == 1


# -- the handlers and the system view -----------------------------------------------------------------
@pytest.mark.parametrize("name,module", [("cleanup-orphans", "orphans"), ("cleanup-removed", "removed"),
                                         ("cleanup-expired", "expired"),
                                         ("cleanup-notifications", "notifications")])
def test_handlers_run_the_jobs_and_file_their_reports(admin, name, module):
    import importlib

    from infra.local.lambda_runtime import LambdaContext, scheduled_event

    handler = importlib.import_module(f"functions.cleanup.{module}")
    report = handler.handler(scheduled_event(f"arn:aws:events:us-east-1:000000000000:rule/{name}", "us-east-1"),
                             LambdaContext(name))
    assert report["limit"] == handler.BATCH_LIMIT and report["errors"] == 0
    assert _stored_report(admin, name) == report
    last = {r["name"]: r for r in container.cleanup_service().last_reports()}
    assert list(last) == list(SCHEDULED_JOBS)
    assert last[name] == {"name": name, "ranAt": report["ranAt"], "report": report}
