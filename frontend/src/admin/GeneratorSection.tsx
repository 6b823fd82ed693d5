import { useState } from 'react';
import { useApi } from '../api/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { clearQueue, getGeneratorSettings, getQueue, pauseQueue, resumeQueue } from './adminApi';
import BaseModelsEditor from './BaseModelsEditor';
import { formatDateTime } from './format';
import GeneratorAgents from './GeneratorAgents';
import GeneratorBlocks from './GeneratorBlocks';
import GeneratorFailures from './GeneratorFailures';
import GeneratorOptionsForm from './GeneratorOptionsForm';
import GeneratorRequests from './GeneratorRequests';
import type { AccessMode, GeneratorSettings, GeneratorSettingsChange } from './types';
import { useAdminAction } from './useAdminAction';
import { GENERATOR_SETTINGS_KEY, useSaveGeneratorSettings } from './useSaveGeneratorSettings';
import { SwitchField } from './FormParts';

const QUEUE_KEY = ['admin', 'generator', 'queue'];  // also refreshed by cancel/retry (generatorRequestActions)
const QUEUE_POLL_MS = 5000;

export default function GeneratorSection() {
  const settings = useApi(GENERATOR_SETTINGS_KEY, getGeneratorSettings);
  return (
    <section aria-labelledby="admin-generator-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-generator-title">Generator</h2>
      </div>
      {settings.error ? (
        <ErrorState error={settings.error} />
      ) : !settings.data ? (
        <Spinner />
      ) : (
        <>
          <QueuePanel settings={settings.data} />
          <AccessPanel settings={settings.data} />
          <BaseModelsEditor settings={settings.data} />
          <GeneratorOptionsForm settings={settings.data} />
        </>
      )}
      <GeneratorRequests />
      <GeneratorBlocks />
      <GeneratorAgents />
      <GeneratorFailures />
    </section>
  );
}

function AccessPanel({ settings }: { settings: GeneratorSettings }) {
  const save = useSaveGeneratorSettings('Generator access updated');
  const change = (c: GeneratorSettingsChange) => save.mutate({ ...c, version: settings.version });
  return (
    <section className="admin-panel" aria-labelledby="generator-access-title">
      <h3 id="generator-access-title">Access</h3>
      <div className="admin-inline-form">
        <SwitchField
          label="Generator enabled"
          checked={settings.enabled}
          disabled={save.isPending}
          onChange={(enabled) => change({ enabled })}
        />
        <label className="admin-field">
          <span className="admin-field__label">Access mode</span>
          <select
            value={settings.accessMode}
            disabled={save.isPending}
            onChange={(e) => change({ accessMode: e.target.value as AccessMode })}
          >
            <option value="admins">Administrators only</option>
            <option value="members">All signed-in members</option>
          </select>
        </label>
      </div>
    </section>
  );
}

function QueuePanel({ settings }: { settings: GeneratorSettings }) {
  const telemetry = useApi(QUEUE_KEY, getQueue, { refetchInterval: QUEUE_POLL_MS });
  const [declineNew, setDeclineNew] = useState(true);
  const [reason, setReason] = useState('');
  const [confirmClear, setConfirmClear] = useState(false);
  // Clearing cancels waiting requests, so the requests list changes too.
  const invalidate = [GENERATOR_SETTINGS_KEY, QUEUE_KEY, ['admin', 'generator', 'requests']];
  const pause = useAdminAction(() => pauseQueue(declineNew, reason.trim() || undefined), {
    success: 'Queue paused',
    invalidate,
  });
  const resume = useAdminAction(resumeQueue, { success: 'Queue resumed', invalidate });
  const clear = useAdminAction(clearQueue, {
    success: (r) => `Cancelled ${r.cleared} waiting ${r.cleared === 1 ? 'request' : 'requests'}` +
      (r.remaining ? `; ${r.remaining} still waiting (clear again)` : ''),
    invalidate,
    onSuccess: () => setConfirmClear(false),
  });
  const queue = settings.queue;
  const t = telemetry.data;

  return (
    <section className="admin-panel" aria-labelledby="generator-queue-title">
      <h3 id="generator-queue-title">Queue</h3>
      {t && (
        <dl className="admin-stats">
          <div>
            <dt>Waiting</dt>
            <dd>{t.counts.pending + t.counts.queued}</dd>
          </div>
          <div>
            <dt>Running</dt>
            <dd>{t.counts.running}</dd>
          </div>
          <div>
            <dt>Agents online</dt>
            <dd>{t.agents.online}</dd>
          </div>
          <div>
            <dt>Agents busy</dt>
            <dd>{t.agents.busy}</dd>
          </div>
        </dl>
      )}
      {queue.paused ? (
        <div className="admin-notice" role="status">
          <p>
            <strong>Paused</strong>
            {queue.declineNew ? ' — new requests are declined.' : ' — new requests wait in the queue.'}
            {queue.reason && <> Reason: {queue.reason}</>}
            {queue.changedAt && <span className="admin-muted"> (since {formatDateTime(queue.changedAt)})</span>}
          </p>
          <button type="button" className="vs-button vs-button--primary" disabled={resume.isPending} onClick={() => resume.mutate(undefined)}>
            Resume queue
          </button>
        </div>
      ) : (
        <form
          className="admin-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            pause.mutate(undefined);
          }}
        >
          <label className="admin-field">
            <span className="admin-field__label">Pause reason (optional)</span>
            <input value={reason} maxLength={300} onChange={(e) => setReason(e.target.value)} />
          </label>
          <label className="admin-check">
            <input type="checkbox" checked={declineNew} onChange={(e) => setDeclineNew(e.target.checked)} />
            Decline new requests
          </label>
          <button className="vs-button" type="submit" disabled={pause.isPending}>
            Pause queue
          </button>
        </form>
      )}
      <button type="button" className="vs-button vs-button--danger" onClick={() => setConfirmClear(true)}>
        Clear queue
      </button>
      {confirmClear && (
        <ConfirmDialog
          open
          title="Clear the queue"
          confirmLabel="Clear queue"
          busy={clear.isPending}
          onConfirm={() => clear.mutate(undefined)}
          onCancel={() => setConfirmClear(false)}
        >
          <p>Every request that has not started yet is cancelled. Running renders continue.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
