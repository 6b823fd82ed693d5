import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useApi, useCursorList } from '../api/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { InAuditCard } from '../components/InAuditCard';
import { InfiniteSentinel } from '../components/InfiniteSentinel';
import { Spinner } from '../components/Spinner';
import { Tile } from '../components/Tile';
import { TileGrid } from '../components/TileGrid';
import { UserLink } from '../components/UserLink';
import { usePageTitle } from '../components/usePageTitle';
import GalleryEditDialog from './GalleryEditDialog';
import { deleteGallery, getGallery, listGalleryEntries } from './catalogApi';
import type { GalleryDetailData, GalleryEntry } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import '../styles/catalog.css';

interface GalleryDetailProps {
  galleryId: string;
  /** Opens the lightbox on an image; `sequence` is the gallery's image order for the arrows. */
  onOpenImage: (imageId: string, sequence: string[]) => void;
}

/** One gallery: description, linked LoRAs, the image grid (paged) and the owner's tools. */
export default function GalleryDetail({ galleryId, onOpenImage }: GalleryDetailProps) {
  const gallery = useApi([...catalogKeys.gallery(galleryId)], () => getGallery(galleryId));
  const entries = useCursorList<GalleryEntry>([...catalogKeys.gallery(galleryId), 'entries'], (cursor) =>
    listGalleryEntries(galleryId, cursor),
  );

  if (gallery.isLoading) return <Spinner />;
  if (gallery.error || !gallery.data) {
    return (
      <div className="catalog-page">
        <ErrorState error={gallery.error} title="Could not load this gallery" />
        <Link to="/images">Back to images</Link>
      </div>
    );
  }
  return <GalleryBody gallery={gallery.data} entries={entries} onOpenImage={onOpenImage} />;
}

type EntryList = ReturnType<typeof useCursorList<GalleryEntry>>;

function GalleryBody({
  gallery,
  entries,
  onOpenImage,
}: {
  gallery: GalleryDetailData;
  entries: EntryList;
  onOpenImage: GalleryDetailProps['onOpenImage'];
}) {
  const navigate = useNavigate();
  usePageTitle(gallery.title);
  const [panel, setPanel] = useState<'none' | 'edit' | 'delete'>('none');
  const remove = useCatalogAction(() => deleteGallery(gallery.id), {
    success: `“${gallery.title}” was deleted`,
    invalidate: [catalogKeys.galleries],
    onSuccess: () => navigate('/images', { replace: true }),
  });
  const models = entries.items.filter((e) => e.kind === 'model');
  const images = entries.items.filter((e) => e.kind === 'image');
  const imageSequence = images.filter((e) => !e.asset?.placeholder).map((e) => e.assetId);

  return (
    <div className="catalog-page">
      <nav className="catalog-breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/images">Images</Link>
        {gallery.parent ? (
          <>
            {' / '}
            <Link to={`/galleries/${gallery.parent.id}`}>{gallery.parent.title}</Link>
          </>
        ) : null}
      </nav>
      <header className="catalog-page__header">
        <h1>{gallery.title}</h1>
        <p className="catalog-model__byline">
          by <UserLink user={gallery.owner} />
          {gallery.visibility === 'private' ? <span className="catalog-badge">Private</span> : null}
          {gallery.entryCount != null ? ` · ${gallery.entryCount} entries` : null}
        </p>
        {gallery.canEdit && (
          <div className="catalog-model__owner-tools" role="group" aria-label="Gallery tools">
            <Link className="vs-button" to={`/upload?galleryId=${encodeURIComponent(gallery.id)}`}>
              Upload to this gallery
            </Link>
            <button type="button" className="vs-button" onClick={() => setPanel('edit')}>
              Edit
            </button>
            <button type="button" className="vs-button vs-button--danger" onClick={() => setPanel('delete')}>
              Delete
            </button>
          </div>
        )}
      </header>
      {gallery.heldForReview ? (
        <p className="catalog-notice" role="note">
          This gallery is hidden while a linked model is reviewed by the moderators.
        </p>
      ) : null}
      {gallery.description ? <p className="catalog-gallery__description">{gallery.description}</p> : null}

      {gallery.children.length > 0 && (
        <section aria-label="Sub-galleries">
          <h2>Sub-galleries</h2>
          <ul className="catalog-link-list">
            {gallery.children.map((child) => (
              <li key={child.id}>
                <Link to={`/galleries/${child.id}`}>{child.title}</Link>
              </li>
            ))}
          </ul>
        </section>
      )}

      {models.length > 0 && (
        <section aria-label="Linked LoRAs">
          <h2>Linked LoRAs</h2>
          <TileGrid label="Linked LoRAs">
            {models.map((entry) =>
              entry.asset?.placeholder ? (
                <InAuditCard key={entry.assetId} title={entry.asset.title} />
              ) : (
                <Tile
                  key={entry.assetId}
                  title={entry.asset?.title ?? 'Model'}
                  image={entry.asset?.previews?.grid}
                  href={`/models/${entry.assetId}`}
                  subtitle={entry.note ?? undefined}
                />
              ),
            )}
          </TileGrid>
        </section>
      )}

      <section aria-label="Gallery images">
        <h2>Images</h2>
        {entries.error ? <ErrorState error={entries.error} /> : null}
        {entries.isLoading ? <Spinner /> : null}
        {!entries.isLoading && !entries.error && entries.items.length === 0 ? (
          <EmptyState title="This gallery is empty">
            {gallery.canEdit ? 'Upload images to fill it.' : 'The curator has not added anything yet.'}
          </EmptyState>
        ) : null}
        {images.length > 0 && (
          <TileGrid label={`Images in ${gallery.title}`}>
            {images.map((entry) =>
              entry.asset?.placeholder ? (
                <InAuditCard key={entry.assetId} title={entry.asset.title} />
              ) : (
                <Tile
                  key={entry.assetId}
                  title={entry.asset?.title ?? 'Image'}
                  image={entry.asset?.previews?.grid}
                  badges={entry.asset?.inAudit ? ['In Audit'] : undefined}
                  subtitle={entry.note ?? undefined}
                  onClick={() => onOpenImage(entry.assetId, imageSequence)}
                />
              ),
            )}
          </TileGrid>
        )}
        <InfiniteSentinel
          hasNextPage={entries.hasNextPage}
          isFetchingNextPage={entries.isFetchingNextPage}
          fetchNextPage={entries.fetchNextPage}
          label="Load more entries"
        />
      </section>

      {panel === 'edit' && (
        <GalleryEditDialog gallery={gallery} entries={entries.items} onClose={() => setPanel('none')} />
      )}
      {panel === 'delete' && (
        <ConfirmDialog
          open
          title={`Delete “${gallery.title}”?`}
          confirmLabel="Delete gallery"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(undefined)}
          onCancel={() => setPanel('none')}
        >
          <p>The gallery is removed. The images and models in it stay in the catalog; its sub-galleries become top-level galleries.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
