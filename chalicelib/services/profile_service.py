"""Public profiles: who someone is and what of theirs the viewer may see.

Everything on a profile goes through the same rules as the lists (the original leaked adult, private
and flagged work here): the first pages of models, images and galleries are the search service's
``curator=<id>`` lists, and the counts are the search index's per-owner counters summed over the
audiences this viewer may read (public safe; public adult if allowed; hidden only for the owner and
administrators). The cursors continue in ``/api/models``, ``/api/images`` and ``/api/galleries`` with
``curator=<id>``. Rank is viewer-independent (the ranking service).
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import NotFound
from chalicelib.models import Role, User
from chalicelib.services.gallery_service import ListQuery, valid_id
from chalicelib.services.search_service import SearchQuery, audiences_for
from chalicelib.services.visibility import can_view

SHOWN = 12  # items per kind on the profile page


@dataclass
class Profile:
    user: User
    avatar: dict | None  # thumbnail URLs of the avatar, None when there is none the viewer may see
    rank: dict | None
    stats: dict
    models: object  # catalog_service.ListedPage
    images: object  # catalog_service.ListedPage
    galleries: tuple[list, str | None]  # (GalleryView list, cursor)


class ProfileService:
    def __init__(self, users, images, catalog, galleries, index_counts, rank_of, received_likes) -> None:
        self._users = users
        self._images = images
        self._catalog = catalog  # () -> catalog service (searches, preview URLs)
        self._galleries = galleries  # () -> gallery service
        self._index_counts = index_counts  # (kind, audiences, terms) -> {term: n}
        self._rank_of = rank_of  # (user id) -> dict
        self._received_likes = received_likes  # (user id) -> int

    def profile(self, viewer: User | None, user_id: str, shown: int = SHOWN) -> Profile:
        user = self._users.get(user_id) if valid_id(user_id) else None
        admin = viewer is not None and viewer.role >= Role.ADMIN
        # Deactivated accounts (including those being deleted) have no public face.
        if user is None or (not user.is_active and not admin):
            raise NotFound("User not found")
        catalog = self._catalog()
        avatar = self._images.get(user.avatar_image_id) if user.avatar_image_id else None
        avatar_urls = catalog.preview_urls(avatar) if avatar is not None and can_view(viewer, avatar) else None
        models = catalog.search(viewer, SearchQuery(kind="model", curator_id=user.id), {}, None, shown)
        images = catalog.search(viewer, SearchQuery(kind="image", curator_id=user.id), {}, None, shown)
        galleries = self._galleries().list(viewer, ListQuery(curator_id=user.id), None, shown)
        return Profile(user, avatar_urls or None, self._rank_of(user.id), self._stats(viewer, user), models, images,
                       galleries)

    def _stats(self, viewer: User | None, user: User) -> dict:
        term = f"O:{user.id}"
        counts = {}
        for kind in ("model", "image", "gallery"):
            audiences = audiences_for(viewer, SearchQuery(kind=kind, curator_id=user.id))
            counts[kind] = self._index_counts(kind, audiences, [term]).get(term, 0)
        return {"modelCount": counts["model"], "imageCount": counts["image"], "galleryCount": counts["gallery"],
                "receivedLikeCount": self._received_likes(user.id)}
