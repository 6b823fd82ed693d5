import { useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { createGallery, type NewGallery } from './catalogApi';
import type { GalleryDetailData } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import { useMyGalleries } from './useMyGalleries';
import { DetailsFields, FormActions, GALLERY_TEXT, useDetailsDraft } from './EditFields';

interface NewGalleryDialogProps {
  onClose: () => void;
  /** Called with the gallery the API created (the caller navigates to it). */
  onCreated: (gallery: GalleryDetailData) => void;
}

/** An empty gallery made outside the upload wizard, optionally nested under one of the viewer's galleries. */
export default function NewGalleryDialog({ onClose, onCreated }: NewGalleryDialogProps) {
  const parentSelectId = useId();
  // The API's default: a gallery stays private until its curator decides to show it.
  const details = useDetailsDraft({ title: '', description: '', visibility: 'private' });
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
          const title = details.title.trim();
          if (!title) return;
          const { description, visibility } = details;
          create.mutate({ title, description, visibility, parentId: parentId || null });
        }}
      >
        <DetailsFields draft={details} limits={GALLERY_TEXT} privateFirst />
        <label htmlFor={parentSelectId}>Parent gallery (optional)</label>
        <select id={parentSelectId} value={parentId} onChange={(e) => setParentId(e.target.value)}>
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
        <FormActions
          onCancel={onClose}
          submitLabel="Create gallery"
          submitDisabled={create.isPending || !details.title.trim()}
        />
      </form>
    </Dialog>
  );
}
