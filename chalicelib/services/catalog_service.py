"""Catalog read paths: lists and search (through the search service), model and image details,
asset status, hash lookup, downloads and preview URLs. Writes live in ``asset_service``.

An owner whose asset is in audit (moderation ``flagged``) gets only its placeholder from the
detail and status reads (no previews, versions or files), and a 403 from every content read.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from chalicelib.errors import NotFound, Unauthorized, ValidationError
from chalicelib.models import AssetStatus, ImageAsset, ModelAsset, ModelVersion, User
from chalicelib.services.search_service import SearchPage, SearchQuery
from chalicelib.services.visibility import FULL, PLACEHOLDER, access, can_manage, can_view, require_full

HEX = re.compile(r"^[0-9A-F]{8,64}$")
DATASET_TAGS = 50  # most frequent training tags shown on a model


def hash_lookup_values(digests: dict, filename: str) -> dict[str, str]:
    """Hash type -> value under which a version is filed in the hash index (and removed from it)."""
    values = {name.upper(): value for name, value in digests.items() if value}
    if digests.get("autov3"):
        values["AUTOV3_SHORT"] = digests["autov3"][:12]
    values["NAME"] = "NAME:" + PurePosixPath(filename).stem.lower()
    return values


@dataclass
class ListedPage:
    page: SearchPage
    previews: dict[str, dict]  # asset id -> thumbnail URLs (a model's cover, an image's own)


@dataclass
class ModelDetail:
    model: ModelAsset
    owner: User | None
    versions: list[ModelVersion]
    previews: dict
    galleries: list = field(default_factory=list)
    metadata: list[dict] = field(default_factory=list)
    dataset_tags: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ImageDetail:
    image: ImageAsset
    owner: User | None
    previews: dict
    linked: list[tuple[ModelAsset, ModelVersion]]
    galleries: list = field(default_factory=list)


class CatalogService:
    def __init__(self, models, versions, images, hashes, storage, bucket: str, url_ttl: int, search=None, users=None,
                 indexer=None, galleries=None, metadata=None) -> None:
        self._search = search
        self._users = users
        self._indexer = indexer
        self._galleries = galleries  # () -> gallery service (linked galleries)
        self._metadata = metadata  # () -> metadata service (filters, presented values)
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

    def _full_model(self, viewer: User | None, model_id: str) -> ModelAsset:
        model = self._models.get(model_id)
        require_full(viewer, model, "Model")
        return model

    def preview_urls(self, image: ImageAsset | None) -> dict:
        """Short-lived URLs of an image's thumbnails, served with the type detected at ingest."""
        if image is None or image.status != AssetStatus.READY:
            return {}
        return {name: self._storage.presign_get(self._bucket, t["key"], self._ttl * 12, content_type=t["mime"])
                for name, t in image.thumbnails.items()}

    def model_status(self, viewer: User | None, model_id: str) -> tuple[ModelAsset, list, ImageAsset | None]:
        model = self._model(viewer, model_id)
        if access(viewer, model) == PLACEHOLDER:
            return model, [], None
        versions = self._versions.for_model(model.id)
        if not can_manage(viewer, model.owner_id):
            versions = [v for v in versions if v.status == AssetStatus.READY]
        cover = self._images.get(model.cover_image_id) if model.cover_image_id else None
        return model, versions, cover if cover and access(viewer, cover) == FULL else None

    def image_status(self, viewer: User | None, image_id: str) -> tuple[ImageAsset, dict]:
        """The image and its preview URLs (none for its owner while it is in audit)."""
        image = self._image(viewer, image_id)
        return image, self.preview_urls(image) if access(viewer, image) == FULL else {}

    def by_hash(self, viewer: User | None, value: str) -> dict:
        normal = value.strip().upper().removeprefix("0X")
        if not HEX.match(normal):
            raise ValidationError("A hash is 8 to 64 hexadecimal characters", field="hash")
        for kind, model_id, version_id in self._hashes.find(normal):
            model = self._models.get(model_id)
            version = self._versions.get(version_id)
            if model and version and version.status == AssetStatus.READY and access(viewer, model) == FULL:
                return {"modelId": model.id, "versionId": version.id, "matchedAs": kind.lower(),
                        "title": model.title, "versionName": version.name, "hashes": version.hashes}
        raise NotFound("No model matches this hash")

    def header_url(self, viewer: User | None, model_id: str, version_id: str) -> str:
        """The full safetensors header (training metadata) is for the owner and administrators only."""
        model = self._models.get(model_id)
        version = self._versions.get(version_id)
        if (model is None or version is None or version.model_id != model.id or not version.header_key
                or not can_manage(viewer, model.owner_id) or access(viewer, model) is None):
            raise NotFound("Header not found")
        require_full(viewer, model, "Model")
        return self._storage.presign_get(self._bucket, version.header_key, self._ttl, content_type="application/json")

    def download(self, viewer: User | None, model_id: str, version_id: str) -> str:
        if viewer is None:
            raise Unauthorized("Sign in to download")
        model = self._full_model(viewer, model_id)
        if model.moderation == "removed":
            raise NotFound("The files of a removed model are deleted")
        version = self._versions.get(version_id)
        if version is None or version.model_id != model.id or version.status != AssetStatus.READY:
            raise NotFound("Version not found")
        url = self._storage.presign_get(self._bucket, version.key, self._ttl, filename=version.filename,
                                        content_type="application/octet-stream")
        self._models.add(model.id, download_count=1)
        self._versions.add(version.id, download_count=1)
        self._indexer.touch("model", model.id)  # the "most downloaded" order catches up within a window
        return url

    # -- lists and details ------------------------------------------------------------------
    def search(self, viewer: User | None, query: SearchQuery, raw_metadata: dict[str, str], cursor: str | None,
               page_size: int) -> ListedPage:
        if raw_metadata:
            query = dataclasses.replace(query, metadata=self._metadata().filter_terms(raw_metadata))
        page = self._search.search(viewer, query, cursor, page_size)
        # An owner's assets in audit are listed as placeholders: nothing of them is presigned.
        full = [item for item in page.items if access(viewer, item) == FULL]
        if query.kind == "model":
            covers = self._images.get_many([m.cover_image_id for m in full if m.cover_image_id])
            previews = {m.id: self._visible_previews(viewer, covers.get(m.cover_image_id)) for m in full}
        elif query.kind == "image":
            previews = {i.id: self.preview_urls(i) for i in full}
        else:
            previews = {}
        return ListedPage(page, previews)

    def _visible_previews(self, viewer: User | None, image: ImageAsset | None) -> dict:
        return self.preview_urls(image) if image is not None and access(viewer, image) == FULL else {}

    def model_detail(self, viewer: User | None, model_id: str) -> ModelDetail:
        model, versions, cover = self.model_status(viewer, model_id)
        if access(viewer, model) == PLACEHOLDER:
            return ModelDetail(model=model, owner=None, versions=[], previews={})
        primary = next((v for v in versions if v.id == model.primary_version_id), versions[0] if versions else None)
        frequencies = (primary.metadata or {}).get("tagFrequency", {}) if primary else {}
        dataset = sorted(((t, int(n)) for t, n in frequencies.items() if isinstance(n, int | float)),
                         key=lambda kv: (-kv[1], kv[0]))[:DATASET_TAGS]
        return ModelDetail(model=model, owner=self._users.get(model.owner_id), versions=versions,
                           previews=self.preview_urls(cover),
                           galleries=self._galleries().linked_galleries(viewer, "model", model.id),
                           metadata=self._metadata().present_values(model.metadata_values), dataset_tags=dataset)

    def model_versions(self, viewer: User | None, model_id: str) -> tuple[ModelAsset, list[ModelVersion]]:
        self._full_model(viewer, model_id)
        model, versions, _ = self.model_status(viewer, model_id)
        return model, versions

    def image_detail(self, viewer: User | None, image_id: str) -> ImageDetail:
        image = self._image(viewer, image_id)
        if access(viewer, image) == PLACEHOLDER:
            return ImageDetail(image=image, owner=None, previews={}, linked=[])
        versions = self._versions.get_many(image.linked_version_ids)
        models = self._models.get_many({v.model_id for v in versions.values()})
        linked = [(models[v.model_id], v) for v in versions.values()
                  if v.model_id in models and access(viewer, models[v.model_id]) == FULL
                  and v.status == AssetStatus.READY]
        return ImageDetail(image=image, owner=self._users.get(image.owner_id), previews=self.preview_urls(image),
                           linked=linked, galleries=self._galleries().linked_galleries(viewer, "image", image.id))
