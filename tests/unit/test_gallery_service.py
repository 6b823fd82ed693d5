"""Gallery rules without I/O: nesting (cycles, depth), entry edits, cursors, paging over hidden
entries, all-or-nothing batches. The service runs on in-memory fakes of its repositories."""
from __future__ import annotations

import dataclasses
import itertools
import random

import pytest

from chalicelib.errors import Conflict, Forbidden, ItemsRejected, NotFound, ValidationError
from chalicelib.models import Gallery, ImageAsset, ModelAsset, Role, User
from chalicelib.pagination import encode_cursor
from chalicelib.repositories.catalog import GalleryEntry, entry_key, gallery_child_key, position_at
from chalicelib.services import gallery_service as gs
from chalicelib.services.gallery_service import (
    MAX_DEPTH,
    MAX_ENTRY_CHANGES,
    UNCHANGED,
    EntryChange,
    GalleryDraft,
    GalleryPatch,
    GalleryService,
    ItemRef,
    ancestry_problem,
    child_cursor_key,
    entry_cursor_key,
    reorder_problems,
)
from tests.unit.fakes import Records

# -- fakes -----------------------------------------------------------------------------------


class FakeGalleries(Records):
    def create(self, gallery):
        self.items[gallery.id] = gallery
        return True

    def delete(self, gallery_id):
        self.items.pop(gallery_id, None)

    def update(self, gallery_id, condition=None, **fields):
        if gallery_id not in self.items:
            return False
        self.items[gallery_id] = dataclasses.replace(self.items[gallery_id], **fields)
        return True

    def owned_by(self, owner_id, limit=None):
        return [g for g in self.items.values() if g.owner_id == owner_id]

    def children(self, parent_id, after=None, page_size=50):
        kids = sorted((g for g in self.items.values() if g.parent_id == parent_id),
                      key=lambda g: (g.created_at, g.id), reverse=True)
        if after is not None:
            kids = [g for g in kids if (g.created_at, g.id) < (after["createdAt"], after["id"])]
        yield from kids

    def detach_children(self, parent_id, now):
        moved = [g.id for g in self.children(parent_id)]
        for gallery_id in moved:
            self.update(gallery_id, parent_id=None, updated_at=now)
        return moved

    def apply(self, gallery_id, edit):
        self.applied.append(edit)
        if edit.fields:
            self.update(gallery_id, **edit.fields)
        for e in edit.entry_additions:
            self.entries.rows[(e.gallery_id, e.kind, e.asset_id)] = e
        for kind, asset_id, changes in edit.entry_updates:
            key = (gallery_id, kind, asset_id)
            self.entries.rows[key] = dataclasses.replace(self.entries.rows[key], **changes)
        for kind, asset_id in edit.entry_removals:
            self.entries.rows.pop((gallery_id, kind, asset_id), None)


class FakeEntries:
    def __init__(self):
        self.rows: dict[tuple[str, str, str], GalleryEntry] = {}

    def add(self, gallery_id, kind, asset_id, at, note=None):
        self.rows.setdefault((gallery_id, kind, asset_id), GalleryEntry(gallery_id, kind, asset_id, position_at(at), at, note))

    def ordered(self, gallery_id, after=None, page_size=50):
        rows = sorted((e for e in self.rows.values() if e.gallery_id == gallery_id),
                      key=lambda e: (e.position, f"{e.kind}#{e.asset_id}"))
        if after is not None:
            rows = [e for e in rows if (e.position, f"{e.kind}#{e.asset_id}") > (after["position"], after["sk"])]
        yield from rows

    def get(self, gallery_id, kind, asset_id):
        return self.rows.get((gallery_id, kind, asset_id))

    def get_many(self, gallery_id, keys):
        return {k: self.rows[(gallery_id, *k)] for k in keys if (gallery_id, *k) in self.rows}

    def count(self, gallery_id):
        return sum(1 for g, _, _ in self.rows if g == gallery_id)

    def remove_gallery(self, gallery_id):
        for key in [k for k in self.rows if k[0] == gallery_id]:
            del self.rows[key]

    def galleries_of(self, kind, asset_id, limit=None):
        return [g for g, k, a in self.rows if (k, a) == (kind, asset_id)][:limit]

    def remove_everywhere(self, kind, asset_id):
        ids = self.galleries_of(kind, asset_id)
        for gallery_id in ids:
            del self.rows[(gallery_id, kind, asset_id)]
        return ids


class FakeCatalog:
    def preview_urls(self, image):
        return {"grid": f"https://example.test/{image.id}"}


class FakeIndexer:
    def __init__(self):
        self.refreshed = []

    def refresh_or_queue(self, kind, asset_id):
        self.refreshed.append((kind, asset_id))


clock = itertools.count(1_700_000_000)


def user(role=Role.CURATOR, **kw) -> User:
    n = next(clock)
    return User(f"u{n}", f"u{n}@example.test", f"User {n}", role, "", n, n, **kw)


def image(owner: User, **kw) -> ImageAsset:
    n = next(clock)
    values = dict(status="ready", key="k", filename="f.png", visibility="public")
    values.update(kw)
    return ImageAsset(f"i{n}", owner.id, f"Image {n}", created_at=n, updated_at=n, **values)


def model(owner: User, **kw) -> ModelAsset:
    n = next(clock)
    values = dict(status="ready", visibility="public")
    values.update(kw)
    return ModelAsset(f"m{n}", owner.id, f"Model {n}", created_at=n, updated_at=n, **values)


@pytest.fixture
def world():
    galleries, entries = FakeGalleries(), FakeEntries()
    galleries.entries, galleries.applied = entries, []
    images, models, users = Records(), Records(), Records()
    service = GalleryService(galleries, entries, models, images, users, FakeCatalog(), FakeIndexer(), search=None,
                             clock=lambda: float(next(clock)))

    class World:
        pass

    w = World()
    w.service, w.galleries, w.entries, w.images, w.models, w.users = service, galleries, entries, images, models, users
    w.curator, w.other, w.admin, w.member = user(), user(), user(Role.ADMIN), user(Role.USER)
    for u in (w.curator, w.other, w.admin, w.member):
        users.items[u.id] = u

    def add_image(owner, **kw):
        i = image(owner, **kw)
        images.items[i.id] = i
        return i

    def add_model(owner, **kw):
        m = model(owner, **kw)
        models.items[m.id] = m
        return m

    def gallery(owner, **kw):
        return service.create(owner, GalleryDraft(kw.pop("title", "G"), **kw)).view.gallery

    w.add_image, w.add_model, w.gallery = add_image, add_model, gallery
    return w


def chain(n: int) -> list[Gallery]:
    """``n`` galleries g0 <- g1 <- ... (each the parent of the previous), nearest first."""
    return [Gallery(f"g{i}", "o", "t", 0, 0, parent_id=f"g{i + 1}" if i + 1 < n else None) for i in range(n)]


# -- pure rules --------------------------------------------------------------------------------
def test_self_parent_is_a_validation_error():
    problem = ancestry_problem("g0", chain(1))
    assert isinstance(problem, ValidationError) and problem.field == "parentId"


def test_parent_inside_the_gallery_is_a_cycle():
    # g0's ancestors are g1, g2: putting g2 under g0 would close the loop.
    problem = ancestry_problem("g2", chain(3))
    assert isinstance(problem, Conflict) and problem.field == "parentId"


def test_depth_limit_counts_ancestors_and_the_moved_subtree():
    assert ancestry_problem(None, chain(MAX_DEPTH - 1)) is None  # the new one lands at depth 10
    assert isinstance(ancestry_problem(None, chain(MAX_DEPTH)), ValidationError)
    assert ancestry_problem("x", chain(MAX_DEPTH - 3), subtree_height=3) is None
    assert isinstance(ancestry_problem("x", chain(MAX_DEPTH - 3), subtree_height=4), ValidationError)


def test_reorder_problems_name_every_bad_item():
    present = {("image", "a"), ("image", "b")}
    changes = [EntryChange("image", "a", 1), EntryChange("image", "zz", 2), EntryChange("image", "a", 3),
               EntryChange("image", "b", 4)]
    problems = reorder_problems(changes, [("image", "b")], present)
    assert [p["field"] for p in problems] == ["entries[1]", "entries[2]", "entries[3]"]
    assert "not an entry" in problems[0]["message"] and "twice" in problems[1]["message"]
    assert "both" in problems[2]["message"]
    assert reorder_problems([EntryChange("image", "a", 0)], [], present) == []


def test_reorder_problems_bound_the_number_of_changes():
    many = [EntryChange("image", str(n)) for n in range(MAX_ENTRY_CHANGES + 1)]
    problems = reorder_problems(many, [], {("image", str(n)) for n in range(MAX_ENTRY_CHANGES + 1)})
    assert problems[0]["field"] == "entries" and str(MAX_ENTRY_CHANGES) in problems[0]["message"]


@pytest.mark.parametrize("key", [{"position": "1", "sk": "image#a"}, {"position": True, "sk": "image#a"},
                                 {"position": -1, "sk": "image#a"}, {"position": 1, "sk": "video#a"},
                                 {"position": 1, "sk": "image#a b"}, {"position": 1}, {"sk": "image#a"},
                                 {"position": 1e16, "sk": "image#a"}])
def test_entry_cursor_keys_are_checked_before_they_reach_dynamodb(key):
    with pytest.raises(ValidationError):
        entry_cursor_key(key)


def test_entry_cursor_round_trip():
    entry = GalleryEntry("g", "model", "m1", 12.5, 0)
    assert entry_cursor_key(entry_key(entry)) == {"position": 12.5, "sk": "model#m1"}
    assert child_cursor_key(gallery_child_key(Gallery("c1", "o", "t", 5.25, 5.25))) == {"id": "c1", "createdAt": 5.25}
    with pytest.raises(ValidationError):
        child_cursor_key({"id": "../x", "createdAt": 1})


def test_appended_positions_keep_insertion_order_at_millisecond_steps():
    now = 1_700_000_000.123
    positions = [position_at(now + n / 1000) for n in range(50)]
    assert positions == sorted(set(positions))


# -- service on fakes --------------------------------------------------------------------------
def test_private_gallery_only_for_owner_and_admin(world):
    g = world.gallery(world.curator)
    assert world.service.detail(world.curator, g.id).can_edit
    assert world.service.detail(world.admin, g.id).can_edit
    for viewer in (None, world.member, world.other):
        with pytest.raises(NotFound):
            world.service.detail(viewer, g.id)


def test_cycle_is_rejected_through_the_service_and_nothing_is_written(world):
    a = world.gallery(world.curator)
    b = world.gallery(world.curator, parent_id=a.id)
    c = world.gallery(world.curator, parent_id=b.id)
    with pytest.raises(Conflict):
        world.service.update(world.curator, a.id, GalleryPatch(parent_id=c.id, title="renamed"))
    with pytest.raises(ValidationError):
        world.service.update(world.curator, a.id, GalleryPatch(parent_id=a.id))
    assert world.galleries.get(a.id).parent_id is None and world.galleries.get(a.id).title == "G"


def test_moving_a_deep_subtree_respects_the_depth_limit(world):
    top = world.gallery(world.curator)
    parent = top
    for _ in range(MAX_DEPTH - 1):  # a chain 10 deep
        parent = world.gallery(world.curator, parent_id=parent.id)
    with pytest.raises(ValidationError):
        world.gallery(world.curator, parent_id=parent.id)
    other_top = world.gallery(world.curator)
    with pytest.raises(ValidationError):  # top's subtree is 10 deep: under anything it would be 11
        world.service.update(world.curator, top.id, GalleryPatch(parent_id=other_top.id))
    edit = world.galleries.applied[-1] if world.galleries.applied else None
    assert edit is None or "parent_id" not in edit.fields


def test_parent_must_be_manageable(world):
    theirs = world.gallery(world.other, visibility="public")
    with pytest.raises(Forbidden):
        world.gallery(world.curator, parent_id=theirs.id)
    private = world.gallery(world.other)
    with pytest.raises(NotFound):
        world.gallery(world.curator, parent_id=private.id)
    assert world.gallery(world.admin, parent_id=private.id).parent_id == private.id


def test_re_parenting_records_the_ancestors_for_the_transaction(world):
    a = world.gallery(world.curator)
    b = world.gallery(world.curator, parent_id=a.id)
    c = world.gallery(world.curator)
    world.service.update(world.curator, c.id, GalleryPatch(parent_id=b.id))
    assert world.galleries.applied[-1].expect_parents == {b.id: a.id, a.id: None}


def test_entry_pages_skip_hidden_entries_without_gaps_or_duplicates(world):
    g = world.gallery(world.curator, visibility="public")
    rng = random.Random(7)
    expected = []
    for n in range(60):
        hidden = rng.random() < 0.4
        owner = world.other if hidden else world.curator
        asset = world.add_image(owner, visibility="private" if hidden else "public")
        world.entries.add(g.id, "image", asset.id, 1_700_000_000 + n)
        if not hidden:
            expected.append(asset.id)
    for page_size in (1, 4, 7, 100):
        seen, cursor = [], None
        for _ in range(200):
            page, cursor = world.service.entries_page(world.member, g.id, cursor, page_size)
            assert len(page) <= page_size
            seen += [v.asset.id for v in page]
            if cursor is None:
                break
        assert seen == expected, page_size


def test_a_page_of_only_hidden_entries_is_short_but_resumable(world):
    g = world.gallery(world.curator, visibility="public")
    for n in range(30):
        world.entries.add(g.id, "image", world.add_image(world.other, visibility="private").id, 1_700_000_000 + n)
    shown = world.add_image(world.curator)
    world.entries.add(g.id, "image", shown.id, 1_700_000_100)
    page, cursor = world.service.entries_page(None, g.id, None, 5)  # examines at most 15
    assert page == [] and cursor is not None
    found = []
    while cursor:
        page, cursor = world.service.entries_page(None, g.id, cursor, 5)
        found += [v.asset.id for v in page]
    assert found == [shown.id]


def test_cursor_of_another_gallery_is_refused(world):
    g1, g2 = world.gallery(world.curator), world.gallery(world.curator)
    cursor = encode_cursor({"position": 1, "sk": "image#x"}, {"list": "gallery-entries", "gallery": g1.id})
    with pytest.raises(ValidationError):
        world.service.entries_page(world.curator, g2.id, cursor, 10)


def test_batch_add_is_all_or_nothing_with_a_report(world):
    g = world.gallery(world.curator)
    mine, theirs = world.add_image(world.curator), world.add_image(world.other)
    refs = [ItemRef("image", mine.id), ItemRef("image", theirs.id), ItemRef("model", "nope")]
    with pytest.raises(ItemsRejected) as e:
        world.service.add_entries(world.curator, g.id, refs)
    assert e.value.status == 403
    assert [(d["field"], d["code"]) for d in e.value.details] == [("items[1]", "FORBIDDEN"), ("items[2]", "NOT_FOUND")]
    assert world.entries.rows == {}
    report = world.service.add_entries(world.admin, g.id, refs[:2])  # administrators may add anything
    assert report.count == 2 and [i["status"] for i in report.items] == ["added", "added"]


def test_batch_add_is_idempotent_and_reports_repeats(world):
    g = world.gallery(world.curator)
    a, b = world.add_image(world.curator), world.add_model(world.curator)
    refs = [ItemRef("image", a.id), ItemRef("model", b.id), ItemRef("image", a.id)]
    first = world.service.add_entries(world.curator, g.id, refs)
    assert [i["status"] for i in first.items] == ["added", "added", "duplicate"]
    again = world.service.add_entries(world.curator, g.id, refs)
    assert again.count == 0 and [i["status"] for i in again.items] == ["exists", "exists", "duplicate"]
    assert [(e.kind, e.asset_id) for e in world.entries.ordered(g.id)] == [("image", a.id), ("model", b.id)]


def test_patch_validates_everything_before_writing(world):
    g = world.gallery(world.curator)
    a = world.add_image(world.curator)
    world.service.add_entries(world.curator, g.id, [ItemRef("image", a.id)])
    writes = len(world.galleries.applied)
    with pytest.raises(ValidationError) as e:
        world.service.update(world.curator, g.id, GalleryPatch(title="new", entries=[
            EntryChange("image", a.id, 0), EntryChange("model", "ghost", 1)]))
    assert e.value.details[0]["field"] == "entries[1]"
    assert len(world.galleries.applied) == writes and world.galleries.get(g.id).title == "G"


def test_notes_set_keep_and_clear(world):
    g = world.gallery(world.curator)
    a = world.add_image(world.curator)
    world.service.add_entries(world.curator, g.id, [ItemRef("image", a.id, note="first")])
    world.service.update(world.curator, g.id, GalleryPatch(entries=[EntryChange("image", a.id, 5)]))
    assert world.entries.get(g.id, "image", a.id).note == "first"
    world.service.update(world.curator, g.id, GalleryPatch(entries=[EntryChange("image", a.id, note=None)]))
    assert world.entries.get(g.id, "image", a.id).note is None and world.entries.get(g.id, "image", a.id).position == 5


def test_cover_rules(world):
    g = world.gallery(world.curator, visibility="public")
    own, theirs = world.add_image(world.curator), world.add_image(world.other)
    with pytest.raises(ValidationError):  # someone else's image that is not an entry
        world.service.update(world.curator, g.id, GalleryPatch(cover_image_id=theirs.id))
    world.service.add_entries(world.admin, g.id, [ItemRef("image", theirs.id)])
    world.service.update(world.curator, g.id, GalleryPatch(cover_image_id=theirs.id))
    assert world.galleries.get(g.id).cover_image_id == theirs.id
    world.service.update(world.curator, g.id, GalleryPatch(remove_entries=[("image", theirs.id)]))
    assert world.galleries.get(g.id).cover_image_id is None  # the cover left with its entry
    world.service.update(world.curator, g.id, GalleryPatch(cover_image_id=own.id))  # the owner's own image
    world.service.update(world.curator, g.id, GalleryPatch(cover_image_id=None))
    assert world.galleries.get(g.id).cover_image_id is None


def test_ownership_transfer_is_for_administrators_and_curators_only(world):
    g = world.gallery(world.curator)
    with pytest.raises(Forbidden):
        world.service.update(world.curator, g.id, GalleryPatch(owner_id=world.other.id))
    with pytest.raises(ValidationError):
        world.service.update(world.admin, g.id, GalleryPatch(owner_id=world.member.id))
    with pytest.raises(ValidationError):
        world.service.update(world.admin, g.id, GalleryPatch(owner_id="missing"))
    world.service.update(world.admin, g.id, GalleryPatch(owner_id=world.other.id))
    assert world.galleries.get(g.id).owner_id == world.other.id


def test_delete_keeps_assets_and_lifts_children(world):
    g = world.gallery(world.curator)
    child = world.gallery(world.curator, parent_id=g.id)
    a = world.add_image(world.curator)
    world.service.add_entries(world.curator, g.id, [ItemRef("image", a.id)])
    world.service.delete(world.curator, g.id)
    assert world.galleries.get(g.id) is None and world.galleries.get(child.id).parent_id is None
    assert world.entries.rows == {} and world.images.get(a.id) is not None


def test_link_model_sets_a_missing_cover_and_refuses_twice(world):
    cover = world.add_image(world.curator)
    m = world.add_model(world.curator, cover_image_id=cover.id)
    g = world.gallery(world.curator)
    view = world.service.link_model(world.curator, m.id, g.id, "why")
    assert view.entry.note == "why" and world.galleries.get(g.id).cover_image_id == cover.id
    with pytest.raises(Conflict):
        world.service.link_model(world.curator, m.id, g.id, None)
    with pytest.raises(Forbidden):
        world.service.link_model(world.other, m.id, world.gallery(world.other).id, None)


def test_unlink_everywhere_clears_entries_and_covers(world):
    a = world.add_image(world.curator)
    g1, g2 = world.gallery(world.curator), world.gallery(world.curator, cover_image_id=a.id)
    world.service.add_entries(world.curator, g1.id, [ItemRef("image", a.id)])
    world.service.update(world.curator, g1.id, GalleryPatch(cover_image_id=a.id))
    changed = world.service.unlink_everywhere("image", a.id)
    assert set(changed) == {g1.id, g2.id}
    assert world.galleries.get(g1.id).cover_image_id is None and world.galleries.get(g2.id).cover_image_id is None
    assert world.entries.rows == {}


def test_linked_galleries_are_filtered_by_visibility(world):
    a = world.add_image(world.curator)
    public, private = world.gallery(world.curator, visibility="public"), world.gallery(world.curator)
    for g in (public, private):
        world.service.add_entries(world.curator, g.id, [ItemRef("image", a.id)])
    assert [g.id for g in world.service.linked_galleries(None, "image", a.id)] == [public.id]
    assert {g.id for g in world.service.linked_galleries(world.curator, "image", a.id)} == {public.id, private.id}


def test_unchanged_marker_is_distinct_from_null():
    assert gs.GalleryPatch().cover_image_id is UNCHANGED and UNCHANGED is not None
