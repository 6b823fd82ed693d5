import { useState } from 'react';
import { useCursorList } from '../api/hooks';
import { listAllRequests } from './adminApi';
import { formatDateTime } from './format';
import {
  ACTIVE_STATUSES,
  CancelRequestButton,
  OwnerName,
  RETRYABLE_STATUSES,
  RetryRequestButton,
  STATUS_LABELS,
  statusLabel,
  statusTone,
} from './generatorRequestActions';
import type { GenerationRequest, JobStatus } from './types';
import { ListBody, LoadMoreButton } from './ListParts';

const PROMPT_EXCERPT = 140;
const POLL_MS = 10_000;

/** The filter choices: single statuses plus the two groups an operator usually wants. */
const FILTERS: { value: string; label: string; statuses: JobStatus[] }[] = [
  { value: '', label: 'All statuses', statuses: [] },
  { value: 'active', label: 'Active (waiting or running)', statuses: [...ACTIVE_STATUSES] },
  { value: 'problems', label: 'Failed, timed out or cancelled', statuses: ['failed', 'timed_out', 'cancelled'] },
  ...(Object.keys(STATUS_LABELS) as JobStatus[]).map((status) => ({
    value: status,
    label: STATUS_LABELS[status],
    statuses: [status],
  })),
];

function excerpt(text: string | null | undefined): string {
  if (!text) return 'No prompt';
  return text.length > PROMPT_EXCERPT ? `${text.slice(0, PROMPT_EXCERPT).trimEnd()}…` : text;
}

/** Everyone's generation requests, newest first, with cancel (active) and retry (ended badly). */
export default function GeneratorRequests() {
  const [filter, setFilter] = useState('');
  const statuses = FILTERS.find((f) => f.value === filter)?.statuses ?? [];
  const list = useCursorList<GenerationRequest>(
    ['admin', 'generator', 'requests', filter],
    (cursor) => listAllRequests(statuses, cursor),
    { refetchInterval: POLL_MS },
  );
  return (
    <section className="admin-panel" aria-labelledby="generator-requests-title">
      <h3 id="generator-requests-title">Requests</h3>
      <div className="admin-toolbar">
        <label className="admin-field">
          <span className="admin-field__label">Request status</span>
          <select value={filter} onChange={(e) => setFilter(e.target.value)}>
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ListBody list={list} isEmpty={list.items.length === 0} empty={<p className="admin-muted">No requests.</p>}>
        <ul className="admin-compact-list" aria-label="Generation requests">
          {list.items.map((job) => (
            <RequestRow key={job.id} job={job} />
          ))}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label="Load more requests" disabled={list.isFetchingNextPage} />
    </section>
  );
}

function RequestRow({ job }: { job: GenerationRequest }) {
  const prompt = job.request?.prompt;
  const active = (ACTIVE_STATUSES as readonly string[]).includes(job.status);
  const retryable = job.kind === 'generate' && RETRYABLE_STATUSES.includes(job.status);
  return (
    <li className="admin-failure" aria-label={`Request ${job.id}`}>
      <div className="admin-card__head">
        <span className={statusTone(job.status)}>{statusLabel(job.status)}</span>
        <span>
          by <OwnerName userId={job.ownerId} />
        </span>
        {job.request?.baseModel?.label && <span>{job.request.baseModel.label}</span>}
        {job.request?.width && job.request?.height && (
          <span className="admin-muted">
            {job.request.width}×{job.request.height}
          </span>
        )}
        <span className="admin-muted">
          {formatDateTime(job.createdAt)}
          {job.status === 'running' && job.progress ? ` · ${job.progress}%` : ''}
          {job.retryOf ? ` · retry of ${job.retryOf}` : ''}
        </span>
      </div>
      <p className="admin-prompt" title={prompt ?? undefined}>
        {excerpt(prompt)}
      </p>
      {job.error && <p className="admin-error">{job.error}</p>}
      {(active || retryable) && (
        <div className="admin-row-actions">
          {active && <CancelRequestButton jobId={job.id} />}
          {retryable && <RetryRequestButton jobId={job.id} />}
        </div>
      )}
    </li>
  );
}
