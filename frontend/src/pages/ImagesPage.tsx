import { useCallback, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { useApi, useCursorList } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { InAuditCard } from '../components/InAuditCard';
import { InfiniteSentinel } from '../components/InfiniteSentinel';
import { Spinner } from '../components/Spinner';
import { Tile } from '../components/Tile';
import { TileGrid } from '../components/TileGrid';
import { UserLink } from '../components/UserLink';
import { usePageTitle } from '../components/usePageTitle';
import FiltersBar from '../catalog/FiltersBar';
import GalleryDetail from '../catalog/GalleryDetail';
import Lightbox from '../catalog/Lightbox';
import NewGalleryDialog from '../catalog/NewGalleryDialog';
import { listGalleries, listImages, listTags } from '../catalog/catalogApi';
import {
  IMAGE_SORTS,
  activeImageFilters,
  clearFilters,
  imageQueryFromParams,
  removeFilter,
  splitTags,
  withParam,
} from '../catalog/filters';
import { isPlaceholder, type GalleryCard, type ImageCard, type InAuditPlaceholder } from '../catalog/types';
import { catalogKeys } from '../catalog/useCatalogAction';
import '../styles/catalog.css';

/** What the lightbox needs to know about where it was opened (carried in the history entry). */
interface LightboxState {
  /** Image ids of the list it was opened from, in order, for the arrows. */
  sequence?: string[];
  /** The gallery shown behind the lightbox, when opened from one. */
  galleryId?: string;
  /** Where closing returns to. */
  returnTo?: string;
}

/** /images (galleries and images), /galleries/:galleryId (gallery detail), /images/:imageId (lightbox). */
export default function ImagesPage() {
  const { galleryId, imageId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const state = (location.state ?? null) as LightboxState | null;
  const backgroundGalleryId = galleryId ?? (imageId ? state?.galleryId : undefined);

  const openImage = useCallback(
    (id: string, sequence: string[], fromGallery?: string) => {
      const returnTo = location.pathname + location.search;
      // From the explorer the query stays in the URL so the grid behind keeps its filters.
      const search = fromGallery ? '' : location.search;
      navigate(`/images/${id}${search}`, { state: { sequence, galleryId: fromGallery, returnTo } });
    },
    [location.pathname, location.search, navigate],
  );

  const sequence = state?.sequence ?? [];
  const position = imageId ? sequence.indexOf(imageId) : -1;
  const closeTo = state?.returnTo ?? (backgroundGalleryId ? `/galleries/${backgroundGalleryId}` : `/images${location.search}`);

  return (
    <>
      {backgroundGalleryId ? (
        <GalleryDetail
          galleryId={backgroundGalleryId}
          onOpenImage={(id, ids) => openImage(id, ids, backgroundGalleryId)}
        />
      ) : (
        <ImagesExplorer onOpenImage={(id, ids) => openImage(id, ids)} />
      )}
      {imageId && (
        <Lightbox
          imageId={imageId}
          previousId={position > 0 ? sequence[position - 1] : undefined}
          nextId={position >= 0 && position < sequence.length - 1 ? sequence[position + 1] : undefined}
          onNavigate={(id) => navigate(`/images/${id}${location.search}`, { replace: true, state })}
          onClose={() => navigate(closeTo)}
          onDeleted={() => {
            queryClient.removeQueries({ queryKey: catalogKeys.image(imageId) });
            navigate(closeTo, { replace: true });
          }}
        />
      )}
    </>
  );
}

function ImagesExplorer({ onOpenImage }: { onOpenImage: (imageId: string, sequence: string[]) => void }) {
  usePageTitle('Images');
  const { isCurator } = useAuth();
  const navigate = useNavigate();
  const [creatingGallery, setCreatingGallery] = useState(false);
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const query = useMemo(() => imageQueryFromParams(new URLSearchParams(search)), [search]);
  const galleryQuery = { q: query.q, curator: query.curator, sort: query.sort === 'name' ? ('name' as const) : ('newest' as const) };
  const galleries = useCursorList<GalleryCard>([...catalogKeys.galleries, galleryQuery], (cursor) =>
    listGalleries(galleryQuery, cursor),
  );
  const images = useCursorList<ImageCard | InAuditPlaceholder>([...catalogKeys.images, query], (cursor) =>
    listImages(query, cursor),
  );
  const tags = useApi(['catalog', 'tags', 'image'], () => listTags('image'));

  // Curator choices accumulate from what was shown (the API has no curator facet).
  const curators = useRef(new Map<string, string>());
  for (const item of [...images.items, ...galleries.items]) {
    if (!isPlaceholder(item) && item.owner?.id) curators.current.set(item.owner.id, item.owner.displayName ?? item.owner.id);
  }
  const update = (next: URLSearchParams) => setParams(next, { replace: true });
  const imageIds = images.items.filter((i) => !isPlaceholder(i)).map((i) => i.id);
  const tagFiltered = (query.tags ?? []).length > 0;

  return (
    <div className="catalog-page">
      <header className="catalog-page__header">
        <h1>Images</h1>
        <p className="catalog-muted">Galleries and renders shared by the curators.</p>
        {/* Curators and administrators (the API requires the CURATOR role). */}
        {isCurator && (
          <div className="catalog-model__owner-tools">
            <button type="button" className="vs-button vs-button--primary" onClick={() => setCreatingGallery(true)}>
              New gallery
            </button>
          </div>
        )}
      </header>
      {creatingGallery && (
        <NewGalleryDialog
          onClose={() => setCreatingGallery(false)}
          onCreated={(gallery) => {
            setCreatingGallery(false);
            navigate(`/galleries/${gallery.id}`);
          }}
        />
      )}
      <FiltersBar
        searchLabel="Search images"
        searchText={query.q ?? ''}
        onSearch={(text) => update(withParam(params, 'q', text.trim()))}
        sortValue={query.sort ?? 'newest'}
        sortOptions={IMAGE_SORTS}
        selects={[
          {
            param: 'curator',
            label: 'Curator',
            anyLabel: 'Any curator',
            value: query.curator ?? '',
            options: [...curators.current].map(([id, name]) => ({ value: id, label: name })),
          },
        ]}
        suggestedTags={(tags.data ?? []).map((t) => t.label)}
        activeFilters={activeImageFilters(query, (id) => curators.current.get(id))}
        onSet={(param, value) => update(withParam(params, param, value))}
        onAddTag={(tag) => update(withParam(params, 'tags', [...splitTags(params.get('tags')), tag]))}
        onRemove={(filter) => update(removeFilter(params, filter))}
        onClear={() => update(clearFilters(params))}
      />

      {/* Galleries have no tags: a tag filter narrows the images only. */}
      {!tagFiltered && (
        <section aria-labelledby="catalog-galleries-heading" className="catalog-section">
          <h2 id="catalog-galleries-heading">Galleries</h2>
          {galleries.error ? <ErrorState error={galleries.error} /> : null}
          {galleries.isLoading ? <Spinner label="Loading galleries" /> : null}
          {!galleries.isLoading && !galleries.error && galleries.items.length === 0 ? (
            <EmptyState title="No galleries found" />
          ) : null}
          <TileGrid label="Galleries">
            {galleries.items.map((g) => (
              <Tile
                key={g.id}
                title={g.title}
                image={g.cover?.grid}
                imageAlt={`Cover of ${g.title}`}
                href={`/galleries/${g.id}`}
                badges={[
                  ...(g.visibility === 'private' ? ['Private'] : []),
                  ...(g.heldForReview ? ['Held for review'] : []),
                ]}
                subtitle={<UserLink user={g.owner} />}
              />
            ))}
          </TileGrid>
          {galleries.hasNextPage ? (
            <button
              type="button"
              className="vs-button catalog-more"
              disabled={galleries.isFetchingNextPage}
              onClick={() => galleries.fetchNextPage()}
            >
              Show more galleries
            </button>
          ) : null}
        </section>
      )}

      <section aria-labelledby="catalog-images-heading" className="catalog-section">
        <h2 id="catalog-images-heading">Images</h2>
        {images.error ? <ErrorState error={images.error} /> : null}
        {images.isLoading ? <Spinner label="Loading images" /> : null}
        {!images.isLoading && !images.error && images.items.length === 0 ? (
          <EmptyState title="No images found">Try another search or remove a filter.</EmptyState>
        ) : null}
        <TileGrid label="Images">
          {images.items.map((item) =>
            isPlaceholder(item) ? (
              <InAuditCard key={item.id} title={item.title} />
            ) : (
              <Tile
                key={item.id}
                title={item.title}
                image={item.previews?.grid}
                badges={imageBadges(item)}
                subtitle={<UserLink user={item.owner} />}
                onClick={() => onOpenImage(item.id, imageIds)}
              />
            ),
          )}
        </TileGrid>
        <InfiniteSentinel
          hasNextPage={images.hasNextPage}
          isFetchingNextPage={images.isFetchingNextPage}
          fetchNextPage={images.fetchNextPage}
          label="Load more images"
        />
      </section>
    </div>
  );
}

function imageBadges(item: ImageCard): string[] {
  const badges: string[] = [];
  if (item.status !== 'ready') badges.push(item.status === 'processing' ? 'Processing' : item.status);
  if (item.visibility === 'private') badges.push('Private');
  if (item.isAdult) badges.push('Adult');
  if (item.inAudit) badges.push('In Audit');
  return badges;
}
