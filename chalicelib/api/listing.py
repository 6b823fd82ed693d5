"""Query parameters and response shape shared by the searchable lists (models, images)."""
from __future__ import annotations

from typing import Literal

import pydantic

from chalicelib.api.routing import ApiModel, Result
from chalicelib.pagination import page_meta
from chalicelib.services.search_service import SearchQuery

Id = pydantic.constr(pattern=r"^[A-Za-z0-9_-]{1,64}$")
MAX_FILTER_TAGS = 10


class ListQuery(ApiModel):
    q: pydantic.constr(max_length=200) = ""
    tags: pydantic.constr(max_length=700) | None = None  # comma-separated, all must match
    curator: Id | None = None
    visibility: Literal["public", "private"] | None = None
    nsfw: Literal["exclude", "only"] | None = None  # default: whatever the viewer's adult setting allows
    cursor: pydantic.constr(max_length=2000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = 24

    @pydantic.field_validator("tags")
    @classmethod
    def _tags(cls, value: str | None) -> str | None:
        if value is not None:
            parts = [t for t in value.split(",") if t.strip()]
            if not parts or len(parts) > MAX_FILTER_TAGS or any(len(t.strip()) > 64 for t in parts):
                raise ValueError(f"tags is a comma-separated list of 1 to {MAX_FILTER_TAGS} tags of at most 64 characters")
        return value

    def search_query(self, kind: str, **extra) -> SearchQuery:
        tags = [t.strip() for t in (self.tags or "").split(",") if t.strip()]
        return SearchQuery(kind=kind, text=self.q, tags=tags, curator_id=self.curator, visibility=self.visibility,
                           nsfw=self.nsfw, **extra)


def listing(listed, card, viewer, page_size: int) -> Result:
    """``total`` stays null: counting every match of an arbitrary search would read all of them."""
    page = listed.page
    items = [card(item, page.owners, listed.previews.get(item.id, {}), viewer) for item in page.items]
    return Result(items, meta=page_meta(page.cursor, page_size))
