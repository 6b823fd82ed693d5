"""Galleries (collections): create, list, detail with ordered entries, edit, delete, nesting, links.

Rules (see docs/decisions.md "Galleries"):
- A gallery is visible when it is public, or to its owner and administrators. Each entry is shown
  only if the viewer may see its asset (``can_view``); hidden or deleted assets are left out.
- Writes need CURATOR+ (checked by the routes) and ownership of the gallery (or ADMIN). Curators
  put only their own assets into their own galleries; administrators may add anything.
- Every write validates the whole request before it writes anything; the writes of one request go
  to DynamoDB as one transaction where they fit (gallery edits, entry batches).
- Nesting: at most ``MAX_DEPTH`` levels; cycles are refused by walking the new parent's ancestors,
  and the walk is re-checked inside the transaction (ancestors' parents unchanged).
- Moderation: while a model among its entries is under review the gallery is held (``held_by``):
  hidden from everyone but its owner and administrators. A model removed by moderation leaves every
  gallery, and a gallery it leaves empty (no entries, no children) is deleted.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from chalicelib.errors import Conflict, Forbidden, ItemsRejected, NotFound, ValidationError
from chalicelib.models import Gallery, ImageAsset, ModelAsset, Role, User
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.services.search_service import SearchQuery
from chalicelib.services.visibility import FULL, PLACEHOLDER, access, can_manage, can_view, transfer_target

KINDS = ("image", "model")
MAX_DEPTH = 10  # a top-level gallery is at depth 1
MAX_BATCH = 100  # items per entries/bulk request (one DynamoDB transaction)
MAX_ENTRY_CHANGES = 80  # reorders + removals per edit: they share a transaction with the gallery and ancestor checks
MAX_POSITION = 1e12  # explicit positions sort before appended entries (whose position is their add time in ms)
CHILDREN_SHOWN = 50
LINKED_LIMIT = 50
SCAN_FACTOR = 3  # hidden entries/children examined per page at most, as a multiple of the page size
MAX_SUBTREE = 500  # galleries examined when measuring the height of a subtree that is moved
SUBTREE_LIMIT_MESSAGE = "This gallery has too many nested galleries to move in one step"
HOLD_RETRIES = 4

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ENTRY_SK = re.compile(r"^(image|model)#[A-Za-z0-9_-]{1,64}$")


class Unchanged:
    """Marks a field a PATCH did not mention (``None`` means "clear it")."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = Unchanged()


def valid_id(value: str) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


# -- inputs ------------------------------------------------------------------------------------
@dataclass
class GalleryDraft:
    title: str
    description: str = ""
    visibility: str = "private"
    parent_id: str | None = None
    cover_image_id: str | None = None


@dataclass
class EntryChange:
    kind: str
    asset_id: str
    position: float | None = None  # None: keep
    note: Any = UNCHANGED  # str sets, None clears


@dataclass
class GalleryPatch:
    title: Any = UNCHANGED
    description: Any = UNCHANGED
    visibility: Any = UNCHANGED
    cover_image_id: Any = UNCHANGED  # None clears
    parent_id: Any = UNCHANGED  # None: top level
    owner_id: Any = UNCHANGED
    entries: list[EntryChange] = field(default_factory=list)
    remove_entries: list[tuple[str, str]] = field(default_factory=list)  # (kind, asset id)


@dataclass
class ItemRef:
    kind: str
    asset_id: str
    note: str | None = None


@dataclass
class ListQuery:
    text: str = ""
    curator_id: str | None = None
    parent_id: str | None = None
    sort: str = "newest"


# -- outputs -----------------------------------------------------------------------------------
@dataclass
class GalleryView:
    gallery: Gallery
    owner: User | None
    cover: dict  # preview URLs of the cover image; {} when there is none or the viewer may not see it
    entry_count: int | None = None


@dataclass
class EntryView:
    entry: Any  # repositories.catalog.GalleryEntry
    asset: ModelAsset | ImageAsset
    owner: User | None
    previews: dict


@dataclass
class GalleryDetail:
    view: GalleryView
    entries: list[EntryView]
    entries_cursor: str | None
    children: list[Gallery]
    parent: Gallery | None
    can_edit: bool


@dataclass
class BatchReport:
    action: str  # add | remove
    count: int  # entries actually added or removed
    items: list[dict]  # {kind, id, status}


# -- pure rules (unit tested) --------------------------------------------------------------------
def ancestry_problem(gallery_id: str | None, chain: list[Gallery], subtree_height: int = 1) -> ValidationError | Conflict | None:
    """Why ``gallery_id`` (None: a new gallery) cannot go under ``chain[0]`` (its ancestors follow,
    nearest first), or None. ``subtree_height``: levels of the moved gallery including itself."""
    if gallery_id is not None and chain and chain[0].id == gallery_id:
        return ValidationError("A gallery cannot be its own parent", field="parentId")
    if gallery_id is not None and any(g.id == gallery_id for g in chain):
        return Conflict("This parent is inside the gallery: the nesting would form a cycle", field="parentId")
    if len(chain) + subtree_height > MAX_DEPTH:
        return ValidationError(f"Galleries nest at most {MAX_DEPTH} levels deep", field="parentId")
    return None


def reorder_problems(changes: list[EntryChange], removals: list[tuple[str, str]],
                     present: set[tuple[str, str]]) -> list[dict]:
    """Every reason an edit of entries is invalid: duplicates, entries not in the gallery, an entry
    both reordered and removed, too many changes. Field names point at the offending item."""
    problems = []
    if len(changes) + len(removals) > MAX_ENTRY_CHANGES:
        problems.append(_problem("VALIDATION_ERROR", "entries",
                                 f"At most {MAX_ENTRY_CHANGES} entry changes (entries + removeEntries) per edit"))
    seen: set[tuple[str, str]] = set()
    removed = set(removals)
    for n, change in enumerate(changes):
        key = (change.kind, change.asset_id)
        where = f"entries[{n}]"
        if key in seen:
            problems.append(_problem("VALIDATION_ERROR", where, f"{change.kind} {change.asset_id} is listed twice"))
        elif key in removed:
            problems.append(_problem("VALIDATION_ERROR", where,
                                     f"{change.kind} {change.asset_id} is both edited and removed"))
        elif key not in present:
            problems.append(_problem("VALIDATION_ERROR", where,
                                     f"{change.kind} {change.asset_id} is not an entry of this gallery"))
        seen.add(key)
    return problems


def entry_cursor_key(key: dict | None) -> dict | None:
    """A decoded entries cursor, checked: it becomes a DynamoDB start key."""
    if key is None:
        return None
    position, sk = key.get("position"), key.get("sk")
    if (isinstance(position, bool) or not isinstance(position, int | float) or not 0 <= position < 1e15
            or not isinstance(sk, str) or not _ENTRY_SK.match(sk)):
        raise ValidationError("Malformed cursor", field="cursor")
    return {"position": position, "sk": sk}


def child_cursor_key(key: dict | None) -> dict | None:
    if key is None:
        return None
    gallery_id, created_at = key.get("id"), key.get("createdAt")
    if (not valid_id(gallery_id) or isinstance(created_at, bool) or not isinstance(created_at, int | float)
            or not 0 <= created_at < 1e11):
        raise ValidationError("Malformed cursor", field="cursor")
    return {"id": gallery_id, "createdAt": created_at}


def _records():
    """The catalog repository module, for its record types and key helpers (no I/O). Imported on
    first use: repository modules read their table names from the environment when imported."""
    from chalicelib.repositories import catalog

    return catalog


def _problem(code: str, where: str, message: str) -> dict:
    return {"code": code, "field": where, "message": message}


def _dedupe(refs: list[ItemRef]) -> tuple[list[tuple[int, ItemRef]], set[int]]:
    """(first occurrences with their index, indexes of repeats): a repeat is reported, not an error."""
    seen, firsts, repeats = set(), [], set()
    for n, ref in enumerate(refs):
        key = (ref.kind, ref.asset_id)
        if key in seen:
            repeats.add(n)
        else:
            seen.add(key)
            firsts.append((n, ref))
    return firsts, repeats


class GalleryService:
    def __init__(self, galleries, entries, models, images, users, catalog, indexer, search,
                 clock: Callable[[], float] = time.time) -> None:
        self._galleries = galleries
        self._entries = entries
        self._assets = {"image": images, "model": models}
        self._images = images
        self._users = users
        self._catalog = catalog  # preview_urls(image): presigned thumbnail URLs
        self._indexer = indexer
        self._search = search
        self._clock = clock

    # -- access ------------------------------------------------------------------------------
    def _visible(self, viewer: User | None, gallery_id: str, where: str | None = None) -> Gallery:
        gallery = self._galleries.get(gallery_id) if valid_id(gallery_id) else None
        if gallery is None or not can_view(viewer, gallery):
            raise NotFound("Gallery not found", field=where)
        return gallery

    def _managed(self, viewer: User | None, gallery_id: str, where: str | None = None) -> Gallery:
        gallery = self._visible(viewer, gallery_id, where)
        if not can_manage(viewer, gallery.owner_id):
            raise Forbidden("Only the gallery's owner or an administrator may change it", field=where)
        return gallery

    def managed(self, viewer: User, gallery_id: str) -> Gallery:
        """A gallery the viewer may change (for services that put things into galleries)."""
        return self._managed(viewer, gallery_id, "galleryId")

    def _reindex(self, *gallery_ids: str) -> None:
        for gallery_id in dict.fromkeys(gallery_ids):
            self._indexer.refresh_or_queue("gallery", gallery_id)

    # -- presentation data ---------------------------------------------------------------------
    def _views(self, viewer: User | None, galleries: list[Gallery], owners: dict | None = None) -> list[GalleryView]:
        owners = dict(owners or {})
        missing = {g.owner_id for g in galleries} - set(owners)
        owners.update(self._users.get_many(missing) if missing else {})
        covers = self._images.get_many({g.cover_image_id for g in galleries if g.cover_image_id})
        return [GalleryView(g, owners.get(g.owner_id), self._previews(viewer, covers.get(g.cover_image_id or "")))
                for g in galleries]

    def _previews(self, viewer: User | None, image: ImageAsset | None) -> dict:
        return self._catalog.preview_urls(image) if image is not None and access(viewer, image) == FULL else {}

    def _entry_views(self, viewer: User | None, entries: list) -> list[EntryView | None]:
        """One view per entry, None where the viewer may not see the asset (or it is gone)."""
        assets = {kind: repo.get_many({e.asset_id for e in entries if e.kind == kind})
                  for kind, repo in self._assets.items()}
        visible = {(e.kind, e.asset_id): a for e in entries
                   if (a := assets[e.kind].get(e.asset_id)) is not None and can_view(viewer, a)}
        covers = self._images.get_many({a.cover_image_id for (kind, _), a in visible.items()
                                        if kind == "model" and a.cover_image_id})
        owners = self._users.get_many({a.owner_id for a in visible.values()})
        views: list[EntryView | None] = []
        for e in entries:
            asset = visible.get((e.kind, e.asset_id))
            if asset is None:
                views.append(None)
                continue
            image = asset if e.kind == "image" else covers.get(asset.cover_image_id or "")
            # An owner's entry in audit is shown as its placeholder: nothing of it is presigned.
            previews = {} if access(viewer, asset) == PLACEHOLDER else self._previews(viewer, image)
            views.append(EntryView(e, asset, owners.get(asset.owner_id), previews))
        return views

    def _entry_page(self, viewer: User | None, gallery: Gallery, cursor: str | None,
                    page_size: int) -> tuple[list[EntryView], str | None]:
        """A page of visible entries in order. Hidden entries are skipped; at most
        ``SCAN_FACTOR * page_size`` entries are examined, so a page may be short, but the cursor
        always resumes right after the last entry examined (no gaps, no duplicates)."""
        query = {"list": "gallery-entries", "gallery": gallery.id}
        after = entry_cursor_key(decode_cursor(cursor, query))
        stream = iter(self._entries.ordered(gallery.id, after, page_size=min(page_size + 1, 100)))
        out, examined, last = [], 0, None
        while len(out) < page_size and examined < page_size * SCAN_FACTOR:
            # Only as many as could still fit, so every examined entry is either shown or hidden.
            chunk = list(islice(stream, min(page_size - len(out), page_size * SCAN_FACTOR - examined)))
            if not chunk:
                return out, None
            examined, last = examined + len(chunk), chunk[-1]
            out += [v for v in self._entry_views(viewer, chunk) if v is not None]
        if next(stream, None) is None:
            return out, None
        return out, encode_cursor(_records().entry_key(last), query)

    def _visible_children(self, viewer: User | None, parent_id: str, after: dict | None,
                          limit: int) -> tuple[list[Gallery], dict | None]:
        """Visible children, newest first, and the key to resume after the last one examined (None: done)."""
        stream = iter(self._galleries.children(parent_id, after, page_size=min(limit + 1, 100)))
        out, examined, last = [], 0, None
        while len(out) < limit and examined < limit * SCAN_FACTOR:
            child = next(stream, None)
            if child is None:
                return out, None
            examined, last = examined + 1, child
            if can_view(viewer, child):
                out.append(child)
        if next(stream, None) is None:
            return out, None
        return out, _records().gallery_child_key(last)

    # -- reads ---------------------------------------------------------------------------------
    def list(self, viewer: User | None, query: ListQuery, cursor: str | None,
             page_size: int) -> tuple[list[GalleryView], str | None]:
        if query.parent_id is not None:
            if query.text or query.curator_id or query.sort != "newest":
                raise ValidationError("parentId lists a gallery's children newest first; it cannot be combined "
                                      "with q, curator or sort", field="parentId")
            parent = self._visible(viewer, query.parent_id, "parentId")
            fingerprint = {"list": "gallery-children", "parent": parent.id}
            after = child_cursor_key(decode_cursor(cursor, fingerprint))
            children, resume = self._visible_children(viewer, parent.id, after, page_size)
            return self._views(viewer, children), encode_cursor(resume, fingerprint)
        if query.curator_id is not None and not valid_id(query.curator_id):
            raise ValidationError("curator must be a user id", field="curator")
        page = self._search.search(viewer, SearchQuery(kind="gallery", text=query.text, curator_id=query.curator_id,
                                                       sort=query.sort), cursor, page_size)
        return self._views(viewer, page.items, page.owners), page.cursor  # the search checked visibility

    def detail(self, viewer: User | None, gallery_id: str, page_size: int = 24) -> GalleryDetail:
        return self._detail(viewer, self._visible(viewer, gallery_id), page_size)

    def _detail(self, viewer: User | None, gallery: Gallery, page_size: int = 24) -> GalleryDetail:
        view = self._views(viewer, [gallery])[0]
        manage = can_manage(viewer, gallery.owner_id)
        if manage:
            # Counting reads the whole partition; only the people who manage the gallery see it.
            view.entry_count = self._entries.count(gallery.id)
        entries, cursor = self._entry_page(viewer, gallery, None, page_size)
        children, _ = self._visible_children(viewer, gallery.id, None, CHILDREN_SHOWN)
        parent = self._galleries.get(gallery.parent_id) if gallery.parent_id else None
        if parent is not None and not can_view(viewer, parent):
            parent = None
        return GalleryDetail(view, entries, cursor, children, parent, manage)

    def entries_page(self, viewer: User | None, gallery_id: str, cursor: str | None,
                     page_size: int) -> tuple[list[EntryView], str | None]:
        return self._entry_page(viewer, self._visible(viewer, gallery_id), cursor, page_size)

    def linked_galleries(self, viewer: User | None, kind: str, asset_id: str) -> list[Gallery]:
        """Galleries holding this asset that the viewer may see (at most ``LINKED_LIMIT``)."""
        ids = self._entries.galleries_of(kind, asset_id, limit=LINKED_LIMIT)
        found = self._galleries.get_many(ids)
        return [found[i] for i in ids if i in found and can_view(viewer, found[i])]

    # -- nesting -------------------------------------------------------------------------------
    def _ancestry(self, viewer: User, gallery_id: str | None, parent_id: str) -> dict[str, str | None]:
        """Check that ``gallery_id`` (None: new) may go under ``parent_id``; returns the ancestors
        seen ({id: its parent}) so the write can re-check them inside its transaction."""
        parent = self._managed(viewer, parent_id, "parentId")
        chain = [parent]
        while chain[-1].parent_id and len(chain) <= MAX_DEPTH:
            above = self._galleries.get(chain[-1].parent_id)
            if above is None:  # a dangling parent (deleted meanwhile) ends the chain
                break
            chain.append(above)
        problem = ancestry_problem(gallery_id, chain)
        if problem is None and gallery_id is not None:
            # A moved gallery brings its subtree along: measure it only as deep as still matters.
            problem = ancestry_problem(gallery_id, chain, self._height(gallery_id, MAX_DEPTH - len(chain) + 1))
        if problem is not None:
            raise problem
        return {g.id: g.parent_id for g in chain}

    def _height(self, gallery_id: str, enough: int) -> int:
        """Levels of the subtree rooted at ``gallery_id`` (1: no children), counted up to ``enough``."""
        level, height, examined = [gallery_id], 1, 0
        while height < enough:
            below = []
            for node in level:
                for child in self._galleries.children(node, page_size=100):
                    examined += 1
                    if examined > MAX_SUBTREE:
                        raise Conflict(SUBTREE_LIMIT_MESSAGE, field="parentId")
                    below.append(child.id)
            if not below:
                break
            level, height = below, height + 1
        return height

    # -- writes --------------------------------------------------------------------------------
    def _cover_problem(self, viewer: User, image_id: str, owner_id: str, in_gallery: bool) -> ValidationError | None:
        image = self._images.get(image_id) if valid_id(image_id) else None
        if image is None or access(viewer, image) != FULL or not (in_gallery or image.owner_id == owner_id):
            return ValidationError("coverImageId must be an image you can see that is in the gallery "
                                   "or belongs to the gallery's owner", field="coverImageId")
        return None

    def create(self, viewer: User, draft: GalleryDraft) -> GalleryDetail:
        now = self._clock()
        gallery = Gallery(uuid.uuid4().hex, viewer.id, draft.title, now, now, description=draft.description,
                          visibility=draft.visibility, parent_id=draft.parent_id)
        if draft.parent_id is not None:
            self._ancestry(viewer, None, draft.parent_id)
        if draft.cover_image_id is not None:
            problem = self._cover_problem(viewer, draft.cover_image_id, viewer.id, in_gallery=False)
            if problem:
                raise problem
            gallery.cover_image_id = draft.cover_image_id
        self._galleries.create(gallery)
        self._reindex(gallery.id)
        return self._detail(viewer, gallery)

    def update(self, viewer: User, gallery_id: str, patch: GalleryPatch) -> GalleryDetail:
        gallery = self._managed(viewer, gallery_id)
        problems: list[dict] = []
        edit = _records().GalleryEdit()
        fields = edit.fields
        for name in ("title", "description", "visibility"):
            value = getattr(patch, name)
            if value is not UNCHANGED and value != getattr(gallery, name):
                fields[name] = value
        owner_id = gallery.owner_id
        if patch.owner_id is not UNCHANGED and patch.owner_id != gallery.owner_id:
            fields["owner_id"] = owner_id = transfer_target(
                viewer, lambda: self._users.get(patch.owner_id) if valid_id(patch.owner_id) else None)
        if patch.parent_id is not UNCHANGED and patch.parent_id != gallery.parent_id:
            if patch.parent_id is not None:
                edit.expect_parents = self._ancestry(viewer, gallery.id, patch.parent_id)
            fields["parent_id"] = patch.parent_id
        # Entries: validate every referenced entry before anything is written.
        keys = [(c.kind, c.asset_id) for c in patch.entries] + list(patch.remove_entries)
        present = set(self._entries.get_many(gallery.id, keys)) if keys else set()
        problems += reorder_problems(patch.entries, patch.remove_entries, present)
        if problems:
            raise ValidationError(problems[0]["message"], field=problems[0]["field"], details=problems)
        for change in patch.entries:
            changes: dict[str, Any] = {}
            if change.position is not None:
                changes["position"] = change.position
            if change.note is not UNCHANGED:
                changes["note"] = change.note or None
            if changes:
                edit.entry_updates.append((change.kind, change.asset_id, changes))
        edit.entry_removals = [key for key in dict.fromkeys(patch.remove_entries) if key in present]
        removed_images = {asset_id for kind, asset_id in edit.entry_removals if kind == "image"}
        cover = patch.cover_image_id
        if cover is UNCHANGED:
            if gallery.cover_image_id in removed_images:
                fields["cover_image_id"] = None  # the cover leaves with its entry
        elif cover is None:
            if gallery.cover_image_id is not None:
                fields["cover_image_id"] = None
        else:
            in_gallery = cover not in removed_images and self._entries.get(gallery.id, "image", cover) is not None
            problem = self._cover_problem(viewer, cover, owner_id, in_gallery)
            if problem:
                raise problem
            if cover != gallery.cover_image_id:
                fields["cover_image_id"] = cover
        if fields or edit.entry_updates or edit.entry_removals:
            fields["updated_at"] = self._clock()
        self._galleries.apply(gallery.id, edit)
        self._release(gallery.id, [asset_id for kind, asset_id in edit.entry_removals if kind == "model"])
        if edit.action_count():
            self._reindex(gallery.id)
        self._follow_visibility(fields.get("cover_image_id", gallery.cover_image_id), fields.get("visibility"))
        return self._detail(viewer, self._visible(viewer, gallery.id))

    def _follow_visibility(self, cover_id: str | None, visibility: str | None) -> None:
        """A cover uploaded for the gallery is as visible as the gallery (a curated image keeps its own)."""
        cover = self._images.get(cover_id) if cover_id and visibility else None
        if cover is not None and cover.purpose == "gallery-cover" and cover.visibility != visibility:
            self._images.update(cover.id, visibility=visibility)

    def delete(self, viewer: User, gallery_id: str) -> None:
        """Entries go, assets stay; children become top-level galleries (never deleted with it)."""
        gallery = self._managed(viewer, gallery_id)
        self._entries.remove_gallery(gallery.id)
        moved = self._galleries.detach_children(gallery.id, self._clock())
        self._galleries.delete(gallery.id)
        self._reindex(gallery.id, *moved)

    def _addable(self, viewer: User, kind: str, asset) -> tuple[str, str] | None:
        """(code, message) when the viewer may not put this asset into a gallery they manage."""
        label = "Image" if kind == "image" else "Model"
        if asset is None or not can_view(viewer, asset):
            return "NOT_FOUND", f"{label} not found"
        if access(viewer, asset) != FULL:
            return "CONFLICT", f"This {kind} is in audit; it can join galleries once it is approved"
        if viewer.role < Role.ADMIN and asset.owner_id != viewer.id:
            return "FORBIDDEN", f"Curators add only their own {kind}s; ask an administrator"
        return None

    def add_entries(self, viewer: User, gallery_id: str, refs: list[ItemRef]) -> BatchReport:
        return self._add(viewer, self._managed(viewer, gallery_id), refs)

    def _add(self, viewer: User, gallery: Gallery, refs: list[ItemRef]) -> BatchReport:
        if len(refs) > MAX_BATCH:
            raise ValidationError(f"At most {MAX_BATCH} items per request", field="items")
        firsts, repeats = _dedupe(refs)
        existing = self._entries.get_many(gallery.id, [(r.kind, r.asset_id) for _, r in firsts])
        assets = {kind: repo.get_many({r.asset_id for _, r in firsts if r.kind == kind and valid_id(r.asset_id)})
                  for kind, repo in self._assets.items()}
        now, records = self._clock(), _records()
        problems, additions, status = [], [], {}
        for n, ref in firsts:
            why = self._addable(viewer, ref.kind, assets[ref.kind].get(ref.asset_id))
            if why:
                problems.append(_problem(why[0], f"items[{n}]", why[1]))
            elif (ref.kind, ref.asset_id) in existing:
                status[n] = "exists"
            else:
                # Distinct ms positions keep the request's order.
                additions.append(records.GalleryEntry(gallery.id, ref.kind, ref.asset_id,
                                                      records.position_at(now + len(additions) / 1000), now,
                                                      ref.note or None))
                status[n] = "added"
        if problems:
            raise ItemsRejected(f"{len(problems)} of {len(refs)} items cannot be added; nothing was changed", problems)
        self._write_entries(gallery, additions=additions)
        # Only administrators may add a model under review; the gallery is then held like the others.
        self._hold(gallery.id, [a.asset_id for a in additions
                                if a.kind == "model" and assets["model"][a.asset_id].moderation == "flagged"])
        items = [{"kind": r.kind, "id": r.asset_id, "status": "duplicate" if n in repeats else status[n]}
                 for n, r in enumerate(refs)]
        return BatchReport("add", len(additions), items)

    def _remove(self, gallery: Gallery, refs: list[ItemRef]) -> BatchReport:
        """Removal needs only the right to manage the gallery (an owner may drop anything from it);
        entries already gone are reported ``absent`` so a retry succeeds."""
        if len(refs) > MAX_BATCH:
            raise ValidationError(f"At most {MAX_BATCH} items per request", field="items")
        firsts, repeats = _dedupe(refs)
        existing = self._entries.get_many(gallery.id, [(r.kind, r.asset_id) for _, r in firsts])
        removals = [(r.kind, r.asset_id) for _, r in firsts if (r.kind, r.asset_id) in existing]
        self._write_entries(gallery, removals=removals)
        items = [{"kind": r.kind, "id": r.asset_id,
                  "status": "duplicate" if n in repeats else "removed" if (r.kind, r.asset_id) in existing else "absent"}
                 for n, r in enumerate(refs)]
        return BatchReport("remove", len(removals), items)

    def _write_entries(self, gallery: Gallery, additions: list | None = None,
                       removals: list[tuple[str, str]] | None = None, cover_if_none: str | None = None) -> None:
        """Entry writes of one request in one transaction, then the gallery itself (updated time,
        cover): a batch of 100 fills a transaction, so the gallery update follows it."""
        additions, removals = additions or [], removals or []
        if not additions and not removals:
            return
        self._galleries.apply(gallery.id, _records().GalleryEdit(entry_additions=additions, entry_removals=removals))
        fields: dict[str, Any] = {"updated_at": self._clock()}
        if gallery.cover_image_id and ("image", gallery.cover_image_id) in removals:
            fields["cover_image_id"] = None
        elif not gallery.cover_image_id and cover_if_none:
            fields["cover_image_id"] = cover_if_none
        self._galleries.update(gallery.id, **fields)
        self._release(gallery.id, [asset_id for kind, asset_id in removals if kind == "model"])
        self._reindex(gallery.id)

    def remove_entry(self, viewer: User, gallery_id: str, kind: str, asset_id: str) -> None:
        self._remove(self._managed(viewer, gallery_id), [ItemRef(kind, asset_id)])

    def bulk(self, viewer: User, gallery_id: str, action: str, refs: list[ItemRef]) -> BatchReport:
        gallery = self._managed(viewer, gallery_id, "galleryId")
        return self._add(viewer, gallery, refs) if action == "add" else self._remove(gallery, refs)

    def link_model(self, viewer: User, model_id: str, gallery_id: str, note: str | None) -> EntryView:
        """Put a model into a gallery (both managed by the caller; admins any). Already linked: 409.
        A gallery without a cover takes the model's cover."""
        model = self._assets["model"].get(model_id) if valid_id(model_id) else None
        if model is None or not can_view(viewer, model):
            raise NotFound("Model not found")
        if access(viewer, model) != FULL:
            raise Conflict("This model is in audit; it can join galleries once it is approved")
        if not can_manage(viewer, model.owner_id):
            raise Forbidden("Only the model's owner or an administrator may add it to a gallery")
        gallery = self._managed(viewer, gallery_id, "galleryId")
        if self._entries.get(gallery.id, "model", model.id) is not None:
            raise Conflict("This model is already in that gallery", field="galleryId")
        now = self._clock()
        records = _records()
        entry = records.GalleryEntry(gallery.id, "model", model.id, records.position_at(now), now, note or None)
        try:
            self._write_entries(gallery, additions=[entry], cover_if_none=model.cover_image_id)
        except Conflict:
            raise Conflict("This model is already in that gallery", field="galleryId") from None
        if model.moderation == "flagged":
            self._hold(gallery.id, [model.id])
        return self._entry_views(viewer, [entry])[0]

    def unlink_everywhere(self, kind: str, asset_id: str) -> list[str]:
        """An asset is being deleted: drop its entries everywhere and clear covers that showed it
        (its own image, or a model's cover image). Call it before deleting the record: the owner's
        galleries are searched for covers that were not entries. Returns the galleries changed."""
        asset = self._assets[kind].get(asset_id)
        touched = set(self._entries.remove_everywhere(kind, asset_id))
        gone_covers = {asset_id} if kind == "image" else {asset.cover_image_id} if asset and asset.cover_image_id else set()
        candidates = set(touched)
        if kind == "image" and asset is not None:
            candidates |= {g.id for g in self._galleries.owned_by(asset.owner_id) if g.cover_image_id == asset_id}
        now = self._clock()
        for gallery_id, gallery in self._galleries.get_many(sorted(candidates)).items():
            fields: dict[str, Any] = {"updated_at": now}
            if gallery.cover_image_id in gone_covers:
                fields["cover_image_id"] = None
            self._galleries.update(gallery_id, **fields)
            if asset_id in gallery.held_by:
                self._release(gallery_id, [asset_id])
        self._reindex(*sorted(candidates))
        return sorted(candidates)

    # -- moderation holds ------------------------------------------------------------------------
    def _change_hold(self, gallery_id: str, model_ids: list[str], held: bool) -> bool:
        """Add or drop models in a gallery's ``held_by``; True if it changed. Read, write, then verify: a
        concurrent change of the same list (another model of the gallery reviewed at the same moment)
        is re-applied."""
        wanted, changed = set(model_ids), False
        for _ in range(HOLD_RETRIES):
            gallery = self._galleries.get(gallery_id)
            if gallery is None:
                return changed
            current = set(gallery.held_by)
            if (wanted <= current) if held else not (wanted & current):
                return changed
            target = sorted(current | wanted) if held else sorted(current - wanted)
            self._galleries.update(gallery_id, held_by=target or None)
            changed = True
        return changed

    def _hold(self, gallery_id: str, model_ids: list[str]) -> None:
        if model_ids and self._change_hold(gallery_id, model_ids, held=True):
            self._reindex(gallery_id)

    def _release(self, gallery_id: str, model_ids: list[str]) -> None:
        if model_ids and self._change_hold(gallery_id, model_ids, held=False):
            self._reindex(gallery_id)

    def hold_model(self, model_id: str) -> list[str]:
        """A model went under review: hold every gallery it is in. Returns those galleries."""
        ids = self._entries.galleries_of("model", model_id)
        for gallery_id in ids:
            self._hold(gallery_id, [model_id])
        return ids

    def release_model(self, model_id: str) -> list[str]:
        """The model's review ended (approved or cleared): lift its holds."""
        ids = self._entries.galleries_of("model", model_id)
        for gallery_id in ids:
            self._release(gallery_id, [model_id])
        return ids

    def drop_removed_model(self, model_id: str) -> list[str]:
        """A model was removed by moderation: its entries leave every gallery (lifting its holds) and a
        gallery left with no entries and no children is deleted. Returns the deleted galleries."""
        deleted = []
        for gallery_id in self.unlink_everywhere("model", model_id):
            if self._entries.count(gallery_id) == 0 and not next(iter(self._galleries.children(gallery_id, page_size=1)),
                                                                 None):
                self._entries.remove_gallery(gallery_id)  # an entry added meanwhile goes with it
                self._galleries.delete(gallery_id)
                self._reindex(gallery_id)
                deleted.append(gallery_id)
        return deleted
