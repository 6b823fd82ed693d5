import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { addGalleryEntries, type AddEntriesReport } from './catalogApi';
import type { GalleryCard, ImageDetail } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import { useMyGalleries } from './useMyGalleries';

interface Outcome {
  gallery: GalleryCard;
  report: AddEntriesReport;
}

/** What the API's per-item report says about this image, in words. */
function describe(outcome: Outcome, imageTitle: string): string {
  const item = outcome.report.items[0];
  const where = `“${outcome.gallery.title}”`;
  if (item?.status === 'exists') return `“${imageTitle}” is already in ${where}; nothing changed.`;
  if (item?.status === 'added') return `“${imageTitle}” was added to ${where}.`;
  return `${outcome.report.added} item(s) added to ${where}.`;
}

/** Lists the viewer's galleries; choosing one adds the image to it (POST /api/galleries/{id}/entries). */
export default function AddToGalleryDialog({ image, onClose }: { image: ImageDetail; onClose: () => void }) {
  const galleries = useMyGalleries();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const inGallery = new Set(image.galleries.map((g) => g.id));
  const add = useCatalogAction(
    (gallery: GalleryCard) => addGalleryEntries(gallery.id, [{ kind: 'image', id: image.id }]),
    {
      invalidate: [catalogKeys.image(image.id), ['catalog', 'gallery'], catalogKeys.galleries, catalogKeys.myGalleries()],
      onSuccess: (report, gallery) => setOutcome({ gallery, report }),
    },
  );

  return (
    <Dialog open title="Add to gallery" onClose={onClose}>
      <div className="catalog-form">
        <p className="catalog-muted">Choose one of your galleries for “{image.title}”.</p>
        <p role="status" className="catalog-add-report">
          {outcome ? describe(outcome, image.title) : null}
        </p>
        {galleries.error ? <ErrorState error={galleries.error} title="Could not load your galleries" /> : null}
        {galleries.isLoading ? <Spinner label="Loading your galleries" /> : null}
        {!galleries.isLoading && !galleries.error && galleries.items.length === 0 ? (
          <p className="catalog-muted">
            You have no gallery yet. <Link to="/images">Create one on the Images page</Link>.
          </p>
        ) : null}
        {galleries.items.length > 0 && (
          <ul className="catalog-gallery-picker" aria-label="Your galleries">
            {galleries.items.map((g) => (
              <li key={g.id}>
                <span className="catalog-gallery-picker__name">
                  {g.title}
                  {g.visibility === 'private' ? <span className="catalog-badge">Private</span> : null}
                  {inGallery.has(g.id) ? <span className="catalog-badge">Contains this image</span> : null}
                </span>
                <button
                  type="button"
                  className="vs-button vs-button--small"
                  aria-label={`Add to ${g.title}`}
                  disabled={add.isPending}
                  onClick={() => add.mutate(g)}
                >
                  Add
                </button>
              </li>
            ))}
          </ul>
        )}
        {galleries.hasNextPage ? (
          <button
            type="button"
            className="vs-button vs-button--small"
            disabled={galleries.isFetchingNextPage}
            onClick={() => galleries.fetchNextPage()}
          >
            Show more galleries
          </button>
        ) : null}
        <div className="catalog-form__actions">
          <button className="vs-button" type="button" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </Dialog>
  );
}
