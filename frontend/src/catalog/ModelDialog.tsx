import { useEffect, useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { useAuthDialogs } from '../components/AuthDialogs';
import { formatDateTime } from '../admin/format';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { InAuditCard } from '../components/InAuditCard';
import { Spinner } from '../components/Spinner';
import { useToast } from '../components/Toast';
import { UserLink } from '../components/UserLink';
import CommentsRail from './CommentsRail';
import FlagDialog from './FlagDialog';
import LikeButton from './LikeButton';
import LinkGalleryDialog from './LinkGalleryDialog';
import ModelEditDialog from './ModelEditDialog';
import VersionManager from './VersionManager';
import { deleteModel, downloadUrl, getModel } from './catalogApi';
import { MODEL_TYPES, formatBytes } from './filters';
import { isPlaceholder, type ModelDetail, type ModelVersion } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import '../styles/catalog.css';

interface ModelDialogProps {
  modelId: string;
  onClose: () => void;
  /** After a delete the dialog closes and the explorer refreshes. */
  onDeleted: () => void;
}

type OpenPanel = 'none' | 'edit' | 'flag' | 'link' | 'delete';

/** The model detail over the explorer: versions, trigger, download, metadata, community, owner tools. */
export default function ModelDialog({ modelId, onClose, onDeleted }: ModelDialogProps) {
  const model = useApi([...catalogKeys.model(modelId)], () => getModel(modelId));
  const data = model.data;
  const title = data?.title ?? (model.isLoading ? 'Loading model' : 'Model unavailable');

  // One dialog for every state, so focus and the opener are kept while the model loads.
  return (
    <Dialog open title={title} onClose={onClose} size="large" className="catalog-model-dialog">
      {model.isLoading ? <Spinner label="Loading model" /> : null}
      {model.error ? <ErrorState error={model.error} title="Could not load this model" /> : null}
      {data && isPlaceholder(data) ? (
        <>
          <InAuditCard title={data.title} as="div" />
          <p className="catalog-muted">
            This model is being reviewed by the moderators. It is hidden from everyone else until they decide.
          </p>
        </>
      ) : null}
      {data && !isPlaceholder(data) ? <ModelDialogBody model={data} onDeleted={onDeleted} /> : null}
    </Dialog>
  );
}

function ModelDialogBody({ model, onDeleted }: { model: ModelDetail; onDeleted: () => void }) {
  const { user } = useAuth();
  const { openLogin } = useAuthDialogs();
  const toast = useToast();
  const versionSelectId = useId();
  const [panel, setPanel] = useState<OpenPanel>('none');
  const primaryId = model.primaryVersionId ?? model.versions[0]?.id ?? '';
  const [versionId, setVersionId] = useState(primaryId);
  // A promoted or removed version changes the list under the selection: fall back to the primary one.
  useEffect(() => {
    if (!model.versions.some((v) => v.id === versionId)) setVersionId(primaryId);
  }, [model.versions, versionId, primaryId]);
  const version = model.versions.find((v) => v.id === versionId) ?? model.versions[0];
  const isOwner = !!user && user.id === model.owner?.id;
  const canFlag = !!user && !isOwner;

  const remove = useCatalogAction(() => deleteModel(model.id), {
    success: `“${model.title}” was deleted`,
    invalidate: [catalogKeys.models],
    onSuccess: onDeleted,
  });

  async function download() {
    if (!version) return;
    try {
      // The API answers with a short-lived signed URL; following it starts the (attachment) download.
      window.location.assign(await downloadUrl(model.id, version.id));
    } catch (error) {
      toast.error(error);
    }
  }

  async function copyTrigger() {
    try {
      await navigator.clipboard.writeText(model.trigger.copyText);
      toast.success('Trigger words copied');
    } catch {
      toast.error('The browser did not allow copying; select the words instead');
    }
  }

  return (
    <>
      <div className="catalog-model">
        <div className="catalog-model__media">
          {model.previews?.preview ? (
            <img src={model.previews?.preview} alt={`Preview of ${model.title}`} className="catalog-model__preview" />
          ) : (
            <div className="catalog-model__no-preview">No preview yet</div>
          )}
          <div className="catalog-model__actions">
            <LikeButton kind="model" assetId={model.id} initialCount={model.likes} />
            {user ? (
              <button type="button" className="vs-button vs-button--primary" onClick={download} disabled={!version || version.status !== 'ready'}>
                Download
              </button>
            ) : (
              <button type="button" className="vs-button" onClick={openLogin}>
                Sign in to download
              </button>
            )}
            {canFlag && (
              <button className="vs-button" type="button" onClick={() => setPanel('flag')}>
                Flag
              </button>
            )}
          </div>
          {model.canEdit && (
            <div className="catalog-model__owner-tools" role="group" aria-label="Owner tools">
              <button className="vs-button" type="button" onClick={() => setPanel('edit')}>
                Edit
              </button>
              <Link className="vs-button" to={`/upload?modelId=${encodeURIComponent(model.id)}`}>
                Upload new version
              </Link>
              <button className="vs-button" type="button" onClick={() => setPanel('link')}>
                Link to gallery
              </button>
              <button type="button" className="vs-button vs-button--danger" onClick={() => setPanel('delete')}>
                Delete
              </button>
            </div>
          )}
        </div>

        <div className="catalog-model__info">
          <p className="catalog-model__byline">
            {MODEL_TYPES.find((t) => t.value === model.type)?.label ?? model.type}
            {model.baseModel ? ` · ${model.baseModel}` : ''} · {model.owner ? <>by <UserLink user={model.owner} /></> : null}
            {model.visibility === 'private' ? <span className="catalog-badge">Private</span> : null}
            {model.isAdult ? <span className="catalog-badge">Adult</span> : null}
            {model.inAudit ? <span className="catalog-badge catalog-badge--warn">In Audit</span> : null}
          </p>
          {model.description ? <p className="catalog-model__description">{model.description}</p> : null}

          {model.versions.length > 0 && (
            <div className="catalog-field-inline">
              <label htmlFor={versionSelectId}>Version</label>
              <select id={versionSelectId} value={version?.id} onChange={(e) => setVersionId(e.target.value)}>
                {model.versions.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                    {v.isPrimary ? ' (primary)' : ''}
                    {v.status !== 'ready' ? ` — ${v.status}` : ''}
                  </option>
                ))}
              </select>
            </div>
          )}

          <section className="catalog-trigger" aria-label="Trigger words">
            <h3>Trigger words</h3>
            {model.trigger.words.length ? (
              <>
                <ul className="catalog-chip-list">
                  {model.trigger.words.map((word) => (
                    <li key={word}>
                      <code>{word}</code>
                    </li>
                  ))}
                </ul>
                <button className="vs-button" type="button" onClick={copyTrigger}>
                  Copy trigger words
                </button>
              </>
            ) : (
              <p className="catalog-muted">This model needs no trigger words.</p>
            )}
          </section>

          {model.tags.length > 0 && (
            <section aria-label="Tags">
              <h3>Tags</h3>
              <ul className="catalog-chip-list">
                {model.tags.map((tag) => (
                  <li key={tag}>
                    <Link className="catalog-tag" to={`/models?tags=${encodeURIComponent(tag)}`}>
                      {tag}
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          )}

          {version && <VersionTable model={model} version={version} />}

          {model.datasetTags.length > 0 && <DatasetTags tags={model.datasetTags} />}

          <section aria-label="Linked galleries">
            <h3>Linked galleries</h3>
            {model.galleries.length ? (
              <ul className="catalog-link-list">
                {model.galleries.map((g) => (
                  <li key={g.id}>
                    <Link to={`/galleries/${g.id}`}>{g.title}</Link>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="catalog-muted">Not in any gallery yet.</p>
            )}
          </section>

          {model.canEdit && <VersionManager model={model} />}

          <CommentsRail kind="model" assetId={model.id} />
        </div>
      </div>

      {panel === 'edit' && <ModelEditDialog model={model} onClose={() => setPanel('none')} />}
      {panel === 'flag' && (
        <FlagDialog kind="model" assetId={model.id} assetTitle={model.title} onClose={() => setPanel('none')} />
      )}
      {panel === 'link' && <LinkGalleryDialog model={model} onClose={() => setPanel('none')} />}
      {panel === 'delete' && (
        <ConfirmDialog
          open
          title={`Delete “${model.title}”?`}
          confirmLabel="Delete model"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(undefined)}
          onCancel={() => setPanel('none')}
        >
          <p>This removes the model, all its versions and files, its comments and likes.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function VersionTable({ model, version }: { model: ModelDetail; version: ModelVersion }) {
  const s = version.summary ?? {};
  const rows: [string, string][] = [
    ['Version', version.name + (version.isPrimary ? ' (primary)' : '')],
    ['Status', version.status],
    ['File', version.filename ?? '—'],
    ['Size', formatBytes(version.size)],
    ['Base model', s.baseModel ?? model.baseModel ?? '—'],
    ['Kind', s.kind ?? model.type],
    ['Network', s.network ? [s.network.module, s.network.dim && `dim ${s.network.dim}`, s.network.alpha != null && `alpha ${s.network.alpha}`].filter(Boolean).join(', ') : '—'],
    ['Resolution', s.resolution ?? '—'],
    ['Training images', s.trainingImages != null ? String(s.trainingImages) : '—'],
    ['Output name', s.outputName ?? '—'],
    ['Tensors', s.tensorCount != null ? String(s.tensorCount) : '—'],
    ['Downloads', String(version.downloads)],
    ['Uploaded', formatDateTime(version.createdAt)],
  ];
  for (const [name, value] of Object.entries(version.hashes ?? {})) {
    if (value) rows.push([name.toUpperCase(), value]);
  }
  for (const field of model.metadata) rows.push([field.fieldName, field.displayValue]);
  return (
    <section aria-label="Metadata">
      <h3>Metadata</h3>
      {version.error ? <p className="catalog-error-text">{version.error}</p> : null}
      <table className="catalog-meta-table">
        <tbody>
          {rows.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function DatasetTags({ tags }: { tags: { tag: string; count: number }[] }) {
  const max = Math.max(...tags.map((t) => t.count), 1);
  return (
    <section aria-label="Dataset tags">
      <h3>Dataset tags</h3>
      <ul className="catalog-dataset-tags">
        {tags.map(({ tag, count }) => (
          <li key={tag}>
            <span className="catalog-dataset-tags__name">{tag}</span>
            <span className="catalog-dataset-tags__bar" aria-hidden="true">
              <span style={{ width: `${(count / max) * 100}%` }} />
            </span>
            <span className="catalog-dataset-tags__count">{count}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
