import { useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { linkModelToGallery, listGalleries } from './catalogApi';
import type { ModelDetail } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import { FormActions } from './EditFields';

/** Adds a model to one of the viewer's galleries, with an optional note. */
export default function LinkGalleryDialog({ model, onClose }: { model: ModelDetail; onClose: () => void }) {
  const { user } = useAuth();
  const galleryId = useId();
  const noteId = useId();
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const galleries = useApi(['catalog', 'my-galleries', user?.id], () => listGalleries({ curator: user?.id, sort: 'name' }), {
    enabled: !!user,
  });
  const linked = new Set(model.galleries.map((g) => g.id));
  const options = (galleries.data?.data ?? []).filter((g) => !linked.has(g.id));
  const link = useCatalogAction(() => linkModelToGallery(model.id, target, note), {
    success: 'Model added to the gallery',
    invalidate: [catalogKeys.model(model.id), catalogKeys.galleries, ['catalog', 'gallery', target]],
    onSuccess: onClose,
  });

  return (
    <Dialog open title="Link to gallery" onClose={onClose}>
      <form
        className="catalog-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (target) link.mutate(undefined);
        }}
      >
        {galleries.error ? <ErrorState error={galleries.error} /> : null}
        {!galleries.isLoading && options.length === 0 ? (
          <p className="catalog-muted">
            You have no other gallery. <Link to="/upload">Create one with an upload</Link>.
          </p>
        ) : null}
        <label htmlFor={galleryId}>Gallery</label>
        <select id={galleryId} value={target} onChange={(e) => setTarget(e.target.value)} required>
          <option value="">Choose a gallery…</option>
          {options.map((g) => (
            <option key={g.id} value={g.id}>
              {g.title}
            </option>
          ))}
        </select>
        <label htmlFor={noteId}>Note (optional)</label>
        <textarea id={noteId} value={note} maxLength={600} rows={3} onChange={(e) => setNote(e.target.value)} />
        <FormActions onCancel={onClose} submitLabel="Add to gallery" submitDisabled={!target || link.isPending} />
      </form>
    </Dialog>
  );
}
