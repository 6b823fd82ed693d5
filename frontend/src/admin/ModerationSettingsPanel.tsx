import { useApi } from '../api/hooks';
import { getModerationSettings, putModerationSettings } from './adminApi';
import type { ModerationSettings } from './types';
import { SettingsForm, WholeNumberField, useServerDraft } from './FormParts';
import { useAdminAction } from './useAdminAction';

const SETTINGS_KEY = ['admin', 'moderation-settings'];
// The server's accepted ranges (SettingsBody in the OpenAPI document).
const THRESHOLD_MAX = 100;
const FLAGS_PER_HOUR_MAX = 1000;

/** How many reports hide an asset for review, and how many reports a member may file per hour. */
export default function ModerationSettingsPanel() {
  const settings = useApi(SETTINGS_KEY, getModerationSettings);
  const [draft, setDraft] = useServerDraft(settings.data, (data: ModerationSettings) => data);
  const save = useAdminAction(putModerationSettings, {
    success: 'Moderation settings saved',
    invalidate: [SETTINGS_KEY],
  });

  return (
    <section className="admin-panel" aria-labelledby="moderation-settings-title">
      <h3 id="moderation-settings-title">Moderation settings</h3>
      <SettingsForm error={settings.error} draft={draft} onSave={(d) => save.mutate(d)}>
        {(d) => (
          <>
            <WholeNumberField
              label="Reports needed to hide"
              min={1}
              max={THRESHOLD_MAX}
              value={d.flagThreshold}
              describedBy="moderation-threshold-hint"
              onChange={(flagThreshold) => setDraft({ ...d, flagThreshold })}
            />
            <WholeNumberField
              label="Reports per member per hour"
              min={1}
              max={FLAGS_PER_HOUR_MAX}
              value={d.flagsPerHour}
              onChange={(flagsPerHour) => setDraft({ ...d, flagsPerHour })}
            />
            <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
              Save moderation settings
            </button>
            <p id="moderation-threshold-hint" className="admin-hint">
              Reports from this many different members hide an asset until an administrator reviews it.
            </p>
          </>
        )}
      </SettingsForm>
    </section>
  );
}
