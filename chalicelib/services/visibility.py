"""Who may see an asset. Every read path asks here (lists, details, status, downloads, hashes)."""
from __future__ import annotations

from chalicelib.models import AssetStatus, ImageAsset, ModelAsset, Role, User


def _owner_or_admin(viewer: User | None, owner_id: str) -> bool:
    return viewer is not None and (viewer.id == owner_id or viewer.role >= Role.ADMIN)


def can_view(viewer: User | None, asset: ModelAsset | ImageAsset) -> bool:
    if _owner_or_admin(viewer, asset.owner_id):
        return asset.moderation != "removed" or (viewer is not None and viewer.role >= Role.ADMIN)
    if asset.status != AssetStatus.READY or asset.visibility != "public" or asset.moderation != "active":
        return False
    # Adult content: never for guests, only for members who opted in.
    return not asset.is_adult or (viewer is not None and viewer.show_adult)


def can_manage(viewer: User | None, owner_id: str) -> bool:
    return _owner_or_admin(viewer, owner_id)
