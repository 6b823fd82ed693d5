import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { getSiteSettings, patchSiteSettings, type SiteSettingsChange } from './adminApi';
import type { ServiceEndpoint, SiteSettings } from './types';
import { useAdminAction } from './useAdminAction';
import { SwitchField } from './FormParts';

const SETTINGS_KEY = ['admin', 'site-settings'];
const MAX_ENDPOINTS = 20;

export default function SettingsSection() {
  const settings = useApi(SETTINGS_KEY, getSiteSettings);
  return (
    <section aria-labelledby="admin-settings-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-settings-title">Settings</h2>
      </div>
      {settings.error ? (
        <ErrorState error={settings.error} />
      ) : !settings.data ? (
        <Spinner />
      ) : (
        <SettingsForm settings={settings.data} />
      )}
    </section>
  );
}

interface EndpointDraft extends ServiceEndpoint {
  rowKey: number;
}

function SettingsForm({ settings }: { settings: SiteSettings }) {
  const [siteTitle, setSiteTitle] = useState(settings.siteTitle);
  const [allowRegistration, setAllowRegistration] = useState(settings.allowRegistration);
  const [maintenanceMode, setMaintenanceMode] = useState(settings.maintenanceMode);
  const [endpoints, setEndpoints] = useState<EndpointDraft[]>([]);
  const [nextKey, setNextKey] = useState(0);
  useEffect(() => {
    setSiteTitle(settings.siteTitle);
    setAllowRegistration(settings.allowRegistration);
    setMaintenanceMode(settings.maintenanceMode);
    setEndpoints(settings.serviceEndpoints.map((e, i) => ({ ...e, rowKey: i })));
    setNextKey(settings.serviceEndpoints.length);
  }, [settings]);
  const save = useAdminAction(patchSiteSettings, {
    success: 'Settings saved',
    invalidate: [SETTINGS_KEY, ['meta', 'config']],
  });

  function updateEndpoint(rowKey: number, change: Partial<ServiceEndpoint>) {
    setEndpoints((current) => current.map((e) => (e.rowKey === rowKey ? { ...e, ...change } : e)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const change: SiteSettingsChange = {};
    if (siteTitle.trim() !== settings.siteTitle) change.siteTitle = siteTitle.trim();
    if (allowRegistration !== settings.allowRegistration) change.allowRegistration = allowRegistration;
    if (maintenanceMode !== settings.maintenanceMode) change.maintenanceMode = maintenanceMode;
    const cleaned = endpoints.map(({ label, url, kind }) => ({
      label: label.trim(),
      url: url.trim(),
      ...(kind?.trim() ? { kind: kind.trim() } : {}),
    }));
    if (JSON.stringify(cleaned) !== JSON.stringify(settings.serviceEndpoints.map(({ label, url, kind }) => ({ label, url, ...(kind ? { kind } : {}) })))) {
      change.serviceEndpoints = cleaned;
    }
    if (Object.keys(change).length > 0) save.mutate(change);
  }

  return (
    <form className="admin-form" onSubmit={submit}>
      <section className="admin-panel" aria-labelledby="settings-general-title">
        <h3 id="settings-general-title">General</h3>
        <label className="admin-field admin-field--wide">
          <span className="admin-field__label">Site title</span>
          <input required maxLength={120} value={siteTitle} onChange={(e) => setSiteTitle(e.target.value)} />
        </label>
        <SwitchField label="Registration open" checked={allowRegistration} onChange={setAllowRegistration} />
        <SwitchField label="Maintenance mode" checked={maintenanceMode} onChange={setMaintenanceMode} />
        {maintenanceMode && (
          <p className="admin-warning">
            In maintenance mode only administrators can use the site; everyone else sees the maintenance screen.
          </p>
        )}
      </section>

      <section className="admin-panel" aria-labelledby="settings-status-title">
        <h3 id="settings-status-title">Status-page links</h3>
        <p className="admin-hint">Links shown on the service status page (e.g. an external status page or support).</p>
        {endpoints.length === 0 && <p className="admin-muted">No links.</p>}
        <ul className="admin-compact-list" aria-label="Status-page links">
          {endpoints.map((endpoint, index) => (
            <li key={endpoint.rowKey} className="admin-form--row">
              <label className="admin-field">
                <span className="admin-field__label">Link {index + 1} label</span>
                <input
                  required
                  maxLength={60}
                  value={endpoint.label}
                  onChange={(e) => updateEndpoint(endpoint.rowKey, { label: e.target.value })}
                />
              </label>
              <label className="admin-field admin-field--wide">
                <span className="admin-field__label">Link {index + 1} URL</span>
                <input
                  type="url"
                  required
                  maxLength={300}
                  value={endpoint.url}
                  onChange={(e) => updateEndpoint(endpoint.rowKey, { url: e.target.value })}
                />
              </label>
              <label className="admin-field">
                <span className="admin-field__label">Link {index + 1} kind (optional)</span>
                <input
                  pattern="[a-z][a-z0-9\-]{0,31}"
                  title="Lower-case letters, digits and hyphens"
                  placeholder="status"
                  value={endpoint.kind ?? ''}
                  onChange={(e) => updateEndpoint(endpoint.rowKey, { kind: e.target.value })}
                />
              </label>
              <button
                type="button"
                className="vs-button"
                aria-label={`Remove link ${index + 1}`}
                onClick={() => setEndpoints((current) => current.filter((e) => e.rowKey !== endpoint.rowKey))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <button
          type="button"
          className="vs-button"
          disabled={endpoints.length >= MAX_ENDPOINTS}
          onClick={() => {
            setEndpoints((current) => [...current, { rowKey: nextKey, label: '', url: '', kind: '' }]);
            setNextKey((k) => k + 1);
          }}
        >
          Add link
        </button>
      </section>
      <div className="admin-dialog-actions">
        <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
          Save settings
        </button>
      </div>
    </form>
  );
}
