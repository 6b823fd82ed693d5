import { useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { bulkSetMetadata, listMetadataFields } from './adminApi';
import type { MetadataField, MetadataOperation, MetadataValue } from './types';
import { useAdminAction } from './useAdminAction';
import { DialogFormActions } from './FormParts';

interface Row {
  key: number;
  fieldSlug: string;
  action: 'set' | 'remove';
  value: MetadataValue | '';
}

interface BulkMetadataDialogProps {
  modelIds: string[];
  onClose: () => void;
  invalidateKey: unknown[];
}

/** Sets or removes typed metadata values on the selected models in one all-or-nothing request. */
export default function BulkMetadataDialog({ modelIds, onClose, invalidateKey }: BulkMetadataDialogProps) {
  const fields = useApi(['admin', 'metadata-fields'], listMetadataFields);
  const [rows, setRows] = useState<Row[]>([{ key: 0, fieldSlug: '', action: 'set', value: '' }]);
  const [nextKey, setNextKey] = useState(1);
  const save = useAdminAction((operations: MetadataOperation[]) => bulkSetMetadata(modelIds, operations), {
    success: (r) => `Metadata updated on ${r.updatedCount} ${r.updatedCount === 1 ? 'model' : 'models'}`,
    invalidate: [invalidateKey],
    onSuccess: onClose,
  });
  const bySlug = new Map((fields.data ?? []).map((f) => [f.slug, f]));
  const usedSlugs = new Set(rows.map((r) => r.fieldSlug));

  function update(key: number, change: Partial<Row>) {
    setRows((current) => current.map((r) => (r.key === key ? { ...r, ...change } : r)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const operations: MetadataOperation[] = rows
      .filter((r) => r.fieldSlug)
      .map((r) =>
        r.action === 'remove'
          ? { fieldSlug: r.fieldSlug, action: 'remove' }
          : { fieldSlug: r.fieldSlug, action: 'set', value: r.value === '' ? '' : r.value },
      );
    if (operations.length > 0) save.mutate(operations);
  }

  return (
    <Dialog open title={`Edit metadata of ${modelIds.length} ${modelIds.length === 1 ? 'model' : 'models'}`} onClose={onClose}>
      {fields.error ? (
        <ErrorState error={fields.error} />
      ) : fields.isLoading ? (
        <Spinner />
      ) : (fields.data ?? []).length === 0 ? (
        <p>No metadata fields are defined yet.</p>
      ) : (
        <form className="admin-form" onSubmit={submit}>
          <ul className="admin-compact-list" aria-label="Changes">
            {rows.map((row, index) => {
              const field = bySlug.get(row.fieldSlug);
              return (
                <li key={row.key} className="admin-metadata-row">
                  <label className="admin-field">
                    <span className="admin-field__label">Field {index + 1}</span>
                    <select
                      required
                      value={row.fieldSlug}
                      onChange={(e) => update(row.key, { fieldSlug: e.target.value, value: '' })}
                    >
                      <option value="">Choose a field</option>
                      {(fields.data ?? []).map((f) => (
                        <option key={f.slug} value={f.slug} disabled={f.slug !== row.fieldSlug && usedSlugs.has(f.slug)}>
                          {f.name}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label className="admin-field">
                    <span className="admin-field__label">Change {index + 1}</span>
                    <select
                      value={row.action}
                      onChange={(e) => update(row.key, { action: e.target.value as Row['action'], value: '' })}
                    >
                      <option value="set">Set value</option>
                      <option value="remove">Remove value</option>
                    </select>
                  </label>
                  {row.action === 'set' && field && (
                    <ValueInput
                      field={field}
                      label={`Value ${index + 1}`}
                      value={row.value}
                      onChange={(value) => update(row.key, { value })}
                    />
                  )}
                  {rows.length > 1 && (
                    <button className="vs-button"
                      type="button"
                      aria-label={`Remove change ${index + 1}`}
                      onClick={() => setRows((current) => current.filter((r) => r.key !== row.key))}
                    >
                      Remove
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
          <button className="vs-button"
            type="button"
            disabled={rows.length >= Math.min(20, (fields.data ?? []).length)}
            onClick={() => {
              setRows((current) => [...current, { key: nextKey, fieldSlug: '', action: 'set', value: '' }]);
              setNextKey((k) => k + 1);
            }}
          >
            Add another field
          </button>
          <DialogFormActions
            onCancel={onClose}
            submitLabel={`Apply to ${modelIds.length} ${modelIds.length === 1 ? 'model' : 'models'}`}
            disabled={save.isPending}
          />
        </form>
      )}
    </Dialog>
  );
}

function ValueInput({
  field,
  label,
  value,
  onChange,
}: {
  field: MetadataField;
  label: string;
  value: MetadataValue | '';
  onChange: (value: MetadataValue | '') => void;
}) {
  const options = field.config?.enumOptions ?? [];
  if (field.type === 'boolean') {
    return (
      <label className="admin-field">
        <span className="admin-field__label">{label}</span>
        <select required value={value === '' ? '' : String(value)} onChange={(e) => onChange(e.target.value === 'true')}>
          <option value="">Choose</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      </label>
    );
  }
  if (field.type === 'enum') {
    return (
      <label className="admin-field">
        <span className="admin-field__label">{label}</span>
        <select required value={String(value)} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose</option>
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
    );
  }
  if (field.type === 'multi_enum') {
    const chosen = Array.isArray(value) ? value : [];
    return (
      <fieldset className="admin-field">
        <legend className="admin-field__label">{label}</legend>
        {options.map((option) => (
          <label key={option} className="admin-check">
            <input
              type="checkbox"
              checked={chosen.includes(option)}
              onChange={(e) => onChange(e.target.checked ? [...chosen, option] : chosen.filter((o) => o !== option))}
            />
            {option}
          </label>
        ))}
      </fieldset>
    );
  }
  const inputType = field.type === 'number' ? 'number' : field.type === 'date' ? 'date' : field.type === 'url' ? 'url' : 'text';
  return (
    <label className="admin-field">
      <span className="admin-field__label">{label}</span>
      <input
        type={inputType}
        required
        step={field.type === 'number' ? 'any' : undefined}
        value={typeof value === 'string' || typeof value === 'number' ? value : ''}
        onChange={(e) =>
          onChange(field.type === 'number' && e.target.value !== '' ? Number(e.target.value) : e.target.value)
        }
      />
    </label>
  );
}
