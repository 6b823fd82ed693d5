import { useId, useState } from 'react';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import UserPicker from '../admin/UserPicker';
import type { AdminUser } from '../admin/types';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { listMetadataFields, updateModel, type ModelChanges } from './catalogApi';
import Tabs from './Tabs';
import type { MetadataField, ModelDetail, Visibility } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

type TabId = 'details' | 'prompting' | 'metadata' | 'ownership';

/** Splits a comma- or line-separated list as typed in a text field. */
export function parseList(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(/[,\n]/)) {
    const item = raw.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

function sameList(a: string[], b: string[]) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The owner's (or an administrator's) edit form for a model, in four tabs; saves only what changed. */
export default function ModelEditDialog({ model, onClose }: { model: ModelDetail; onClose: () => void }) {
  const { isAdmin } = useAuth();
  const ids = { title: useId(), description: useId(), tags: useId(), visibility: useId(), triggers: useId() };
  const [tab, setTab] = useState<TabId>('details');
  const [title, setTitle] = useState(model.title);
  const [description, setDescription] = useState(model.description ?? '');
  const [tags, setTags] = useState(model.tags.join(', '));
  const [visibility, setVisibility] = useState<Visibility>(model.visibility);
  const [triggers, setTriggers] = useState(model.trigger.words.join(', '));
  const [metadata, setMetadata] = useState<Record<string, unknown>>(
    Object.fromEntries(model.metadata.map((m) => [m.fieldSlug, m.value])),
  );
  const [newOwner, setNewOwner] = useState<AdminUser | null>(null);
  const fields = useApi(['catalog', 'metadata-fields'], listMetadataFields);

  function changes(): ModelChanges {
    const out: ModelChanges = {};
    if (title.trim() !== model.title) out.title = title.trim();
    if (description !== (model.description ?? '')) out.description = description;
    const tagList = parseList(tags);
    if (!sameList(tagList, model.tags)) out.tags = tagList;
    if (visibility !== model.visibility) out.visibility = visibility;
    const triggerList = parseList(triggers);
    if (!sameList(triggerList, model.trigger.words)) out.triggerWords = triggerList;
    const original = Object.fromEntries(model.metadata.map((m) => [m.fieldSlug, m.value]));
    const changedMetadata: Record<string, unknown> = {};
    for (const [slug, value] of Object.entries(metadata)) {
      if (JSON.stringify(value) !== JSON.stringify(original[slug])) changedMetadata[slug] = value === '' ? null : value;
    }
    if (Object.keys(changedMetadata).length) out.metadata = changedMetadata;
    if (newOwner && newOwner.id !== model.owner?.id) out.ownerId = newOwner.id;
    return out;
  }

  const save = useCatalogAction((body: ModelChanges) => updateModel(model.id, body), {
    success: 'Model saved',
    invalidate: [catalogKeys.model(model.id), catalogKeys.models],
    onSuccess: onClose,
  });

  const tabs: { id: TabId; label: string }[] = [
    { id: 'details', label: 'Details' },
    { id: 'prompting', label: 'Prompting' },
    { id: 'metadata', label: 'Metadata' },
    { id: 'ownership', label: 'Ownership' },
  ];

  return (
    <Dialog open title={`Edit ${model.title}`} onClose={onClose} closeOnBackdrop={false}>
      <form
        className="catalog-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = changes();
          if (Object.keys(body).length === 0) onClose();
          else save.mutate(body);
        }}
      >
        <Tabs label="Model settings" tabs={tabs} active={tab} onChange={setTab}>
          {tab === 'details' && (
            <>
              <label htmlFor={ids.title}>Title</label>
              <input id={ids.title} value={title} required maxLength={180} onChange={(e) => setTitle(e.target.value)} />
              <label htmlFor={ids.description}>Description</label>
              <textarea
                id={ids.description}
                value={description}
                rows={5}
                maxLength={5000}
                onChange={(e) => setDescription(e.target.value)}
              />
              <label htmlFor={ids.tags}>Tags (comma separated)</label>
              <input id={ids.tags} value={tags} onChange={(e) => setTags(e.target.value)} />
              <label htmlFor={ids.visibility}>Visibility</label>
              <select
                id={ids.visibility}
                value={visibility}
                disabled={model.inAudit}
                onChange={(e) => setVisibility(e.target.value as Visibility)}
              >
                <option value="public">Public</option>
                <option value="private">Private</option>
              </select>
              {model.inAudit ? (
                <p className="catalog-muted">The visibility is restored by the moderators' decision.</p>
              ) : null}
            </>
          )}
          {tab === 'prompting' && (
            <>
              <label htmlFor={ids.triggers}>Trigger words (comma separated)</label>
              <textarea id={ids.triggers} value={triggers} rows={3} onChange={(e) => setTriggers(e.target.value)} />
              <p className="catalog-muted">Up to 20 words or phrases; the generator inserts them into prompts.</p>
            </>
          )}
          {tab === 'metadata' &&
            (fields.error ? (
              <ErrorState error={fields.error} />
            ) : (fields.data ?? []).length === 0 ? (
              <p className="catalog-muted">No metadata fields are defined yet (administrators add them).</p>
            ) : (
              (fields.data ?? []).map((field) => (
                <MetadataInput
                  key={field.slug}
                  field={field}
                  value={metadata[field.slug]}
                  onChange={(value) => setMetadata({ ...metadata, [field.slug]: value })}
                />
              ))
            ))}
          {tab === 'ownership' &&
            (isAdmin ? (
              <UserPicker
                label="New owner"
                value={newOwner}
                onChange={setNewOwner}
                accept={(u) => u.role !== 'USER'}
                hint={`Currently owned by ${model.owner?.displayName ?? 'nobody'}. Curators and admins can own models.`}
              />
            ) : (
              <p className="catalog-muted">
                Owned by {model.owner?.displayName ?? 'you'}. Only administrators can transfer a model to another curator.
              </p>
            ))}
        </Tabs>
        <div className="catalog-form__actions">
          <button className="vs-button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending || !title.trim()}>
            Save changes
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function MetadataInput({
  field,
  value,
  onChange,
}: {
  field: MetadataField;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  const id = useId();
  const options = field.config?.enumOptions ?? [];
  if (field.type === 'boolean') {
    return (
      <label className="catalog-checkbox">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {field.name}
      </label>
    );
  }
  if (field.type === 'multi_enum') {
    const selected = Array.isArray(value) ? (value as string[]) : [];
    return (
      <fieldset className="catalog-fieldset">
        <legend>{field.name}</legend>
        {options.map((option) => (
          <label key={option} className="catalog-checkbox">
            <input
              type="checkbox"
              checked={selected.includes(option)}
              onChange={(e) =>
                onChange(e.target.checked ? [...selected, option] : selected.filter((s) => s !== option))
              }
            />{' '}
            {option}
          </label>
        ))}
      </fieldset>
    );
  }
  return (
    <>
      <label htmlFor={id}>{field.name}</label>
      {field.type === 'enum' ? (
        <select id={id} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)}>
          <option value="">—</option>
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type={field.type === 'number' ? 'number' : field.type === 'date' ? 'date' : field.type === 'url' ? 'url' : 'text'}
          value={value == null ? '' : String(value)}
          onChange={(e) =>
            onChange(field.type === 'number' && e.target.value !== '' ? Number(e.target.value) : e.target.value)
          }
        />
      )}
    </>
  );
}
