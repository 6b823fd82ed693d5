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

    return Storage(session(), config().s3_addressing_style)


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
    return SettingsService(settings_repo(), cfg.settings_cache_seconds, cfg.registration_default)


@_singleton
def auth_service():
    from chalicelib.services.auth_service import AuthService
    from chalicelib.services.rate_limiter import RateLimiter

    cfg = config()
    return AuthService(
        users_repo(), nonces_repo(), settings_service(), RateLimiter(ratelimit_repo()),
        jwt_secret=lambda: cfg.jwt_secret, token_ttl=cfg.token_ttl_seconds,
        login_limit=cfg.login_attempts_per_window, login_window=cfg.login_window_seconds,
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
                         refresh_window=window)


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
    from chalicelib.services.safety_service import SafetyService

    return SafetyService(settings_repo(), lambda: ingest_queue().send({"task": "recompute-adult"}))


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
    from chalicelib.services.generator_service import GeneratorService

    cfg = config()
    return GeneratorService(
        jobs_repo(), agents_repo(), nonces_repo(), dispatch_queue(), orchestrator(), settings_service(),
        callback_secret=lambda: cfg.callback_secret, public_url=lambda: cfg.public_url,
        callback_ttl=cfg.callback_ttl_seconds, job_timeout=cfg.job_timeout_seconds,
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
