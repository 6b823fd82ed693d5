"""Who may see an asset. Every read path asks here (lists, details, status, downloads, hashes)."""
from __future__ import annotations

from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.models import AssetStatus, Gallery, ImageAsset, ModelAsset, Role, User


def _owner_or_admin(viewer: User | None, owner_id: str) -> bool:
    return viewer is not None and (viewer.id == owner_id or viewer.role >= Role.ADMIN)


def can_view(viewer: User | None, asset: ModelAsset | ImageAsset | Gallery) -> bool:
    if isinstance(asset, Gallery):
        # A gallery has no review state of its own; it is held (hidden from the community) while a
        # model among its entries is under review. Its entries are checked one by one.
        listed = asset.visibility == "public" and not asset.held_by
        return listed or _owner_or_admin(viewer, asset.owner_id)
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


FULL, PLACEHOLDER = "full", "placeholder"


def access(viewer: User | None, asset: ModelAsset | ImageAsset | Gallery) -> str | None:
    """How much of an asset the viewer gets: ``full``, ``placeholder`` (its owner, while it is under
    review: the name and an "In Audit" state, nothing else) or None (it does not exist for them)."""
    if not can_view(viewer, asset):
        return None
    under_review = getattr(asset, "moderation", "active") == "flagged"
    if under_review and (viewer is None or viewer.role < Role.ADMIN):
        return PLACEHOLDER
    return FULL


def can_view_content(viewer: User | None, asset: ModelAsset | ImageAsset | Gallery) -> bool:
    """Content, comments, likes, downloads and flags need full access (owners of assets under review
    see only the placeholder)."""
    return access(viewer, asset) == FULL


def require_full(viewer: User | None, asset, noun: str) -> None:
    """The check of every content path (versions, files, hashes, comments, likes, flags): without full
    access there is no content (404), also for the owner of an asset in audit (who sees its placeholder)."""
    level = access(viewer, asset) if asset is not None else None
    if level is None:
        raise NotFound(f"{noun} not found")
    if level == PLACEHOLDER:
        raise NotFound(f"This {noun.lower()} is in audit: its content is unavailable until an administrator "
                       "has reviewed it")
