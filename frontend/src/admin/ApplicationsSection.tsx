import { useState } from 'react';
import { useCursorList } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { UserLink } from '../components/UserLink';
import { approveApplication, listApplications, rejectApplication } from './adminApi';
import { ROLE_LABELS, formatDateTime } from './format';
import type { ApplicationStatus, CuratorApplication } from './types';
import { useAdminAction } from './useAdminAction';

const REASON_MIN = 3;
const REASON_MAX = 600;
const STATUSES: { value: ApplicationStatus; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
];

export default function ApplicationsSection() {
  const [status, setStatus] = useState<ApplicationStatus>('pending');
  const list = useCursorList<CuratorApplication>(['admin', 'applications', status], (cursor) =>
    listApplications(status, cursor),
  );

  return (
    <section aria-labelledby="admin-applications-title">
      <div className="admin-section-head">
        <h2 id="admin-applications-title">Curator applications</h2>
        <label className="admin-field">
          <span className="admin-field__label">Show</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as ApplicationStatus)}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.error ? (
        <ErrorState error={list.error} />
      ) : list.isLoading ? (
        <Spinner />
      ) : list.items.length === 0 ? (
        <EmptyState title={status === 'pending' ? 'No applications waiting' : `No ${status} applications`} />
      ) : (
        <ul className="admin-cards" aria-label="Applications">
          {list.items.map((application) => (
            <ApplicationCard key={application.id} application={application} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="vs-button admin-more" onClick={() => list.fetchNextPage()}>
          Load more applications
        </button>
      )}
    </section>
  );
}

function ApplicationCard({ application }: { application: CuratorApplication }) {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const name = application.applicant.displayName ?? 'Deleted user';
  const invalidate = [['admin', 'applications']];
  const approve = useAdminAction(() => approveApplication(application.id, reason.trim() || undefined), {
    success: `${name} is now a curator`,
    invalidate,
  });
  const reject = useAdminAction(() => rejectApplication(application.id, reason.trim()), {
    success: `Application of ${name} rejected`,
    invalidate,
  });
  const pending = application.status === 'pending';
  const reasonId = `application-reason-${application.id}`;

  function onReject() {
    // The applicant is shown the reason, so the server requires one; say so before asking it.
    if (reason.trim().length < REASON_MIN) {
      setProblem(`A reason of at least ${REASON_MIN} characters is required to reject.`);
      return;
    }
    setProblem(null);
    reject.mutate(undefined);
  }

  return (
    <li className="admin-card" aria-label={`Application from ${name}`}>
      <div className="admin-card__head">
        <strong>
          {application.applicant.displayName ? (
            <UserLink user={{ id: application.applicant.id, displayName: name }} />
          ) : (
            name
          )}
        </strong>
        {application.applicant.email && <span className="admin-muted">{application.applicant.email}</span>}
        {application.applicant.role && <span className="admin-badge">{ROLE_LABELS[application.applicant.role]}</span>}
        {application.applicant.isActive === false && <span className="admin-badge">Deactivated</span>}
      </div>
      <p className="admin-muted">
        Applied {formatDateTime(application.createdAt)}
        {application.applicant.joinedAt && <> · joined {formatDateTime(application.applicant.joinedAt)}</>}
      </p>
      <blockquote className="admin-quote">{application.message}</blockquote>
      {pending ? (
        <>
          <label className="admin-field__label" htmlFor={reasonId}>
            Decision reason
          </label>
          <textarea
            id={reasonId}
            rows={2}
            maxLength={REASON_MAX}
            value={reason}
            aria-invalid={problem ? true : undefined}
            aria-describedby={`${reasonId}-hint`}
            onChange={(e) => setReason(e.target.value)}
          />
          <p id={`${reasonId}-hint`} className={problem ? 'admin-error' : 'admin-hint'} role={problem ? 'alert' : undefined}>
            {problem ?? 'Required to reject (the applicant sees it); optional when approving.'}
          </p>
          <div className="admin-row-actions">
            <button
              type="button"
              className="vs-button vs-button--primary"
              disabled={approve.isPending || reject.isPending}
              onClick={() => approve.mutate(undefined)}
            >
              Approve
            </button>
            <button type="button" className="vs-button vs-button--danger" disabled={approve.isPending || reject.isPending} onClick={onReject}>
              Reject
            </button>
          </div>
        </>
      ) : (
        <p>
          <span className={application.status === 'approved' ? 'admin-badge is-ok' : 'admin-badge is-danger'}>
            {application.status === 'approved' ? 'Approved' : 'Rejected'}
          </span>{' '}
          {formatDateTime(application.decidedAt)}
          {application.reason && <> — {application.reason}</>}
        </p>
      )}
    </li>
  );
}
