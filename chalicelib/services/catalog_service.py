"""Read paths that the ingest issue needs: asset status, hash lookup, downloads, preview URLs.
(The catalog issue adds listing and search on top of the same records.)"""
from __future__ import annotations

import re

from chalicelib.errors import NotFound, Unauthorized, ValidationError
from chalicelib.models import AssetStatus, ImageAsset, ModelAsset, User
from chalicelib.services.visibility import can_manage, can_view

HEX = re.compile(r"^[0-9A-F]{8,64}$")


class CatalogService:
    def __init__(self, models, versions, images, hashes, storage, bucket: str, url_ttl: int) -> None:
        self._models = models
        self._versions = versions
        self._images = images
        self._hashes = hashes
        self._storage = storage
        self._bucket = bucket
        self._ttl = url_ttl

    def _model(self, viewer: User | None, model_id: str) -> ModelAsset:
        model = self._models.get(model_id)
        if model is None or not can_view(viewer, model):
            raise NotFound("Model not found")
        return model

    def _image(self, viewer: User | None, image_id: str) -> ImageAsset:
        image = self._images.get(image_id)
        if image is None or not can_view(viewer, image):
            raise NotFound("Image not found")
        return image

    def preview_urls(self, image: ImageAsset | None) -> dict:
        """Short-lived URLs of an image's thumbnails, served with the type detected at ingest."""
        if image is None or image.status != AssetStatus.READY:
            return {}
        return {name: self._storage.presign_get(self._bucket, t["key"], self._ttl * 12, content_type=t["mime"])
                for name, t in image.thumbnails.items()}

    def model_status(self, viewer: User | None, model_id: str) -> tuple[ModelAsset, list, ImageAsset | None]:
        model = self._model(viewer, model_id)
        versions = self._versions.for_model(model.id)
        if not can_manage(viewer, model.owner_id):
            versions = [v for v in versions if v.status == AssetStatus.READY]
        cover = self._images.get(model.cover_image_id) if model.cover_image_id else None
        return model, versions, cover if cover and can_view(viewer, cover) else None

    def image_status(self, viewer: User | None, image_id: str) -> ImageAsset:
        return self._image(viewer, image_id)

    def by_hash(self, viewer: User | None, value: str) -> dict:
        normal = value.strip().upper().removeprefix("0X")
        if not HEX.match(normal):
            raise ValidationError("A hash is 8 to 64 hexadecimal characters", field="hash")
        for kind, model_id, version_id in self._hashes.find(normal):
            model = self._models.get(model_id)
            version = self._versions.get(version_id)
            if model and version and version.status == AssetStatus.READY and can_view(viewer, model):
                return {"modelId": model.id, "versionId": version.id, "matchedAs": kind.lower(),
                        "title": model.title, "versionName": version.name, "hashes": version.hashes}
        raise NotFound("No model matches this hash")

    def header_url(self, viewer: User | None, model_id: str, version_id: str) -> str:
        """The full safetensors header (training metadata) is for the owner and administrators only."""
        model = self._models.get(model_id)
        version = self._versions.get(version_id)
        if (model is None or version is None or version.model_id != model.id or not version.header_key
                or not can_manage(viewer, model.owner_id)):
            raise NotFound("Header not found")
        return self._storage.presign_get(self._bucket, version.header_key, self._ttl, content_type="application/json")

    def download(self, viewer: User | None, model_id: str, version_id: str) -> str:
        if viewer is None:
            raise Unauthorized("Sign in to download")
        model = self._model(viewer, model_id)
        version = self._versions.get(version_id)
        if version is None or version.model_id != model.id or version.status != AssetStatus.READY:
            raise NotFound("Version not found")
        url = self._storage.presign_get(self._bucket, version.key, self._ttl, filename=version.filename,
                                        content_type="application/octet-stream")
        self._models.add(model.id, download_count=1)
        self._versions.add(version.id, download_count=1)
        return url
