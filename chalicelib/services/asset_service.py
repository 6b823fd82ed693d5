"""Catalog writes: editing and deleting models, versions and images, and the bulk forms of those.

Every write checks ownership on the server (owner or administrator), validates everything before it
writes anything, keeps the search index in step, and removes storage only after the records are
gone (a failed cleanup leaves unreachable objects for the sweeper, never a record without its file).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from chalicelib.errors import Conflict, Forbidden, ItemsRejected, NotFound, ValidationError
from chalicelib.models import AssetStatus, ImageAsset, ModelAsset, ModelVersion, Role, User
from chalicelib.services.catalog_service import hash_lookup_values
from chalicelib.services.safety_service import model_is_adult
from chalicelib.services.text import tag_slug
from chalicelib.services.visibility import can_manage, can_view, transfer_target

log = logging.getLogger(__name__)

MAX_BULK = 100


@dataclass
class ModelChanges:
    title: str | None = None
    description: str | None = None
    trigger_words: list[str] | None = None
    tags: list[str] | None = None
    visibility: str | None = None
    owner_id: str | None = None
    metadata: dict | None = None  # slug -> value (None removes the value)


@dataclass
class ImageChanges:
    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    visibility: str | None = None
    owner_id: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None


def clean_tags(tags: list[str]) -> list[str]:
    slugs = [tag_slug(t) for t in tags]
    if any(not slug for slug in slugs):
        raise ValidationError("Tags need at least one letter or digit", field="tags")
    return list(dict.fromkeys(slugs))  # "Blue Hair" and "blue-hair" are one tag


class AssetService:
    def __init__(self, models, versions, images, hashes, users, storage, bucket: str, indexer, safety,
                 galleries, metadata, clock=time.time) -> None:
        self._models = models
        self._versions = versions
        self._images = images
        self._hashes = hashes
        self._users = users
        self._storage = storage
        self._bucket = bucket
        self._indexer = indexer
        self._safety = safety
        self._galleries = galleries  # () -> gallery service (unlinking deleted assets)
        self._metadata = metadata  # () -> metadata service (value validation)
        self._clock = clock

    # -- lookups ----------------------------------------------------------------------------
    @staticmethod
    def _managed(viewer: User, asset, noun: str):
        """The asset if the caller may change it. What the caller may see is refused (403); what it may
        not see does not exist for it (404)."""
        if asset is None or (asset.moderation == "removed" and viewer.role < Role.ADMIN):
            raise NotFound(f"{noun} not found")
        if not can_manage(viewer, asset.owner_id):
            if can_view(viewer, asset):
                raise Forbidden(f"Only the owner or an administrator may change this {noun.lower()}")
            raise NotFound(f"{noun} not found")
        return asset

    def _managed_model(self, viewer: User, model_id: str) -> ModelAsset:
        return self._managed(viewer, self._models.get(model_id), "Model")

    def _managed_image(self, viewer: User, image_id: str) -> ImageAsset:
        image = self._images.get(image_id)
        # Previews, avatars and covers belong to something else and are changed through it.
        return self._managed(viewer, image if image is None or image.purpose == "image" else None, "Image")

    def _new_owner(self, viewer: User, owner_id: str | None, current: str) -> str | None:
        if owner_id is None or owner_id == current:
            return None
        return transfer_target(viewer, lambda: self._users.get(owner_id))

    def _check_publish(self, viewer: User, asset, visibility: str | None) -> None:
        # Approval restores the visibility the asset had when it was hidden, so it stays fixed meanwhile.
        if (visibility is not None and visibility != asset.visibility and asset.moderation != "active"
                and viewer.role < Role.ADMIN):
            raise Forbidden("The visibility of an asset under review cannot change until it is approved",
                            field="visibility")

    @staticmethod
    def _check_deletable(viewer: User, asset, noun: str) -> None:
        # The evidence stays until an administrator has decided.
        if asset.moderation == "flagged" and viewer.role < Role.ADMIN:
            raise Conflict(f"This {noun} is under review and cannot be deleted until an administrator has decided")

    # -- models -----------------------------------------------------------------------------
    def update_model(self, viewer: User, model_id: str, changes: ModelChanges) -> ModelAsset:
        model = self._managed_model(viewer, model_id)
        self._check_publish(viewer, model, changes.visibility)
        new_owner = self._new_owner(viewer, changes.owner_id, model.owner_id)
        values: dict = {}
        if changes.metadata is not None:
            values["metadata_values"] = self._metadata().merge_values(model.metadata_values, changes.metadata)
        for name in ("title", "description", "visibility"):
            if getattr(changes, name) is not None:
                values[name] = getattr(changes, name)
        if changes.trigger_words is not None:
            values["trigger_words"] = list(dict.fromkeys(w for w in changes.trigger_words if w))
        if changes.tags is not None:
            values["tags"] = clean_tags(changes.tags)
        if new_owner:
            values["owner_id"] = new_owner
        if not values:
            return model
        for name, value in values.items():
            setattr(model, name, value)
        cover = self._images.get(model.cover_image_id) if model.cover_image_id else None
        versions = self._versions.for_model(model.id)
        # Edits are screened like uploads: adult is derived, illegal terms send the model to review.
        verdict = self._safety.rules().judge_model(model, versions, cover)
        values["is_adult"] = verdict.adult
        values["updated_at"] = self._clock()
        if not self._models.update(model.id, **values):
            raise NotFound("Model not found")
        if verdict.reasons:
            self._safety.flag("model", model.id, verdict.reasons)
        if "visibility" in values and cover is not None:
            # The preview is as visible as its model.
            self._images.update(cover.id, visibility=values["visibility"])
        if new_owner:
            for version in versions:
                if version.cover_image_id:
                    self._images.update(version.cover_image_id, owner_id=new_owner)
        self._indexer.refresh_or_queue("model", model.id)
        return self._models.get(model.id)

    def delete_model(self, viewer: User, model_id: str) -> None:
        model = self._managed_model(viewer, model_id)
        self._check_deletable(viewer, model, "model")
        self._remove_model(model)

    def _remove_model(self, model: ModelAsset) -> None:
        # Out of every list first; then the children, the record, and last the objects.
        self._models.update(model.id, moderation="removed", updated_at=self._clock())
        self._indexer.refresh_or_queue("model", model.id)
        keys: list[str] = []
        for version in self._versions.for_model(model.id):
            keys += self._remove_version_records(version)
        self._galleries().unlink_everywhere("model", model.id)
        self._models.delete(model.id)
        self._indexer.refresh_or_queue("model", model.id)
        self._delete_objects(keys)

    def _remove_version_records(self, version: ModelVersion) -> list[str]:
        keys = [k for k in (version.key, version.header_key) if k]
        self._hashes.remove_version(hash_lookup_values(version.hashes or {}, version.filename), version.id)
        if version.cover_image_id:
            keys += self._remove_image_records(version.cover_image_id)
        self._versions.delete(version.id)
        return keys

    def _remove_image_records(self, image_id: str) -> list[str]:
        image = self._images.get(image_id)
        if image is None:
            return []
        self._galleries().unlink_everywhere("image", image.id)
        self._images.delete(image.id)
        self._indexer.refresh_or_queue("image", image.id)
        return _image_keys(image)

    def purge_files(self, kind: str, asset: ModelAsset | ImageAsset) -> int:
        """Delete the stored objects of an asset removed by moderation, keeping its records (the
        moderation decision stays reviewable). Idempotent; returns how many keys were deleted."""
        if kind == "image":
            keys = _image_keys(asset)
        else:
            versions = self._versions.for_model(asset.id)
            keys = [k for v in versions for k in (v.key, v.header_key) if k]
            cover_ids = {asset.cover_image_id} | {v.cover_image_id for v in versions}
            for image in self._images.get_many({i for i in cover_ids if i}).values():
                keys += _image_keys(image)
        keys = list(dict.fromkeys(keys))
        if keys:
            self._storage.delete(self._bucket, keys)  # raises: the task is retried, deletes are idempotent
        self._forget_files(kind, asset)
        return len(keys)

    def _forget_files(self, kind: str, asset: ModelAsset | ImageAsset) -> None:
        """Clear the purged files' keys from the records that stay (the removed asset, its versions and
        previews), so no view presents a link to an object that is gone (admins still see removed assets)."""
        image_ids = {asset.id} if kind == "image" else {asset.cover_image_id}
        if kind == "model":
            for version in self._versions.for_model(asset.id):
                image_ids.add(version.cover_image_id)
                if version.key or version.header_key:
                    self._versions.update(version.id, key="", header_key="")
        for image in self._images.get_many({i for i in image_ids if i}).values():
            if image.key or image.thumbnails or (image.meta or {}).get("rawKey"):
                meta = {k: v for k, v in (image.meta or {}).items() if k != "rawKey"}
                self._images.update(image.id, key="", thumbnails={}, meta=meta)

    def _delete_objects(self, keys: list[str]) -> None:
        try:
            self._storage.delete(self._bucket, keys)
        except Exception:
            log.exception("storage cleanup failed; the sweeper removes unreferenced objects", extra={"keys": len(keys)})

    # -- versions ---------------------------------------------------------------------------
    def _managed_version(self, viewer: User, model_id: str, version_id: str) -> tuple[ModelAsset, ModelVersion]:
        model = self._managed_model(viewer, model_id)
        version = self._versions.get(version_id)
        if version is None or version.model_id != model.id:
            raise NotFound("Version not found")
        return model, version

    def rename_version(self, viewer: User, model_id: str, version_id: str, name: str) -> ModelVersion:
        model, version = self._managed_version(viewer, model_id, version_id)
        taken = {v.name.casefold() for v in self._versions.for_model(model.id) if v.id != version.id}
        if name.casefold() in taken:
            raise Conflict("Another version of this model already has that name", field="name")
        self._versions.update(version.id, name=name, updated_at=self._clock())
        return self._versions.get(version.id)

    def promote_version(self, viewer: User, model_id: str, version_id: str) -> ModelAsset:
        model, version = self._managed_version(viewer, model_id, version_id)
        if version.status != AssetStatus.READY:
            raise Conflict("Only a processed version can become the primary one")
        if model.primary_version_id == version.id:
            return model
        cover = self._images.get(version.cover_image_id) if version.cover_image_id else None
        adult = model_is_adult(self._safety.adult_keywords(), model, self._versions.for_model(model.id), cover)
        self._models.update(model.id, primary_version_id=version.id, cover_image_id=version.cover_image_id,
                            base_model=(version.metadata or {}).get("baseModel"), is_adult=adult,
                            updated_at=self._clock())
        self._indexer.refresh_or_queue("model", model.id)
        return self._models.get(model.id)

    def delete_version(self, viewer: User, model_id: str, version_id: str) -> None:
        model, version = self._managed_version(viewer, model_id, version_id)
        if version.id == model.primary_version_id:
            raise Conflict("The primary version cannot be deleted; promote another version first")
        keys = self._remove_version_records(version)
        cover = self._images.get(model.cover_image_id) if model.cover_image_id else None
        adult = model_is_adult(self._safety.adult_keywords(), model, self._versions.for_model(model.id), cover)
        self._models.update(model.id, is_adult=adult, updated_at=self._clock())
        self._indexer.refresh_or_queue("model", model.id)
        self._delete_objects(keys)

    # -- images -----------------------------------------------------------------------------
    def update_image(self, viewer: User, image_id: str, changes: ImageChanges) -> ImageAsset:
        image = self._managed_image(viewer, image_id)
        self._check_publish(viewer, image, changes.visibility)
        new_owner = self._new_owner(viewer, changes.owner_id, image.owner_id)
        values: dict = {}
        for name in ("title", "description", "visibility"):
            if getattr(changes, name) is not None:
                values[name] = getattr(changes, name)
        if changes.tags is not None:
            values["tags"] = clean_tags(changes.tags)
        if changes.prompt is not None or changes.negative_prompt is not None:
            meta = dict(image.meta or {})
            if changes.prompt is not None:
                meta["prompt"] = changes.prompt
            if changes.negative_prompt is not None:
                meta["negative_prompt"] = changes.negative_prompt
            values["meta"] = meta
        if new_owner:
            values["owner_id"] = new_owner
        if not values:
            return image
        verdict = self._safety.rules().judge_image(replace(image, **values))
        values["is_adult"] = verdict.adult
        values["updated_at"] = self._clock()
        if not self._images.update(image.id, **values):
            raise NotFound("Image not found")
        if verdict.reasons:
            self._safety.flag("image", image.id, verdict.reasons)
        self._indexer.refresh_or_queue("image", image.id)
        return self._images.get(image.id)

    def delete_image(self, viewer: User, image_id: str) -> None:
        image = self._managed_image(viewer, image_id)
        self._check_deletable(viewer, image, "image")
        self._delete_objects(self._remove_image_records(image.id))

    # -- bulk -------------------------------------------------------------------------------
    def _check_all(self, viewer: User, kind: str, ids: list[str]) -> list:
        """Every item resolved and checked before anything is written; one report for all failures."""
        if not 1 <= len(ids) <= MAX_BULK:
            raise ValidationError(f"Send between 1 and {MAX_BULK} ids", field="ids")
        lookup = self._managed_model if kind == "model" else self._managed_image
        found, problems = [], []
        for n, asset_id in enumerate(dict.fromkeys(ids)):
            try:
                found.append(lookup(viewer, asset_id))
            except (NotFound, Forbidden) as e:
                problems.append({"code": e.code, "field": f"ids[{n}]", "message": f"{asset_id}: {e.message}"})
        if problems:
            raise ItemsRejected(f"{len(problems)} of {len(ids)} items cannot be changed; nothing was changed", problems)
        return found

    def bulk_delete(self, viewer: User, kind: str, ids: list[str]) -> list[str]:
        assets = self._check_all(viewer, kind, ids)
        noun = "model" if kind == "model" else "image"
        problems = []
        for n, asset in enumerate(assets):
            try:
                self._check_deletable(viewer, asset, noun)
            except Conflict as e:
                problems.append({"code": e.code, "field": f"ids[{n}]", "message": f"{asset.id}: {e.message}"})
        if problems:
            raise ItemsRejected(f"{len(problems)} of {len(ids)} items cannot be deleted; nothing was deleted", problems)
        for asset in assets:
            if kind == "model":
                self._remove_model(asset)
            else:
                self._delete_objects(self._remove_image_records(asset.id))
        return [a.id for a in assets]

    def bulk_metadata(self, viewer: User, model_ids: list[str], operations: list[tuple[str, str, object]]) -> list[str]:
        """``operations``: (field slug, "set" | "remove", value). Values are validated once, up front."""
        changes: dict = {}
        for slug, action, value in operations:
            changes[slug] = None if action == "remove" else value
        metadata = self._metadata()
        metadata.validate_values(changes)
        models = self._check_all(viewer, "model", model_ids)
        for model in models:
            self._models.update(model.id, metadata_values=metadata.merge_values(model.metadata_values, changes),
                                updated_at=self._clock())
            self._indexer.refresh_or_queue("model", model.id)
        return [m.id for m in models]


def _image_keys(image: ImageAsset) -> list[str]:
    """Every stored object of an image: the original, its thumbnails and the raw upload if kept."""
    keys = [image.key] if image.key else []
    keys += [t["key"] for t in (image.thumbnails or {}).values() if t.get("key")]
    raw = (image.meta or {}).get("rawKey")
    return keys + ([raw] if raw else [])
