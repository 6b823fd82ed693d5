import { useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { updateGallery, type GalleryChanges } from './catalogApi';
import { moveItem, positionChanges } from './galleryOrder';
import type { GalleryDetailData, GalleryEntry } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import { DetailsFields, FormActions, GALLERY_TEXT, submitChanges, useDetailsDraft } from './EditFields';
import { useCoverUpload } from './useCoverUpload';

/** The API takes at most this many entry changes per save. */
const MAX_ENTRY_CHANGES = 80;

interface GalleryEditDialogProps {
  gallery: GalleryDetailData;
  /** The entries loaded so far, in gallery order (the editor reorders these). */
  entries: GalleryEntry[];
  onClose: () => void;
}

/** Title, description, visibility, entry order, cover and removals of a gallery, saved at once. */
export default function GalleryEditDialog({ gallery, entries, onClose }: GalleryEditDialogProps) {
  const coverInputId = useId();
  const editable = entries.slice(0, MAX_ENTRY_CHANGES);
  // Galleries have no tags: pass only the fields the form edits.
  const details = useDetailsDraft({ title: gallery.title, description: gallery.description, visibility: gallery.visibility });
  const [order, setOrder] = useState<GalleryEntry[]>(editable);
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const [coverId, setCoverId] = useState<string | null>(gallery.coverImageId);
  const keyOf = (e: GalleryEntry) => `${e.kind}:${e.assetId}`;
  // An uploaded cover is already the gallery's cover once it is ready: adopt it so a later save
  // does not send the previous choice back.
  const coverUpload = useCoverUpload(gallery.id, (imageId) => setCoverId(imageId));
  const coverState = coverUpload.state;

  function changes(): GalleryChanges {
    const out: GalleryChanges = details.changes();
    if (coverId && coverId !== gallery.coverImageId && !removed.has(`image:${coverId}`)) out.coverImageId = coverId;
    const kept = order.filter((e) => !removed.has(keyOf(e)));
    const keptOriginal = editable.filter((e) => !removed.has(keyOf(e)));
    const moves = positionChanges(keptOriginal, kept);
    if (moves.length) out.entries = moves;
    if (removed.size) {
      out.removeEntries = order.filter((e) => removed.has(keyOf(e))).map((e) => ({ kind: e.kind, assetId: e.assetId }));
    }
    return out;
  }

  const save = useCatalogAction((body: GalleryChanges) => updateGallery(gallery.id, body), {
    success: 'Gallery saved',
    invalidate: [catalogKeys.gallery(gallery.id), catalogKeys.galleries],
    onSuccess: onClose,
  });

  function toggleRemoved(entry: GalleryEntry) {
    const next = new Set(removed);
    if (next.has(keyOf(entry))) next.delete(keyOf(entry));
    else next.add(keyOf(entry));
    setRemoved(next);
  }

  return (
    <Dialog open title={`Edit ${gallery.title}`} onClose={onClose} size="large" closeOnBackdrop={false}>
      <form className="catalog-form" onSubmit={submitChanges(changes, save.mutate, onClose)}>
        <DetailsFields draft={details} limits={GALLERY_TEXT} />

        <h3>Cover</h3>
        <div className="catalog-cover-editor">
          {gallery.cover?.grid ? (
            <img src={gallery.cover.grid} alt={`Cover of ${gallery.title}`} className="catalog-cover-editor__thumb" />
          ) : (
            <span className="catalog-muted">No cover yet.</span>
          )}
          <label htmlFor={coverInputId} className={`vs-button${coverUpload.busy ? ' is-disabled' : ''}`}>
            Upload cover
          </label>
          <input
            id={coverInputId}
            type="file"
            className="vs-visually-hidden"
            accept="image/png,image/jpeg,image/webp,image/avif"
            disabled={coverUpload.busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void coverUpload.start(file);
            }}
          />
        </div>
        <p role="status" className={coverState.phase === 'error' ? 'catalog-error-text' : 'catalog-muted'}>
          {coverState.phase === 'uploading' ? `Uploading cover… ${coverState.percent}%` : null}
          {coverState.phase === 'processing' ? 'Processing the new cover…' : null}
          {coverState.phase === 'done' || coverState.phase === 'error' ? coverState.message : null}
        </p>

        <h3>Entries</h3>
        {entries.length > editable.length ? (
          <p className="catalog-muted">The first {editable.length} entries can be arranged here.</p>
        ) : null}
        {order.length === 0 ? <p className="catalog-muted">This gallery is empty.</p> : null}
        <ol className="catalog-entry-editor">
          {order.map((entry, index) => {
            const gone = removed.has(keyOf(entry));
            const name = entry.asset?.title ?? entry.assetId;
            return (
              <li key={keyOf(entry)} className={gone ? 'is-removed' : undefined}>
                {entry.asset?.previews?.grid ? (
                  <img src={entry.asset.previews.grid} alt="" className="catalog-entry-editor__thumb" />
                ) : (
                  <span className="catalog-entry-editor__thumb" aria-hidden="true" />
                )}
                <span className="catalog-entry-editor__name">
                  {name} <span className="catalog-muted">({entry.kind === 'model' ? 'model' : 'image'})</span>
                  {coverId === entry.assetId && entry.kind === 'image' ? <span className="catalog-badge">Cover</span> : null}
                </span>
                <span className="catalog-entry-editor__actions">
                  <button className="vs-button vs-button--small"
                    type="button"
                    aria-label={`Move ${name} up`}
                    disabled={index === 0}
                    onClick={() => setOrder(moveItem(order, index, index - 1))}
                  >
                    ↑
                  </button>
                  <button className="vs-button vs-button--small"
                    type="button"
                    aria-label={`Move ${name} down`}
                    disabled={index === order.length - 1}
                    onClick={() => setOrder(moveItem(order, index, index + 1))}
                  >
                    ↓
                  </button>
                  {entry.kind === 'image' && (
                    <button className="vs-button vs-button--small"
                      type="button"
                      aria-label={`Use ${name} as cover`}
                      aria-pressed={coverId === entry.assetId}
                      disabled={gone}
                      onClick={() => setCoverId(entry.assetId)}
                    >
                      Cover
                    </button>
                  )}
                  <button className="vs-button vs-button--small"
                    type="button"
                    aria-label={gone ? `Keep ${name}` : `Remove ${name} from the gallery`}
                    onClick={() => toggleRemoved(entry)}
                  >
                    {gone ? 'Keep' : 'Remove'}
                  </button>
                </span>
              </li>
            );
          })}
        </ol>
        <FormActions
          onCancel={onClose}
          cancelClassName="vs-button vs-button--small"
          submitLabel="Save changes"
          submitDisabled={save.isPending || coverUpload.busy || !details.title.trim()}
        />
      </form>
    </Dialog>
  );
}
