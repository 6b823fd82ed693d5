"""Who may see an asset. Every read path asks here (lists, details, status, downloads, hashes)."""
from __future__ import annotations

from chalicelib.errors import Forbidden, ValidationError
from chalicelib.models import AssetStatus, Gallery, ImageAsset, ModelAsset, Role, User


def _owner_or_admin(viewer: User | None, owner_id: str) -> bool:
    return viewer is not None and (viewer.id == owner_id or viewer.role >= Role.ADMIN)


def can_view(viewer: User | None, asset: ModelAsset | ImageAsset | Gallery) -> bool:
    if isinstance(asset, Gallery):
        # Galleries have no processing or review state of their own; their entries are checked one by one.
        return asset.visibility == "public" or _owner_or_admin(viewer, asset.owner_id)
    if _owner_or_admin(viewer, asset.owner_id):
        return asset.moderation != "removed" or (viewer is not None and viewer.role >= Role.ADMIN)
    if asset.status != AssetStatus.READY or asset.visibility != "public" or asset.moderation != "active":
        return False
    # Adult content: never for guests, only for members who opted in.
    return not asset.is_adult or (viewer is not None and viewer.show_adult)


def can_manage(viewer: User | None, owner_id: str) -> bool:
    return _owner_or_admin(viewer, owner_id)


def transfer_target(viewer: User, find_target) -> str:
    """Ownership moves only by an administrator (checked before ``find_target`` looks anyone up), and
    only to an active curator or administrator. Returns the new owner's id."""
    if viewer.role < Role.ADMIN:
        raise Forbidden("Only administrators can transfer ownership", field="ownerId")
    target = find_target()
    if target is None or not target.is_active or target.role < Role.CURATOR:
        raise ValidationError("The new owner must be an active curator or administrator", field="ownerId")
    return target.id
