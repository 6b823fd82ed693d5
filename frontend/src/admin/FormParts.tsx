import { useEffect, useState, type ReactNode } from 'react';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';

/**
 * An editable copy of settings read from the server, replaced whenever a newer copy arrives
 * (after a save invalidates the query). `pick` takes the editable part of the response.
 */
export function useServerDraft<Source, Draft>(source: Source | undefined, pick: (source: Source) => Draft) {
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => {
    if (source) setDraft(pick(source));
    // `pick` is a projection of `source`; a new copy arrives only with new data.
  }, [source]);
  return [draft, setDraft] as const;
}

interface SettingsFormProps<Draft> {
  error: unknown;
  draft: Draft | null;
  onSave: (draft: Draft) => void;
  /** The fields and submit button, given the loaded draft. */
  children: (draft: Draft) => ReactNode;
  /** Shown under the form once the settings are loaded. */
  after?: ReactNode;
}

/** An admin settings form: an error or a spinner until the draft is loaded, then the inline form. */
export function SettingsForm<Draft>({ error, draft, onSave, children, after }: SettingsFormProps<Draft>) {
  if (error) return <ErrorState error={error} />;
  if (!draft) return <Spinner />;
  return (
    <>
      <form
        className="admin-inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(draft);
        }}
      >
        {children(draft)}
      </form>
      {after}
    </>
  );
}

interface WholeNumberFieldProps {
  label: string;
  value: number;
  min: number;
  max: number;
  onChange: (value: number) => void;
  describedBy?: string;
}

/** A required whole-number setting between `min` and `max`. */
export function WholeNumberField({ label, value, min, max, onChange, describedBy }: WholeNumberFieldProps) {
  return (
    <label className="admin-field">
      <span className="admin-field__label">{label}</span>
      <input
        type="number"
        required
        min={min}
        max={max}
        step={1}
        value={value}
        aria-describedby={describedBy}
        onChange={(e) => onChange(Number(e.target.value))}
      />
    </label>
  );
}

/** "Edit" and "Delete" buttons of a list row, named after the row (e.g. "Edit tier Gold"). */
export function EditDeleteActions({ name, onEdit, onDelete }: { name: string; onEdit: () => void; onDelete: () => void }) {
  return (
    <span className="admin-row-actions">
      <button type="button" className="vs-button" aria-label={`Edit ${name}`} onClick={onEdit}>
        Edit
      </button>
      <button type="button" className="vs-button vs-button--danger" aria-label={`Delete ${name}`} onClick={onDelete}>
        Delete
      </button>
    </span>
  );
}

interface RowFormActionsProps {
  submitLabel: string;
  busy: boolean;
  /** Offered only when the form edits an existing row (a new-row form stays open). */
  onCancel?: () => void;
}

/** Cancel (when editing) and submit buttons of an inline admin row form. */
export function RowFormActions({ submitLabel, busy, onCancel }: RowFormActionsProps) {
  return (
    <div className="admin-row-actions">
      {onCancel && (
        <button type="button" className="vs-button" onClick={onCancel}>
          Cancel
        </button>
      )}
      <button type="submit" className="vs-button vs-button--primary" disabled={busy}>
        {submitLabel}
      </button>
    </div>
  );
}

interface DialogFormActionsProps {
  onCancel: () => void;
  submitLabel: ReactNode;
  disabled: boolean;
  /** Irreversible submissions (deletions) use the danger style. */
  danger?: boolean;
}

/** Cancel and submit buttons at the foot of an admin dialog form. */
export function DialogFormActions({ onCancel, submitLabel, disabled, danger }: DialogFormActionsProps) {
  return (
    <div className="admin-dialog-actions">
      <button className="vs-button" type="button" onClick={onCancel}>
        Cancel
      </button>
      <button
        type="submit"
        className={danger ? 'vs-button vs-button--danger' : 'vs-button vs-button--primary'}
        disabled={disabled}
      >
        {submitLabel}
      </button>
    </div>
  );
}

interface SwitchFieldProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}

/** An on/off setting: a checkbox with the switch role, labelled by the text beside it. */
export function SwitchField({ label, checked, onChange, disabled }: SwitchFieldProps) {
  return (
    <label className="admin-switch">
      <input
        type="checkbox"
        role="switch"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
      {label}
    </label>
  );
}
