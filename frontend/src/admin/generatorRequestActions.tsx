import { Link } from 'react-router-dom';
import { useApi } from '../api/hooks';
import { cancelRequest, getUser, retryRequest } from './adminApi';
import type { JobStatus } from './types';
import { useAdminAction } from './useAdminAction';

/** Lists that show generation requests; every cancel or retry refreshes all of them. */
export const GENERATOR_JOB_KEYS = [
  ['admin', 'generator', 'requests'],
  ['admin', 'generator', 'failures'],
  ['admin', 'generator', 'queue'],
];

export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'queued', 'dispatched', 'running'];
/** What the server accepts for a retry (a new request is queued for the same member). */
export const RETRYABLE_STATUSES: readonly string[] = ['failed', 'timed_out', 'cancelled'];

export const STATUS_LABELS: Record<JobStatus, string> = {
  pending: 'Pending',
  queued: 'Queued',
  dispatched: 'Dispatched',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status as JobStatus] ?? status;
}

export function statusTone(status: string): string {
  if (status === 'failed' || status === 'timed_out') return 'admin-badge is-danger';
  if (status === 'cancelled') return 'admin-badge is-warn';
  if (status === 'succeeded') return 'admin-badge is-ok';
  return 'admin-badge';
}

export function RetryRequestButton({ jobId }: { jobId: string }) {
  const retry = useAdminAction(() => retryRequest(jobId), {
    success: (job) => `Request queued again as ${job.id}`,
    invalidate: GENERATOR_JOB_KEYS,
  });
  return (
    <button type="button" className="vs-button" disabled={retry.isPending} onClick={() => retry.mutate(undefined)}>
      Retry request
    </button>
  );
}

export function CancelRequestButton({ jobId }: { jobId: string }) {
  const cancel = useAdminAction(() => cancelRequest(jobId), {
    success: 'Request cancelled',
    invalidate: GENERATOR_JOB_KEYS,
  });
  return (
    <button
      type="button"
      className="vs-button vs-button--danger"
      disabled={cancel.isPending}
      onClick={() => cancel.mutate(undefined)}
    >
      Cancel request
    </button>
  );
}

/** The requests list carries only the owner's id; the name is looked up once per account and cached. */
export function OwnerName({ userId }: { userId: string }) {
  const owner = useApi(['admin', 'user', userId], () => getUser(userId), { staleTime: 5 * 60_000, retry: false });
  if (owner.data?.deleted) return <span className="admin-muted">Deleted account</span>;
  return <Link to={`/users/${encodeURIComponent(userId)}`}>{owner.data?.displayName ?? userId}</Link>;
}
