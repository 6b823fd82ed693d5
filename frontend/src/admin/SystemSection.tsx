import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { useApi } from '../api/hooks';
import type { QueueDepth, RedriveResult, ScheduledRun, SystemOverview } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { formatDateTime } from './format';
import { useAdminAction } from './useAdminAction';

const SYSTEM_KEY = ['admin', 'system'];
/** Refetched while the page is visible (TanStack Query pauses intervals in background tabs). */
const SYSTEM_POLL_MS = 10_000;
const REDRIVE_DEFAULT = 100;
const REDRIVE_MAX = 1000;

async function getSystem(): Promise<SystemOverview> {
  return (await unwrap<SystemOverview>(api.GET('/api/admin/system'))).data;
}

async function redrive(queue: string, max: number): Promise<RedriveResult> {
  return (
    await unwrap<RedriveResult>(
      api.POST('/api/admin/system/queues/{queue}/redrive', { params: { path: { queue } }, body: { max } }),
    )
  ).data;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago" for an ISO time (an em dash when absent). */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return iso;
  let amount = Math.round((at - now) / 1000);
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(amount, unit);
    amount = Math.round(amount / size);
  }
  return relative.format(amount, 'day');
}

/** A report's headline figures: numbers as they are, lists by their length, flags as yes/no. */
export function reportFigures(report: Record<string, unknown> | null): [string, string][] {
  if (!report) return [];
  const figures: [string, string][] = [];
  for (const [key, value] of Object.entries(report)) {
    if (key === 'ranAt' || key === 'trigger') continue;
    if (typeof value === 'number') figures.push([key, String(value)]);
    else if (Array.isArray(value)) figures.push([key, String(value.length)]);
    else if (typeof value === 'boolean') figures.push([key, value ? 'yes' : 'no']);
  }
  return figures;
}

export default function SystemSection() {
  const system = useApi(SYSTEM_KEY, getSystem, { refetchInterval: SYSTEM_POLL_MS });
  return (
    <section aria-labelledby="admin-system-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-system-title">System</h2>
        {system.dataUpdatedAt > 0 && (
          <span className="admin-muted" aria-live="polite">
            Updated {formatDateTime(new Date(system.dataUpdatedAt).toISOString())}
          </span>
        )}
      </div>
      {system.error ? (
        <ErrorState error={system.error} />
      ) : !system.data ? (
        <Spinner />
      ) : (
        <>
          <HealthPanel health={system.data.health} />
          <QueuesPanel queues={system.data.queues} />
          <SchedulesPanel schedules={system.data.schedules} />
        </>
      )}
    </section>
  );
}

function HealthPanel({ health }: { health: SystemOverview['health'] }) {
  return (
    <section className="admin-panel" aria-labelledby="system-health-title">
      <h3 id="system-health-title">Health: {health.status}</h3>
      <dl className="admin-stats">
        {Object.entries(health.components).map(([name, state]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{state}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function count(value: number | null): string {
  return value === null ? '—' : String(value);
}

function QueuesPanel({ queues }: { queues: QueueDepth[] }) {
  const [target, setTarget] = useState<QueueDepth | null>(null);
  const [max, setMax] = useState(REDRIVE_DEFAULT);
  const action = useAdminAction((args: { queue: string; max: number }) => redrive(args.queue, args.max), {
    success: (r) =>
      `Moved ${r.moved} ${r.moved === 1 ? 'message' : 'messages'} back to ${r.queue}` +
      (r.failed ? `; ${r.failed} could not be moved` : '') +
      (r.deadLetter ? `; ${r.deadLetter} still dead-lettered (redrive again)` : ''),
    invalidate: [SYSTEM_KEY],
    onSuccess: () => setTarget(null),
  });
  const validMax = Number.isInteger(max) && max >= 1 && max <= REDRIVE_MAX;
  return (
    <section className="admin-panel" aria-labelledby="system-queues-title">
      <h3 id="system-queues-title">Queues</h3>
      <div className="admin-table-wrap">
        <table className="admin-table">
          <caption className="vs-visually-hidden">Queue depths and dead-letter counts</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Visible</th>
              <th scope="col">In flight</th>
              <th scope="col">Delayed</th>
              <th scope="col">Dead letters</th>
              <th scope="col">
                <span className="vs-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.name}>
                <th scope="row">
                  <code>{q.name}</code>
                  {!q.reachable && <span className="admin-muted"> (unreachable)</span>}
                </th>
                <td>{count(q.visible)}</td>
                <td>{count(q.inFlight)}</td>
                <td>{count(q.delayed)}</td>
                <td>{q.deadLetter ? count(q.deadLetter.visible) : 'no DLQ'}</td>
                <td>
                  <button
                    type="button"
                    className="vs-button"
                    aria-label={`Redrive ${q.name}`}
                    disabled={!q.deadLetter || q.deadLetter.visible === 0}
                    onClick={() => {
                      setMax(REDRIVE_DEFAULT);
                      setTarget(q);
                    }}
                  >
                    Redrive
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {target && (
        <ConfirmDialog
          open
          destructive={false}
          title={`Redrive ${target.name}`}
          confirmLabel="Move messages"
          busy={action.isPending}
          onConfirm={() => {
            if (validMax) action.mutate({ queue: target.name, max });
          }}
          onCancel={() => setTarget(null)}
        >
          <p>
            Messages in the dead-letter queue of <code>{target.name}</code> ({count(target.deadLetter?.visible ?? null)}{' '}
            now) are sent back to the queue and processed again. Fix what made them fail first, or they return to
            the dead-letter queue.
          </p>
          <label className="admin-field">
            <span className="admin-field__label">Messages to move (1–{REDRIVE_MAX})</span>
            <input
              type="number"
              min={1}
              max={REDRIVE_MAX}
              value={Number.isNaN(max) ? '' : max}
              aria-invalid={!validMax}
              onChange={(e) => setMax(e.target.valueAsNumber)}
            />
          </label>
        </ConfirmDialog>
      )}
    </section>
  );
}

function SchedulesPanel({ schedules }: { schedules: ScheduledRun[] }) {
  return (
    <section className="admin-panel" aria-labelledby="system-schedules-title">
      <h3 id="system-schedules-title">Scheduled jobs</h3>
      {schedules.length === 0 ? (
        <p className="admin-muted">No scheduled job has reported yet.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="vs-visually-hidden">Last run of each scheduled job</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Last run</th>
                <th scope="col">Report</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr key={s.name}>
                  <th scope="row">
                    <code>{s.name}</code>
                  </th>
                  <td>
                    <time dateTime={s.ranAt ?? undefined} title={formatDateTime(s.ranAt)}>
                      {relativeTime(s.ranAt)}
                    </time>
                  </td>
                  <td>
                    <ul className="admin-chips">
                      {reportFigures(s.report).map(([key, value]) => (
                        <li key={key} className="admin-chip">
                          {key}: <strong>{value}</strong>
                        </li>
                      ))}
                    </ul>
                    {s.report && (
                      <details>
                        <summary>Full report</summary>
                        <pre className="admin-pre">{JSON.stringify(s.report, null, 2)}</pre>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
