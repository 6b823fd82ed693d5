"""Validators of path parameters shared by the blueprints (``Router.route(path_params=...)``): a
ValueError becomes a 400 naming the parameter."""
from __future__ import annotations

from chalicelib.services.gallery_service import valid_id

ASSET_KINDS = ("model", "image")


def record_id(value: str) -> str:
    if not valid_id(value):
        raise ValueError(value)
    return value


def asset_kind(value: str) -> str:
    if value not in ASSET_KINDS:
        raise ValueError(value)
    return value
