import { useId, useState } from 'react';
import { useApi } from '../api/hooks';
import { listUsers } from './adminApi';
import { ROLE_LABELS, errorMessage } from './format';
import type { AdminUser } from './types';

interface UserPickerProps {
  label: string;
  value: AdminUser | null;
  onChange: (user: AdminUser | null) => void;
  /** Which accounts may be chosen (e.g. only curators and admins as a reassignment target). */
  accept?: (user: AdminUser) => boolean;
  /** Hint under the field. */
  hint?: string;
}

/** Finds an account by the start of its name or email (server-side search) and picks one. */
export default function UserPicker({ label, value, onChange, accept, hint }: UserPickerProps) {
  const inputId = useId();
  const hintId = useId();
  const [text, setText] = useState('');
  const search = text.trim();
  const results = useApi(['admin', 'user-picker', search], () => listUsers({ q: search, active: true }, undefined, 20), {
    enabled: search.length > 0 && value === null,
  });
  const candidates = (results.data?.data ?? []).filter((u) => !accept || accept(u));

  if (value) {
    return (
      <div className="admin-field">
        <span className="admin-field__label">{label}</span>
        <div className="admin-picked">
          <span>
            {value.displayName} <span className="admin-muted">({value.email})</span>
          </span>
          <button type="button" className="admin-link-button" onClick={() => onChange(null)}>
            Change {label.toLowerCase()}
          </button>
        </div>
      </div>
    );
  }

  return (
    <div className="admin-field">
      <label htmlFor={inputId} className="admin-field__label">
        {label}
      </label>
      <input
        id={inputId}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="Name or email"
        aria-describedby={hint ? hintId : undefined}
        autoComplete="off"
      />
      {hint && (
        <p id={hintId} className="admin-hint">
          {hint}
        </p>
      )}
      {search.length > 0 && (
        <div aria-live="polite">
          {results.isLoading && <p className="admin-muted">Searching…</p>}
          {results.error && <p role="alert">{errorMessage(results.error)}</p>}
          {results.data && candidates.length === 0 && <p className="admin-muted">No matching account.</p>}
          {candidates.length > 0 && (
            <ul className="admin-picker-results" aria-label={`${label}: matches`}>
              {candidates.map((u) => (
                <li key={u.id}>
                  <button className="vs-button" type="button" onClick={() => onChange(u)}>
                    {u.displayName} <span className="admin-muted">{u.email} · {ROLE_LABELS[u.role]}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
