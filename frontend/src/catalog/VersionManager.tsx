import { useId, useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { deleteVersion, promoteVersion, renameVersion } from './catalogApi';
import { formatBytes } from './filters';
import type { ModelDetail, ModelVersion } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

/** Owner and admin tools for the versions of a model: rename, make primary, remove. */
export default function VersionManager({ model }: { model: ModelDetail }) {
  const [confirming, setConfirming] = useState<ModelVersion | null>(null);
  const invalidate = [catalogKeys.model(model.id), catalogKeys.models];
  const promote = useCatalogAction((v: ModelVersion) => promoteVersion(model.id, v.id), {
    success: (_, v) => `${v.name} is now the primary version`,
    invalidate,
  });
  const remove = useCatalogAction((v: ModelVersion) => deleteVersion(model.id, v.id), {
    success: (_, v) => `Version ${v.name} removed`,
    invalidate,
    onSuccess: () => setConfirming(null),
  });

  return (
    <section aria-label="Manage versions" className="catalog-versions">
      <h3>Versions</h3>
      <ul className="catalog-version-list">
        {model.versions.map((v) => (
          <li key={v.id}>
            <VersionRow
              modelId={model.id}
              version={v}
              onlyVersion={model.versions.length === 1}
              onPromote={() => promote.mutate(v)}
              onRemove={() => setConfirming(v)}
              busy={promote.isPending || remove.isPending}
            />
          </li>
        ))}
      </ul>
      {confirming && (
        <ConfirmDialog
          open
          title={`Remove version ${confirming.name}?`}
          confirmLabel="Remove version"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>The file of this version is deleted for good. Downloads and generator runs that use it stop working.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface VersionRowProps {
  modelId: string;
  version: ModelVersion;
  onlyVersion: boolean;
  busy: boolean;
  onPromote: () => void;
  onRemove: () => void;
}

function VersionRow({ modelId, version, onlyVersion, busy, onPromote, onRemove }: VersionRowProps) {
  const inputId = useId();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(version.name);
  const rename = useCatalogAction((next: string) => renameVersion(modelId, version.id, next), {
    success: 'Version renamed',
    invalidate: [catalogKeys.model(modelId)],
    onSuccess: () => setRenaming(false),
  });

  if (renaming) {
    return (
      <form
        className="catalog-version-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) rename.mutate(name.trim());
        }}
      >
        <label htmlFor={inputId} className="vs-visually-hidden">
          New name for version {version.name}
        </label>
        <input id={inputId} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} autoFocus />
        <button type="submit" className="vs-button vs-button--primary" disabled={!name.trim() || rename.isPending}>
          Save name
        </button>
        <button className="vs-button vs-button--small" type="button" onClick={() => setRenaming(false)}>
          Cancel
        </button>
      </form>
    );
  }

  return (
    <div className="catalog-version-row">
      <span className="catalog-version-row__name">
        {version.name}
        {version.isPrimary ? <span className="catalog-badge">Primary</span> : null}
        {version.status !== 'ready' ? <span className="catalog-badge catalog-badge--warn">{version.status}</span> : null}
      </span>
      <span className="catalog-muted">{formatBytes(version.size)}</span>
      <button className="vs-button vs-button--small" type="button" aria-label={`Rename version ${version.name}`} onClick={() => setRenaming(true)}>
        Rename
      </button>
      {!version.isPrimary && (
        <button className="vs-button vs-button--small"
          type="button"
          aria-label={`Make version ${version.name} primary`}
          disabled={busy || version.status !== 'ready'}
          onClick={onPromote}
        >
          Make primary
        </button>
      )}
      {!onlyVersion && (
        <button type="button" className="vs-button vs-button--danger" aria-label={`Remove version ${version.name}`} disabled={busy} onClick={onRemove}>
          Remove
        </button>
      )}
    </div>
  );
}
