import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useCursorList } from '../api/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { bulkDeleteAssets, listAssets, setAssetVisibility, type AssetFilter } from './adminApi';
import BulkMetadataDialog from './BulkMetadataDialog';
import type { AssetCard, AssetKind, AssetListItem, Visibility } from './types';
import { useAdminAction } from './useAdminAction';
import { ListBody, LoadMoreButton, useSelection } from './ListParts';

const MAX_BULK = 100;

const WORDS = {
  model: { title: 'Models', one: 'model', many: 'models', route: '/models' },
  image: { title: 'Images', one: 'image', many: 'images', route: '/images' },
} as const;

/** The models or images library as thumbnails, with selection, bulk tools and visibility toggles. */
export default function AssetsSection({ kind }: { kind: AssetKind }) {
  const words = WORDS[kind];
  const [searchText, setSearchText] = useState('');
  const [filter, setFilter] = useState<AssetFilter>({ q: '', visibility: '' });
  const listKey = ['admin', 'assets', kind];
  const list = useCursorList<AssetListItem>([...listKey, filter], (cursor) => listAssets(kind, filter, cursor));
  const { selected, setSelected, toggle } = useSelection();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [editingMetadata, setEditingMetadata] = useState(false);

  const remove = useAdminAction(() => bulkDeleteAssets(kind, [...selected]), {
    success: (r) => `Deleted ${r.deletedCount} ${r.deletedCount === 1 ? words.one : words.many}`,
    invalidate: [listKey],
    onSuccess: () => {
      setSelected(new Set());
      setConfirmDelete(false);
    },
  });

  function search(event: FormEvent) {
    event.preventDefault();
    setFilter((f) => ({ ...f, q: searchText.trim() }));
    setSelected(new Set());
  }

  const items = list.items;
  return (
    <section aria-labelledby={`admin-${kind}-title`}>
      <div className="admin-section-head">
        <h2 id={`admin-${kind}-title`}>{words.title}</h2>
      </div>
      <div className="admin-toolbar">
        <form role="search" className="admin-inline-form" onSubmit={search}>
          <label className="admin-field">
            <span className="admin-field__label">Search {words.many}</span>
            <input type="search" value={searchText} onChange={(e) => setSearchText(e.target.value)} />
          </label>
          <button className="vs-button" type="submit">Search</button>
        </form>
        <label className="admin-field">
          <span className="admin-field__label">Visibility</span>
          <select
            value={filter.visibility ?? ''}
            onChange={(e) => {
              setFilter((f) => ({ ...f, visibility: e.target.value as Visibility | '' }));
              setSelected(new Set());
            }}
          >
            <option value="">Public and private</option>
            <option value="public">Public only</option>
            <option value="private">Private only</option>
          </select>
        </label>
      </div>

      <div className="admin-bulkbar" role="region" aria-label="Bulk actions">
        <span aria-live="polite">
          {selected.size} of {items.length} selected
          {selected.size >= MAX_BULK && ` (at most ${MAX_BULK} at a time)`}
        </span>
        <button className="vs-button"
          type="button"
          disabled={items.length === 0}
          onClick={() => setSelected(new Set(items.slice(0, MAX_BULK).map((item) => item.id)))}
        >
          Select all shown
        </button>
        <button className="vs-button" type="button" disabled={selected.size === 0} onClick={() => setSelected(new Set())}>
          Clear selection
        </button>
        {kind === 'model' && (
          <button className="vs-button" type="button" disabled={selected.size === 0} onClick={() => setEditingMetadata(true)}>
            Edit metadata
          </button>
        )}
        <button
          type="button"
          className="vs-button vs-button--danger"
          disabled={selected.size === 0}
          onClick={() => setConfirmDelete(true)}
        >
          Delete selected
        </button>
      </div>

      <ListBody list={list} isEmpty={items.length === 0} empty={<EmptyState title={`No ${words.many} match`} />}>
        <ul className="admin-grid" aria-label={words.title}>
          {items.map((item) => (
            <AssetTile
              key={item.id}
              kind={kind}
              item={item}
              route={words.route}
              selected={selected.has(item.id)}
              selectable={selected.has(item.id) || selected.size < MAX_BULK}
              onSelect={(on) => toggle(item.id, on)}
              invalidateKey={listKey}
            />
          ))}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label={`Load more ${words.many}`} />

      {confirmDelete && (
        <ConfirmDialog
          open
          title={`Delete ${selected.size} ${selected.size === 1 ? words.one : words.many}`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(undefined)}
          onCancel={() => setConfirmDelete(false)}
        >
          <p>
            The selected {selected.size === 1 ? words.one : words.many}, with {kind === 'model' ? 'every version and ' : ''}
            their files, are deleted for good. Galleries keep their other entries.
          </p>
        </ConfirmDialog>
      )}
      {editingMetadata && (
        <BulkMetadataDialog
          modelIds={[...selected]}
          onClose={() => setEditingMetadata(false)}
          invalidateKey={listKey}
        />
      )}
    </section>
  );
}

interface AssetTileProps {
  kind: AssetKind;
  item: AssetListItem;
  route: string;
  selected: boolean;
  selectable: boolean;
  onSelect: (on: boolean) => void;
  invalidateKey: unknown[];
}

function AssetTile({ kind, item, route, selected, selectable, onSelect, invalidateKey }: AssetTileProps) {
  const card = item.placeholder ? null : (item as AssetCard);
  const toggleVisibility = useAdminAction((next: Visibility) => setAssetVisibility(kind, item.id, next), {
    success: (_, next) => `${item.title} is now ${next}`,
    invalidate: [invalidateKey],
  });
  const thumbnail = card?.previews?.grid ?? card?.previews?.preview;
  // While the change (and the list refresh after it) runs, show the state being set.
  const shown = toggleVisibility.isPending ? toggleVisibility.variables : card?.visibility;

  return (
    <li className={selected ? 'admin-tile is-selected' : 'admin-tile'}>
      <label className="admin-tile__select">
        <input type="checkbox" checked={selected} disabled={!selectable} onChange={(e) => onSelect(e.target.checked)} />
        <span className="vs-visually-hidden">Select {item.title}</span>
      </label>
      <Link to={`${route}/${item.id}`} className="admin-tile__media">
        {thumbnail ? (
          <img src={thumbnail} alt={item.title} loading="lazy" />
        ) : (
          <span className="admin-tile__noimage">{card?.status === 'processing' ? 'Processing…' : 'No preview'}</span>
        )}
      </Link>
      <div className="admin-tile__body">
        <span className="admin-tile__title" title={item.title}>
          {item.title}
        </span>
        {card && <span className="admin-muted admin-ellipsis">{card.owner.displayName ?? 'Deleted user'}</span>}
        <div className="admin-badges">
          {(item.inAudit || card?.moderation === 'flagged') && <span className="admin-badge is-warn">In audit</span>}
          {card?.moderation === 'removed' && <span className="admin-badge is-danger">Removed</span>}
          {card?.isAdult && <span className="admin-badge">Adult</span>}
          {card && card.status !== 'ready' && <span className="admin-badge">{card.status}</span>}
          {card?.type && <span className="admin-badge">{card.type}</span>}
        </div>
        {card && shown && (
          <label className="admin-switch">
            <input
              type="checkbox"
              role="switch"
              checked={shown === 'public'}
              disabled={toggleVisibility.isPending}
              aria-label={`Public: ${item.title}`}
              onChange={(e) => toggleVisibility.mutate(e.target.checked ? 'public' : 'private')}
            />
            <span aria-hidden="true">{shown === 'public' ? 'Public' : 'Private'}</span>
          </label>
        )}
      </div>
    </li>
  );
}
