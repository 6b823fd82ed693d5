import { useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { createGallery, type NewGallery } from './catalogApi';
import type { GalleryDetailData, Visibility } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import { useMyGalleries } from './useMyGalleries';

interface NewGalleryDialogProps {
  onClose: () => void;
  /** Called with the gallery the API created (the caller navigates to it). */
  onCreated: (gallery: GalleryDetailData) => void;
}

/** An empty gallery made outside the upload wizard, optionally nested under one of the viewer's galleries. */
export default function NewGalleryDialog({ onClose, onCreated }: NewGalleryDialogProps) {
  const ids = { title: useId(), description: useId(), visibility: useId(), parent: useId() };
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  // The API's default: a gallery stays private until its curator decides to show it.
  const [visibility, setVisibility] = useState<Visibility>('private');
  const [parentId, setParentId] = useState('');
  const parents = useMyGalleries();
  const create = useCatalogAction((body: NewGallery) => createGallery(body), {
    success: (gallery) => `Gallery “${gallery.title}” created`,
    invalidate: [catalogKeys.galleries, catalogKeys.myGalleries()],
    onSuccess: (gallery) => onCreated(gallery),
  });

  return (
    <Dialog open title="New gallery" onClose={onClose} closeOnBackdrop={false}>
      <form
        className="catalog-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!title.trim()) return;
          create.mutate({ title: title.trim(), description, visibility, parentId: parentId || null });
        }}
      >
        <label htmlFor={ids.title}>Title</label>
        <input id={ids.title} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />
        <label htmlFor={ids.description}>Description</label>
        <textarea
          id={ids.description}
          value={description}
          rows={3}
          maxLength={1500}
          onChange={(e) => setDescription(e.target.value)}
        />
        <label htmlFor={ids.visibility}>Visibility</label>
        <select id={ids.visibility} value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
          <option value="private">Private</option>
          <option value="public">Public</option>
        </select>
        <label htmlFor={ids.parent}>Parent gallery (optional)</label>
        <select id={ids.parent} value={parentId} onChange={(e) => setParentId(e.target.value)}>
          <option value="">None (top level)</option>
          {parents.items.map((g) => (
            <option key={g.id} value={g.id}>
              {g.title}
            </option>
          ))}
        </select>
        {parents.error ? <ErrorState error={parents.error} title="Could not load your galleries" /> : null}
        {parents.hasNextPage ? (
          <button
            type="button"
            className="vs-button vs-button--small"
            disabled={parents.isFetchingNextPage}
            onClick={() => parents.fetchNextPage()}
          >
            Show more parent galleries
          </button>
        ) : null}
        <div className="catalog-form__actions">
          <button className="vs-button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="vs-button vs-button--primary" disabled={create.isPending || !title.trim()}>
            Create gallery
          </button>
        </div>
      </form>
    </Dialog>
  );
}
