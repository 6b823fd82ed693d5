import { useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { createMetadataField, deleteMetadataField, listMetadataFields, updateMetadataField } from './adminApi';
import type { MetadataField, MetadataFieldConfig, MetadataFieldInput, MetadataFieldType } from './types';
import { useAdminAction } from './useAdminAction';
import { EditDeleteActions, RowFormActions } from './FormParts';

// Every screen that reads the field definitions (the model editor and explorer filters use the catalog key).
const FIELD_KEYS = [['admin', 'metadata-fields'], ['catalog', 'metadata-fields']];
const FIELDS_KEY = FIELD_KEYS[0];
// Limits the server enforces (metadata_service); the form says so up front.
const MAX_NAME = 100;
const MAX_DISPLAY_HINT = 50;
const MAX_ENUM_OPTIONS = 200;

export const FIELD_TYPE_LABELS: Record<MetadataFieldType, string> = {
  text: 'Text',
  number: 'Number',
  boolean: 'Yes / no',
  date: 'Date',
  url: 'Link (URL)',
  enum: 'Choice (one option)',
  multi_enum: 'Choices (several options)',
};

const isEnum = (type: MetadataFieldType) => type === 'enum' || type === 'multi_enum';

/** The form's state: enum options as one per line, empty strings for unset config entries. */
interface FieldDraft {
  name: string;
  type: MetadataFieldType;
  isFilterable: boolean;
  isBrowsable: boolean;
  enumOptions: string;
  validationPattern: string;
  displayHint: string;
  sortOrder: number;
}

const EMPTY_DRAFT: FieldDraft = {
  name: '',
  type: 'text',
  isFilterable: true,
  isBrowsable: false,
  enumOptions: '',
  validationPattern: '',
  displayHint: '',
  sortOrder: 0,
};

function draftOf(field: MetadataField): FieldDraft {
  const config = field.config ?? {};
  return {
    name: field.name,
    type: field.type,
    isFilterable: field.isFilterable,
    isBrowsable: field.isBrowsable,
    enumOptions: (config.enumOptions ?? []).join('\n'),
    validationPattern: config.validationPattern ?? '',
    displayHint: config.displayHint ?? '',
    sortOrder: field.sortOrder,
  };
}

/** The request body: only the config entries that apply to the type (the server rejects the others). */
export function fieldInput(draft: FieldDraft): MetadataFieldInput {
  const config: MetadataFieldConfig = {};
  if (isEnum(draft.type)) {
    config.enumOptions = draft.enumOptions
      .split('\n')
      .map((option) => option.trim())
      .filter(Boolean);
  }
  if (draft.type === 'text' && draft.validationPattern.trim()) config.validationPattern = draft.validationPattern.trim();
  if (draft.displayHint.trim()) config.displayHint = draft.displayHint.trim();
  return {
    name: draft.name.trim(),
    type: draft.type,
    isFilterable: draft.isFilterable,
    isBrowsable: draft.isBrowsable,
    config,
    sortOrder: draft.sortOrder,
  };
}

export default function MetadataFieldsSection() {
  const fields = useApi(FIELDS_KEY, listMetadataFields);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<MetadataField | null>(null);
  const [formKey, setFormKey] = useState(0);
  const create = useAdminAction(createMetadataField, {
    success: (f) => `Field ${f.name} created (slug ${f.slug})`,
    invalidate: FIELD_KEYS,
    onSuccess: () => setFormKey((k) => k + 1),
  });
  const update = useAdminAction(
    ({ id, input }: { id: string; input: MetadataFieldInput }) => {
      const { type: _fixed, ...changes } = input;
      return updateMetadataField(id, changes);
    },
    { success: (f) => `Field ${f.name} saved`, invalidate: FIELD_KEYS, onSuccess: () => setEditing(null) },
  );
  const remove = useAdminAction((id: string) => deleteMetadataField(id), {
    success: 'Field deleted',
    invalidate: FIELD_KEYS,
    onSuccess: () => setDeleting(null),
  });

  return (
    <section aria-labelledby="admin-metadata-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-metadata-title">Metadata fields</h2>
      </div>
      <section className="admin-panel" aria-labelledby="metadata-fields-title">
        <h3 id="metadata-fields-title">Fields</h3>
        <p className="admin-hint">
          Typed fields curators fill in on their models. Filterable fields appear as explorer filters; browsable
          ones also list their values to browse by.
        </p>
        {fields.error ? (
          <ErrorState error={fields.error} />
        ) : !fields.data ? (
          <Spinner />
        ) : fields.data.length === 0 ? (
          <EmptyState title="No metadata fields yet" />
        ) : (
          <ul className="admin-compact-list" aria-label="Metadata fields">
            {fields.data.map((field) => (
              <li key={field.id} className="admin-list-row" aria-label={field.name}>
                {editing === field.id ? (
                  <FieldForm
                    initial={draftOf(field)}
                    typeFixed
                    submitLabel="Save field"
                    busy={update.isPending}
                    onSubmit={(input) => update.mutate({ id: field.id, input })}
                    onCancel={() => setEditing(null)}
                  />
                ) : (
                  <>
                    <FieldSummary field={field} />
                    <EditDeleteActions
                      name={`field ${field.name}`}
                      onEdit={() => setEditing(field.id)}
                      onDelete={() => setDeleting(field)}
                    />
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="admin-panel" aria-labelledby="metadata-new-title">
        <h3 id="metadata-new-title">New field</h3>
        <FieldForm
          key={formKey}
          initial={EMPTY_DRAFT}
          submitLabel="Create field"
          busy={create.isPending}
          onSubmit={(input) => create.mutate(input)}
        />
      </section>
      {deleting && (
        <ConfirmDialog
          open
          title={`Delete field ${deleting.name}`}
          confirmLabel="Delete field"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(deleting.id)}
          onCancel={() => setDeleting(null)}
        >
          <p>
            The values of <strong>{deleting.name}</strong> stop showing on every model at once and are dropped
            when each model is next saved. Its filter disappears from the explorer.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function FieldSummary({ field }: { field: MetadataField }) {
  const config = field.config ?? {};
  return (
    <span className="admin-field-summary">
      <strong>{field.name}</strong> <span className="admin-muted">{field.slug}</span>{' '}
      <span className="admin-badge">{FIELD_TYPE_LABELS[field.type] ?? field.type}</span>
      {field.isFilterable && <span className="admin-badge is-ok">Filterable</span>}
      {field.isBrowsable && <span className="admin-badge is-ok">Browsable</span>}
      <span className="admin-muted"> · order {field.sortOrder}</span>
      {config.enumOptions && config.enumOptions.length > 0 && (
        <span className="admin-muted"> · options: {config.enumOptions.join(', ')}</span>
      )}
      {config.validationPattern && <span className="admin-muted"> · pattern <code>{config.validationPattern}</code></span>}
      {config.displayHint && <span className="admin-muted"> · hint “{config.displayHint}”</span>}
    </span>
  );
}

function FieldForm({
  initial,
  typeFixed = false,
  submitLabel,
  busy,
  onSubmit,
  onCancel,
}: {
  initial: FieldDraft;
  /** A field's type never changes after creation (values are stored by it). */
  typeFixed?: boolean;
  submitLabel: string;
  busy: boolean;
  onSubmit: (input: MetadataFieldInput) => void;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState<FieldDraft>(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const set = <K extends keyof FieldDraft>(key: K, value: FieldDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const input = fieldInput(draft);
    const options = input.config.enumOptions;
    if (options && (options.length === 0 || options.length > MAX_ENUM_OPTIONS)) {
      setProblem(`Choice fields need 1 to ${MAX_ENUM_OPTIONS} options, one per line.`);
      return;
    }
    setProblem(null);
    onSubmit(input);
  }

  return (
    <form className="admin-form admin-form--row" onSubmit={submit} aria-label={typeFixed ? `Edit ${initial.name}` : 'New field'}>
      <label className="admin-field">
        <span className="admin-field__label">Field name</span>
        <input required maxLength={MAX_NAME} value={draft.name} onChange={(e) => set('name', e.target.value)} />
      </label>
      <label className="admin-field">
        <span className="admin-field__label">Field type</span>
        <select
          value={draft.type}
          disabled={typeFixed}
          onChange={(e) => set('type', e.target.value as MetadataFieldType)}
        >
          {(Object.keys(FIELD_TYPE_LABELS) as MetadataFieldType[]).map((type) => (
            <option key={type} value={type}>
              {FIELD_TYPE_LABELS[type]}
            </option>
          ))}
        </select>
      </label>
      <label className="admin-field">
        <span className="admin-field__label">Display order</span>
        <input
          type="number"
          step={1}
          min={-1_000_000}
          max={1_000_000}
          required
          value={draft.sortOrder}
          onChange={(e) => set('sortOrder', Number(e.target.value))}
        />
      </label>
      <label className="admin-field">
        <span className="admin-field__label">Display hint (optional)</span>
        <input
          maxLength={MAX_DISPLAY_HINT}
          placeholder="e.g. px, steps"
          value={draft.displayHint}
          onChange={(e) => set('displayHint', e.target.value)}
        />
      </label>
      {draft.type === 'text' && (
        <label className="admin-field admin-field--wide">
          <span className="admin-field__label">Validation pattern (optional)</span>
          <input
            spellCheck={false}
            placeholder="Regular expression the whole value must match"
            value={draft.validationPattern}
            onChange={(e) => set('validationPattern', e.target.value)}
          />
        </label>
      )}
      {isEnum(draft.type) && (
        <label className="admin-field admin-field--wide">
          <span className="admin-field__label">Options (one per line)</span>
          <textarea
            rows={4}
            required
            value={draft.enumOptions}
            aria-invalid={problem ? true : undefined}
            onChange={(e) => set('enumOptions', e.target.value)}
          />
        </label>
      )}
      <label className="admin-check">
        <input type="checkbox" checked={draft.isFilterable} onChange={(e) => set('isFilterable', e.target.checked)} />
        Filterable
      </label>
      <label className="admin-check">
        <input type="checkbox" checked={draft.isBrowsable} onChange={(e) => set('isBrowsable', e.target.checked)} />
        Browsable
      </label>
      {problem && (
        <p className="admin-error" role="alert">
          {problem}
        </p>
      )}
      <RowFormActions submitLabel={submitLabel} busy={busy} onCancel={onCancel} />
    </form>
  );
}
