import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { formatDateTime } from '../admin/format';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { InAuditCard } from '../components/InAuditCard';
import { Spinner } from '../components/Spinner';
import { UserLink } from '../components/UserLink';
import AddToGalleryDialog from './AddToGalleryDialog';
import CommentsRail from './CommentsRail';
import FlagDialog from './FlagDialog';
import ImageEditDialog from './ImageEditDialog';
import LikeButton from './LikeButton';
import { deleteImage, getImage } from './catalogApi';
import { formatBytes } from './filters';
import { isPlaceholder, type ImageDetail } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import '../styles/catalog.css';

interface LightboxProps {
  imageId: string;
  /** Neighbours in the list the image was opened from (arrows and buttons step through them). */
  previousId?: string;
  nextId?: string;
  onNavigate: (imageId: string) => void;
  onClose: () => void;
  onDeleted: () => void;
}

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** The enlarged image with its generation data, linked models, likes and the comments rail. */
export default function Lightbox({ imageId, previousId, nextId, onNavigate, onClose, onDeleted }: LightboxProps) {
  const image = useApi([...catalogKeys.image(imageId)], () => getImage(imageId));

  // Left/right step through the list unless the viewer is typing (a comment, say) or a dialog
  // opened from the lightbox (edit, flag) has the focus.
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
      const dialogs = document.querySelectorAll('[role="dialog"]');
      const top = dialogs[dialogs.length - 1];
      if (top && !top.classList.contains('catalog-lightbox')) return;
      if (event.key === 'ArrowLeft' && previousId) {
        event.preventDefault();
        onNavigate(previousId);
      } else if (event.key === 'ArrowRight' && nextId) {
        event.preventDefault();
        onNavigate(nextId);
      }
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [previousId, nextId, onNavigate]);

  const data = image.data;
  const title = data?.title ?? (image.isLoading ? 'Loading image' : 'Image unavailable');

  return (
    <Dialog open title={title} onClose={onClose} size="full" className="catalog-lightbox">
      <div className="catalog-lightbox__nav">
        <button className="vs-button" type="button" onClick={() => previousId && onNavigate(previousId)} disabled={!previousId}>
          <span aria-hidden="true">←</span> Previous image
        </button>
        <button className="vs-button" type="button" onClick={() => nextId && onNavigate(nextId)} disabled={!nextId}>
          Next image <span aria-hidden="true">→</span>
        </button>
      </div>
      {image.isLoading ? <Spinner /> : null}
      {image.error ? <ErrorState error={image.error} /> : null}
      {data && isPlaceholder(data) ? (
        <>
          <InAuditCard title={data.title} as="div" />
          <p className="catalog-muted">
            This image is being reviewed by the moderators. It is hidden from everyone else until they decide.
          </p>
        </>
      ) : null}
      {data && !isPlaceholder(data) ? <LightboxBody image={data} onDeleted={onDeleted} /> : null}
    </Dialog>
  );
}

/** Pixel-art sized renders: enlarging them many times over reads better with hard pixel edges. */
const TINY_IMAGE_EDGE = 128;

function isTinyImage(image: ImageDetail): boolean {
  return !!image.width && !!image.height && Math.max(image.width, image.height) <= TINY_IMAGE_EDGE;
}

type Panel = 'none' | 'edit' | 'flag' | 'delete' | 'add-to-gallery';

function LightboxBody({ image, onDeleted }: { image: ImageDetail; onDeleted: () => void }) {
  const { user, isCurator } = useAuth();
  const [panel, setPanel] = useState<Panel>('none');
  // Owners and administrators (canEdit) who may also manage galleries (the entries API needs CURATOR).
  const canAddToGallery = image.canEdit && isCurator;
  const canFlag = !!user && user.id !== image.owner?.id;
  const remove = useCatalogAction(() => deleteImage(image.id), {
    success: `“${image.title}” was deleted`,
    invalidate: [catalogKeys.images, ['catalog', 'gallery']],
    onSuccess: onDeleted,
  });
  const parameters = Object.entries(image.parameters ?? {});

  return (
    <div className="catalog-lightbox__layout">
      <figure className="catalog-lightbox__figure">
        {image.previews?.preview ? (
          <img
            src={image.previews.preview}
            alt={image.title}
            // The intrinsic size reserves the right box before the file loads; CSS scales it to fit.
            width={image.width ?? undefined}
            height={image.height ?? undefined}
            className={isTinyImage(image) ? 'catalog-lightbox__image is-tiny' : 'catalog-lightbox__image'}
          />
        ) : (
          <div className="catalog-model__no-preview">{image.status === 'ready' ? 'No preview' : 'Processing…'}</div>
        )}
      </figure>

      <div className="catalog-lightbox__side">
        <p className="catalog-model__byline">
          {image.owner ? (
            <>
              by <UserLink user={image.owner} />
            </>
          ) : null}{' '}
          · {formatDateTime(image.createdAt)}
          {image.visibility === 'private' ? <span className="catalog-badge">Private</span> : null}
          {image.isAdult ? <span className="catalog-badge">Adult</span> : null}
          {image.inAudit ? <span className="catalog-badge catalog-badge--warn">In Audit</span> : null}
        </p>
        <div className="catalog-model__actions">
          <LikeButton kind="image" assetId={image.id} initialCount={image.likes} />
          {canFlag && (
            <button className="vs-button" type="button" onClick={() => setPanel('flag')}>
              Flag
            </button>
          )}
          {canAddToGallery && (
            <button className="vs-button" type="button" onClick={() => setPanel('add-to-gallery')}>
              Add to gallery
            </button>
          )}
          {image.canEdit && (
            <>
              <button className="vs-button" type="button" onClick={() => setPanel('edit')}>
                Edit
              </button>
              <button type="button" className="vs-button vs-button--danger" onClick={() => setPanel('delete')}>
                Delete
              </button>
            </>
          )}
        </div>
        {image.description ? <p>{image.description}</p> : null}

        <section aria-label="Generation data" className="catalog-lightbox__meta">
          <h3>Prompt</h3>
          <p className="catalog-prompt">{image.prompt || <span className="catalog-muted">No prompt recorded.</span>}</p>
          {image.negativePrompt ? (
            <>
              <h3>Negative prompt</h3>
              <p className="catalog-prompt">{image.negativePrompt}</p>
            </>
          ) : null}
          <h3>Parameters</h3>
          <table className="catalog-meta-table">
            <tbody>
              {parameters.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</td>
                </tr>
              ))}
              {image.source ? (
                <tr>
                  <th scope="row">Source</th>
                  <td>{image.source}</td>
                </tr>
              ) : null}
              <tr>
                <th scope="row">Dimensions</th>
                <td>{image.width && image.height ? `${image.width} × ${image.height}` : '—'}</td>
              </tr>
              <tr>
                <th scope="row">File</th>
                <td>
                  {image.mime ?? '—'}, {formatBytes(image.size)}
                </td>
              </tr>
            </tbody>
          </table>
        </section>

        <section aria-label="Linked resources">
          <h3>Linked resources</h3>
          {image.resources.length ? (
            <ul className="catalog-link-list">
              {image.resources.map((r) => (
                <li key={r.versionId}>
                  <Link to={`/models/${r.modelId}`}>{r.modelTitle}</Link>{' '}
                  <span className="catalog-muted">{r.versionName}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="catalog-muted">No models linked.</p>
          )}
        </section>

        {image.tags.length > 0 && (
          <section aria-label="Tags">
            <h3>Tags</h3>
            <ul className="catalog-chip-list">
              {image.tags.map((tag) => (
                <li key={tag}>
                  <Link className="catalog-tag" to={`/images?tags=${encodeURIComponent(tag)}`}>
                    {tag}
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        )}

        {image.galleries.length > 0 && (
          <section aria-label="Galleries">
            <h3>In galleries</h3>
            <ul className="catalog-link-list">
              {image.galleries.map((g) => (
                <li key={g.id}>
                  <Link to={`/galleries/${g.id}`}>{g.title}</Link>
                </li>
              ))}
            </ul>
          </section>
        )}

        <CommentsRail kind="image" assetId={image.id} collapsible />
      </div>

      {panel === 'add-to-gallery' && <AddToGalleryDialog image={image} onClose={() => setPanel('none')} />}
      {panel === 'edit' && <ImageEditDialog image={image} onClose={() => setPanel('none')} />}
      {panel === 'flag' && (
        <FlagDialog kind="image" assetId={image.id} assetTitle={image.title} onClose={() => setPanel('none')} />
      )}
      {panel === 'delete' && (
        <ConfirmDialog
          open
          title={`Delete “${image.title}”?`}
          confirmLabel="Delete image"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(undefined)}
          onCancel={() => setPanel('none')}
        >
          <p>The image, its comments and likes are removed and it leaves every gallery.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
