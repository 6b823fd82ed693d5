"""Composition root: builds clients, repositories and services lazily, once per process.

Handlers ask this module for a service; nothing else constructs boto3 clients. Tests and the
local runtime may replace any entry with :func:`override` or drop everything with :func:`reset`.
"""
from __future__ import annotations

import threading
from functools import wraps

import boto3

from chalicelib.config import Config

_lock = threading.RLock()
_instances: dict[str, object] = {}


def _singleton(fn):
    @wraps(fn)
    def get():
        name = fn.__name__
        if name not in _instances:
            with _lock:
                if name not in _instances:
                    _instances[name] = fn()
        return _instances[name]

    return get


def override(name: str, value: object) -> None:
    with _lock:
        _instances[name] = value


def reset() -> None:
    with _lock:
        _instances.clear()


@_singleton
def config() -> Config:
    return Config()


@_singleton
def session() -> boto3.session.Session:
    return boto3.session.Session()


# -- gateways ---------------------------------------------------------------------------
@_singleton
def storage():
    from chalicelib.storage import Storage

    return Storage(session(), config().s3_addressing_style, config().s3_credentials)


@_singleton
def dispatch_queue():
    from chalicelib.messaging import DispatchQueue

    return DispatchQueue(session(), config().queue_url("dispatch"))


@_singleton
def orchestrator():
    from chalicelib.messaging import Orchestrator

    return Orchestrator(session(), config().state_machine_arn("generation"))


# -- repositories -----------------------------------------------------------------------
@_singleton
def users_repo():
    from chalicelib.repositories.users import UserRepository

    return UserRepository()


@_singleton
def settings_repo():
    from chalicelib.repositories.kv import SettingsRepository

    return SettingsRepository()


@_singleton
def nonces_repo():
    from chalicelib.repositories.kv import NonceRepository

    return NonceRepository()


@_singleton
def ratelimit_repo():
    from chalicelib.repositories.kv import RateLimitRepository

    return RateLimitRepository()


@_singleton
def ingest_queue():
    from chalicelib.messaging import IngestQueue

    return IngestQueue(session(), config().queue_url("ingest"))


@_singleton
def catalog():
    """The catalog repositories, as one bundle: models, versions, images, galleries, entries, hashes, sessions."""
    from types import SimpleNamespace

    from chalicelib.repositories import catalog as c

    return SimpleNamespace(models=c.ModelRepository(), versions=c.VersionRepository(), images=c.ImageRepository(),
                           galleries=c.GalleryRepository(), entries=c.GalleryEntryRepository(),
                           hashes=c.HashRepository(), sessions=c.UploadSessionRepository())


@_singleton
def search_index():
    from chalicelib.repositories.search_index import SearchIndexRepository

    return SearchIndexRepository()


@_singleton
def jobs_repo():
    from chalicelib.repositories.jobs import JobRepository

    return JobRepository()


@_singleton
def agents_repo():
    from chalicelib.repositories.agents import AgentRepository

    return AgentRepository()


# -- services ---------------------------------------------------------------------------
@_singleton
def settings_service():
    from chalicelib.services.settings_service import SettingsService

    cfg = config()
    return SettingsService(settings_repo(), cfg.settings_cache_seconds, cfg.registration_default,
                           audit=lambda: audit_service())


@_singleton
def auth_service():
    from chalicelib.services.auth_service import AuthService
    from chalicelib.services.rate_limiter import RateLimiter

    cfg = config()
    return AuthService(
        users_repo(), nonces_repo(), settings_service(), RateLimiter(ratelimit_repo()),
        jwt_secret=lambda: cfg.jwt_secret, token_ttl=cfg.token_ttl_seconds,
        login_limit=cfg.login_attempts_per_window, login_window=cfg.login_window_seconds,
        registrations_per_ip=cfg.registrations_per_ip, registration_window=cfg.registration_window_seconds,
        password_changes=cfg.password_changes_per_user,
        on_renamed=lambda user_id: ingest_queue().send({"task": "reindex-owner", "ownerId": user_id}),
    )


@_singleton
def upload_service():
    from chalicelib.services.upload_service import UploadService

    cfg, c = config(), catalog()
    return UploadService(c.sessions, c.models, c.versions, c.images, c.galleries, c.entries, storage(),
                         cfg.bucket("media"), cfg.upload_url_ttl_seconds, reports=settings_service(),
                         indexer=search_indexer())


@_singleton
def catalog_service():
    from chalicelib.services.catalog_service import CatalogService

    cfg, c = config(), catalog()
    return CatalogService(c.models, c.versions, c.images, c.hashes, storage(), cfg.bucket("media"),
                          cfg.download_url_ttl_seconds, search=search_service(), users=users_repo(),
                          indexer=search_indexer(), galleries=lambda: gallery_service(),
                          metadata=lambda: metadata_service())


@_singleton
def asset_service():
    from chalicelib.services.asset_service import AssetService

    cfg, c = config(), catalog()
    return AssetService(c.models, c.versions, c.images, c.hashes, users_repo(), storage(), cfg.bucket("media"),
                        search_indexer(), safety_service(), galleries=lambda: gallery_service(),
                        metadata=lambda: metadata_service())


@_singleton
def search_indexer():
    from chalicelib.services.search_service import SearchIndexer

    c, window = catalog(), config().search_refresh_delay_seconds
    return SearchIndexer(search_index(), c.models, c.images, c.galleries, users_repo(),
                         refresh_later=lambda kind, asset_id: ingest_queue().send(
                             {"task": "reindex", "kind": kind, "id": asset_id}, delay_seconds=window),
                         refresh_window=window,
                         on_owner_changed=lambda owner_id: ranking_service().contributions_changed(owner_id))


@_singleton
def search_service():
    from chalicelib.services.search_service import SearchService

    c = catalog()
    return SearchService(search_index(), c.models, c.images, c.galleries, users_repo())


@_singleton
def gallery_service():
    from chalicelib.services.gallery_service import GalleryService

    c = catalog()
    return GalleryService(c.galleries, c.entries, c.models, c.images, users_repo(), catalog_service(),
                          search_indexer(), search_service())


@_singleton
def safety_service():
    from chalicelib.repositories.safety import AssetPages
    from chalicelib.services.safety_service import SafetyService

    c = catalog()
    # Late-bound collaborators: resolved per call, so tests may override them.
    return SafetyService(settings_repo(), AssetPages({"image": c.images, "model": c.models}), c,
                         search_indexer(),
                         queue=lambda message, delay_seconds=0: ingest_queue().send(message, delay_seconds),
                         moderation=lambda: moderation_service(), audit=lambda: audit_service())


@_singleton
def storage_events_service():
    from chalicelib.services.storage_events import StorageEventsService

    return StorageEventsService(ingest_queue(), lambda: config().storage_events_secret)


@_singleton
def ingest_pipeline():
    # Only the ingest function imports this (functions/ is not part of the API package).
    from functions.ingest.pipeline import IngestPipeline

    cfg, c = config(), catalog()
    return IngestPipeline(storage(), cfg.bucket("media"), c.sessions, c.models, c.versions, c.images, c.galleries,
                          c.hashes, users_repo(), safety_service(), search_indexer())


@_singleton
def generator_service():
    from chalicelib.agent_push import AgentPusher
    from chalicelib.services.generator_service import GeneratorService

    cfg = config()
    return GeneratorService(
        jobs_repo(), agents_repo(), nonces_repo(), dispatch_queue(), orchestrator(), settings_service(),
        callback_secret=lambda: cfg.callback_secret, public_url=lambda: cfg.public_url,
        callback_ttl=cfg.callback_ttl_seconds, job_timeout=cfg.job_timeout_seconds,
        poll_wait=cfg.agent_poll_wait_seconds, generation=generation_service, uploads=upload_service,
        queue_switch=generator_settings_service, pusher=AgentPusher(), audit=audit_service(),
    )


@_singleton
def generation_service():
    from chalicelib.services.generation_service import GenerationService

    cfg = config()
    return GenerationService(
        jobs_repo(), generator_service(), generator_settings_service(), catalog(), users_repo(), storage(),
        cfg.bucket("media"), cfg.bucket("base-models"), gallery_service(), asset_service(), catalog_service(),
        search_indexer(), audit_service(), output_url_ttl=cfg.callback_ttl_seconds,
        job_timeout=cfg.job_timeout_seconds, heartbeat_seconds=cfg.generator_heartbeat_seconds,
    )


@_singleton
def health_service():
    from chalicelib.services.health_service import HealthService

    cfg = config()
    probes = {
        "storage": lambda: storage().bucket_reachable(cfg.bucket("media")),
        "database": lambda: settings_repo().ping(),
        "queue": lambda: dispatch_queue().reachable(),
    }
    return HealthService(probes, lambda: agents_repo().last_presence())


@_singleton
def metadata_service():
    from chalicelib.repositories.metadata import MetadataFieldRepository
    from chalicelib.services.metadata_service import MetadataService

    # Late-bound: the search indexer is resolved per call, so tests may override it.
    return MetadataService(MetadataFieldRepository(), lambda *a, **k: search_indexer().facet_counts(*a, **k),
                           cache_seconds=config().settings_cache_seconds)


@_singleton
def tag_service():
    from chalicelib.repositories.metadata import TagRepository
    from chalicelib.services.tag_service import TagService

    return TagService(TagRepository(), lambda *a, **k: search_indexer().facet_counts(*a, **k))


# -- community and governance -----------------------------------------------------------
@_singleton
def notification_service():
    from chalicelib.repositories.notifications import NotificationRepository
    from chalicelib.services.notification_service import NotificationService

    return NotificationService(NotificationRepository(), users_repo(), lambda message: ingest_queue().send(message),
                               audit=lambda: audit_service())


@_singleton
def audit_service():
    from chalicelib.repositories.audit import AuditRepository
    from chalicelib.services.audit_service import AuditService

    return AuditService(AuditRepository(), users_repo())


# -- people: profiles, account administration, curator applications ---------------------------
@_singleton
def accounts_repo():
    from chalicelib.repositories.users import AccountRepository

    return AccountRepository()


@_singleton
def applications_repo():
    from chalicelib.repositories.applications import ApplicationRepository

    return ApplicationRepository()


@_singleton
def application_service():
    from chalicelib.services.application_service import ApplicationService

    return ApplicationService(applications_repo(), users_repo(), notifications=lambda: notification_service(),
                              audit=lambda: audit_service())


@_singleton
def user_admin_service():
    from chalicelib.repositories.notifications import NotificationRepository
    from chalicelib.services.user_admin_service import UserAdminService

    cfg, c = config(), catalog()
    return UserAdminService(
        accounts_repo(), c.models, c.images, c.galleries, applications_repo(), NotificationRepository(),
        assets=lambda: asset_service(), gallery_service=lambda: gallery_service(),
        delete_objects=lambda keys: storage().delete(cfg.bucket("media"), keys) if keys else None,
        enqueue=lambda message, delay: ingest_queue().send(message, delay_seconds=delay),
        on_renamed=lambda user_id: ingest_queue().send({"task": "reindex-owner", "ownerId": user_id}),
        audit=lambda: audit_service())


@_singleton
def profile_service():
    from chalicelib.services.profile_service import ProfileService

    # Rank and received likes come from the ranking and community services (resolved per call).
    return ProfileService(users_repo(), catalog().images, lambda: catalog_service(), lambda: gallery_service(),
                          lambda kind, audiences, terms: search_index().counts(kind, audiences, terms),
                          rank_of=lambda user_id: ranking_service().rank_of(user_id),
                          received_likes=lambda user_id: community_service().received_likes(user_id))


@_singleton
def community_service():
    from chalicelib.repositories.community import CommentRepository, LikeRepository
    from chalicelib.services.community_service import CommunityService
    from chalicelib.services.rate_limiter import RateLimiter

    c = catalog()
    return CommunityService(CommentRepository(), LikeRepository(), c.models, c.images, users_repo(),
                            RateLimiter(ratelimit_repo()), notifications=lambda: notification_service(),
                            audit=lambda: audit_service(), indexer=lambda: search_indexer(),
                            previews=lambda image: catalog_service().preview_urls(image),
                            comment_limit=config().comments_per_minute)


@_singleton
def ranking_service():
    from chalicelib.repositories.rankings import RankingRepository
    from chalicelib.services.ranking_service import RankingService
    from chalicelib.services.visibility import can_view

    cfg = config()

    def avatars(viewer, users):
        images = catalog().images.get_many(u.avatar_image_id for u in users if u.avatar_image_id)
        return {u.id: catalog_service().preview_urls(images[u.avatar_image_id]) for u in users
                if u.avatar_image_id in images and can_view(viewer, images[u.avatar_image_id])}

    return RankingService(RankingRepository(), settings_repo(), search_index(), users_repo(),
                          queue=lambda message, delay: ingest_queue().send(message, delay_seconds=delay),
                          audit=lambda: audit_service(), avatars=avatars,
                          refresh_window=cfg.search_refresh_delay_seconds, cache_seconds=cfg.settings_cache_seconds)


@_singleton
def stats_service():
    from chalicelib.services.stats_service import StatsService

    return StatsService(search_index())


@_singleton
def moderation_service():
    from chalicelib.repositories.moderation import ModerationRepository
    from chalicelib.services.moderation_service import ModerationService
    from chalicelib.services.rate_limiter import RateLimiter

    c = catalog()
    return ModerationService(
        ModerationRepository(), c.models, c.versions, c.images, users_repo(), settings_repo(),
        RateLimiter(ratelimit_repo()), search_indexer(), notifications=lambda: notification_service(),
        audit=lambda: audit_service(), galleries=lambda: gallery_service(), catalog=lambda: catalog_service(),
        assets=lambda: asset_service(), queue_task=lambda message: ingest_queue().send(message))


# -- generation: settings, queue switch, blocks and usage limits ---------------------------
@_singleton
def generator_state_repo():
    from chalicelib.repositories.generator_state import GeneratorStateRepository

    return GeneratorStateRepository()


@_singleton
def generator_settings_service():
    from chalicelib.services.generator_settings_service import GeneratorSettingsService

    cfg, c = config(), catalog()
    # The base-model bucket is resolved per call: a deployment without one still serves catalog entries.
    return GeneratorSettingsService(settings_repo(), generator_state_repo(), users_repo(), c.models, c.versions,
                                    storage(), bucket=lambda logical: cfg.bucket(logical),
                                    notifications=lambda: notification_service(), audit=lambda: audit_service(),
                                    cache_seconds=cfg.settings_cache_seconds)


# -- operations: the admin system view --------------------------------------------------------
@_singleton
def queue_admin():
    from chalicelib.messaging import QueueAdmin

    return QueueAdmin(session())


@_singleton
def system_service():
    from chalicelib import observability
    from chalicelib.services.system_service import SystemService

    # Late-bound: the scheduled-run reports belong to the cleanup service (resolved per call).
    return SystemService(lambda: config().queue_urls, queue_admin(),
                         reports=lambda: cleanup_service().last_reports(),
                         health=lambda: health_service().report(),
                         audit=lambda: audit_service(),
                         record_run=lambda name, report: settings_service().record_schedule_run(name, report),
                         metrics=observability.get_metrics("ops-metrics"))


# -- scheduled cleanup jobs ---------------------------------------------------------------------
@_singleton
def cleanup_service():
    return new_cleanup_service()


def new_cleanup_service(options=None, clock=None, **collaborators):
    """A cleanup service; ``options`` (CleanupOptions), ``clock`` and any constructor argument in
    ``collaborators`` replace the configured ones (tests, one-off runs). The singleton above is the configured one."""
    import time

    from chalicelib.repositories.catalog import CleanupCatalogRepository
    from chalicelib.repositories.expiring import EXPIRING_KINDS, ExpiringItemRepository
    from chalicelib.repositories.moderation import RemovedCaseRepository
    from chalicelib.repositories.notifications import NotificationRepository, NotificationRetentionRepository
    from chalicelib.services.cleanup_service import CleanupService

    cfg = config()
    parts = dict(
        storage=storage(), bucket=cfg.bucket("media"), catalog=catalog(), cleanup_catalog=CleanupCatalogRepository(),
        users=users_repo(), removed_cases=RemovedCaseRepository(),
        purge_files=lambda kind, asset: asset_service().purge_files(kind, asset),
        expiring=[ExpiringItemRepository(kind) for kind in EXPIRING_KINDS],
        notifications=NotificationRepository(), notification_retention=NotificationRetentionRepository(),
        state=settings_repo(), reports=settings_service())
    parts.update(collaborators)
    return CleanupService(**parts, options=options or cfg.cleanup_options, clock=clock or time.time)
