import { useCursorList } from '../api/hooks';
import { listFailures } from './adminApi';
import { formatDateTime } from './format';
import { OwnerName, RetryRequestButton, statusLabel } from './generatorRequestActions';
import type { FailedJob } from './types';
import { ListBody, LoadMoreButton } from './ListParts';

/** Failed and timed-out generation jobs, newest first, with the recorded detail. */
export default function GeneratorFailures() {
  const list = useCursorList<FailedJob>(['admin', 'generator', 'failures'], (cursor) => listFailures(cursor));
  return (
    <section className="admin-panel" aria-labelledby="generator-failures-title">
      <h3 id="generator-failures-title">Failure log</h3>
      <ListBody list={list} isEmpty={list.items.length === 0} empty={<p className="admin-muted">No failed jobs.</p>}>
        <ul className="admin-compact-list" aria-label="Failed jobs">
          {list.items.map((job) => (
            <li key={job.id} className="admin-failure" aria-label={`Failed job ${job.id}`}>
              <div className="admin-card__head">
                <span className="admin-badge is-danger">{statusLabel(job.status)}</span>
                <span>{job.request?.baseModel?.label ?? job.kind}</span>
                <span>
                  by <OwnerName userId={job.ownerId} />
                </span>
                {job.request?.width && job.request?.height && (
                  <span className="admin-muted">
                    {job.request.width}×{job.request.height}
                  </span>
                )}
                <span className="admin-muted">
                  {formatDateTime(job.updatedAt)} · attempt {job.attempt}
                  {job.stage ? ` · stage ${job.stage}` : ''} · job {job.id}
                </span>
              </div>
              {job.error && <p className="admin-error">{job.error}</p>}
              {job.agentError && (
                <details>
                  <summary>Agent detail</summary>
                  <pre className="admin-pre">{job.agentError}</pre>
                </details>
              )}
              {/* Diagnostic jobs have no request to run again; the server retries generations only. */}
              {job.kind === 'generate' && (
                <div className="admin-row-actions">
                  <RetryRequestButton jobId={job.id} />
                </div>
              )}
            </li>
          ))}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label="Load more failures" />
    </section>
  );
}
