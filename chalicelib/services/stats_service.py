"""Catalogue totals for the home page, counting only what the viewer could find in the explorers.

The numbers come from the search index's counters (term ``A`` per audience, ``O:<owner>`` for the
viewer's own items), so they cost a few BatchGets and never a scan:

- guests: public, active, ready, non-adult items (audience ``s``);
- members: the same, plus public adult items if they opted in (``x``), plus their own adult and
  hidden items (private, under review, still processing) through ``O:<me>``;
- administrators: everything (every audience).

The counters cannot tell an owner's items removed by moderation from their private ones, so an
owner's own total includes those too (it is their own content; nobody else's count changes).
"""
from __future__ import annotations

from chalicelib.models import Role, User

KINDS = (("models", "model"), ("images", "image"), ("galleries", "gallery"))
ALL_AUDIENCES = ("s", "x", "h")


class StatsService:
    def __init__(self, index) -> None:
        self._index = index  # SearchIndexRepository

    def audiences(self, viewer: User | None) -> tuple[list[str], list[str]]:
        """(audiences counted in full, audiences counted only for the viewer's own items)."""
        if viewer is not None and viewer.role >= Role.ADMIN:
            return list(ALL_AUDIENCES), []
        public = ["s", "x"] if viewer is not None and viewer.show_adult else ["s"]
        own = [a for a in ALL_AUDIENCES if a not in public] if viewer is not None else []
        return public, own

    def stats(self, viewer: User | None) -> dict[str, int]:
        public, own = self.audiences(viewer)
        totals = {}
        for name, kind in KINDS:
            n = self._index.counts(kind, public, ["A"])["A"]
            if own:
                term = f"O:{viewer.id}"
                n += self._index.counts(kind, own, [term])[term]
            totals[name] = max(0, int(n))
        return totals
