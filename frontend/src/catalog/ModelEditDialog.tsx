import { useId, useState } from 'react';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import UserPicker from '../admin/UserPicker';
import type { AdminUser } from '../admin/types';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { listMetadataFields, updateModel, type ModelChanges } from './catalogApi';
import Tabs from './Tabs';
import type { MetadataField, ModelDetail } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';
import {
  DetailsFields,
  FormActions,
  MODEL_TEXT,
  parseList,
  sameList,
  submitChanges,
  useDetailsDraft,
} from './EditFields';

type TabId = 'details' | 'prompting' | 'metadata' | 'ownership';

/** The owner's (or an administrator's) edit form for a model, in four tabs; saves only what changed. */
export default function ModelEditDialog({ model, onClose }: { model: ModelDetail; onClose: () => void }) {
  const { isAdmin } = useAuth();
  const triggersId = useId();
  const [tab, setTab] = useState<TabId>('details');
  const details = useDetailsDraft(model);
  const [triggers, setTriggers] = useState(model.trigger.words.join(', '));
  const [metadata, setMetadata] = useState<Record<string, unknown>>(
    Object.fromEntries(model.metadata.map((m) => [m.fieldSlug, m.value])),
  );
  const [newOwner, setNewOwner] = useState<AdminUser | null>(null);
  const fields = useApi(['catalog', 'metadata-fields'], listMetadataFields);

  function changes(): ModelChanges {
    const out: ModelChanges = details.changes();
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
      <form className="catalog-form" onSubmit={submitChanges(changes, save.mutate, onClose)}>
        <Tabs label="Model settings" tabs={tabs} active={tab} onChange={setTab}>
          {tab === 'details' && (
            <>
              <DetailsFields draft={details} limits={MODEL_TEXT} visibilityLocked={model.inAudit} />
              {model.inAudit ? (
                <p className="catalog-muted">The visibility is restored by the moderators' decision.</p>
              ) : null}
            </>
          )}
          {tab === 'prompting' && (
            <>
              <label htmlFor={triggersId}>Trigger words (comma separated)</label>
              <textarea id={triggersId} value={triggers} rows={3} onChange={(e) => setTriggers(e.target.value)} />
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
        <FormActions
          onCancel={onClose}
          submitLabel="Save changes"
          submitDisabled={save.isPending || !details.title.trim()}
        />
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
