import { useEffect, useState } from 'react';
import { useApi } from '../api/hooks';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { getModerationSettings, putModerationSettings } from './adminApi';
import type { ModerationSettings } from './types';
import { useAdminAction } from './useAdminAction';

const SETTINGS_KEY = ['admin', 'moderation-settings'];
// The server's accepted ranges (SettingsBody in the OpenAPI document).
const THRESHOLD_MAX = 100;
const FLAGS_PER_HOUR_MAX = 1000;

/** How many reports hide an asset for review, and how many reports a member may file per hour. */
export default function ModerationSettingsPanel() {
  const settings = useApi(SETTINGS_KEY, getModerationSettings);
  const [draft, setDraft] = useState<ModerationSettings | null>(null);
  useEffect(() => {
    if (settings.data) setDraft(settings.data);
  }, [settings.data]);
  const save = useAdminAction(putModerationSettings, {
    success: 'Moderation settings saved',
    invalidate: [SETTINGS_KEY],
  });

  return (
    <section className="admin-panel" aria-labelledby="moderation-settings-title">
      <h3 id="moderation-settings-title">Moderation settings</h3>
      {settings.error ? (
        <ErrorState error={settings.error} />
      ) : !draft ? (
        <Spinner />
      ) : (
        <form
          className="admin-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(draft);
          }}
        >
          <label className="admin-field">
            <span className="admin-field__label">Reports needed to hide</span>
            <input
              type="number"
              required
              min={1}
              max={THRESHOLD_MAX}
              step={1}
              value={draft.flagThreshold}
              aria-describedby="moderation-threshold-hint"
              onChange={(e) => setDraft({ ...draft, flagThreshold: Number(e.target.value) })}
            />
          </label>
          <label className="admin-field">
            <span className="admin-field__label">Reports per member per hour</span>
            <input
              type="number"
              required
              min={1}
              max={FLAGS_PER_HOUR_MAX}
              step={1}
              value={draft.flagsPerHour}
              onChange={(e) => setDraft({ ...draft, flagsPerHour: Number(e.target.value) })}
            />
          </label>
          <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
            Save moderation settings
          </button>
          <p id="moderation-threshold-hint" className="admin-hint">
            Reports from this many different members hide an asset until an administrator reviews it.
          </p>
        </form>
      )}
    </section>
  );
}
