import { useState } from 'react';
import { useCursorList } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { UserLink } from '../components/UserLink';
import { approveApplication, listApplications, rejectApplication } from './adminApi';
import { ROLE_LABELS, formatDateTime } from './format';
import type { ApplicationStatus, CuratorApplication } from './types';
import { useAdminAction } from './useAdminAction';
import { DecisionReasonField, useDecisionReason } from './DecisionReason';
import { ListBody, LoadMoreButton } from './ListParts';

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
      <ListBody
        list={list}
        isEmpty={list.items.length === 0}
        empty={<EmptyState title={status === 'pending' ? 'No applications waiting' : `No ${status} applications`} />}
      >
        <ul className="admin-cards" aria-label="Applications">
          {list.items.map((application) => (
            <ApplicationCard key={application.id} application={application} />
          ))}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label="Load more applications" />
    </section>
  );
}

function ApplicationCard({ application }: { application: CuratorApplication }) {
  // The applicant is shown the reason, so the server requires one to reject.
  const reason = useDecisionReason(REASON_MIN, `A reason of at least ${REASON_MIN} characters is required to reject.`);
  const name = application.applicant.displayName ?? 'Deleted user';
  const invalidate = [['admin', 'applications']];
  const approve = useAdminAction(() => approveApplication(application.id, reason.optional()), {
    success: `${name} is now a curator`,
    invalidate,
  });
  const reject = useAdminAction(() => rejectApplication(application.id, reason.value.trim()), {
    success: `Application of ${name} rejected`,
    invalidate,
  });
  const pending = application.status === 'pending';
  const reasonId = `application-reason-${application.id}`;

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
          <DecisionReasonField
            id={reasonId}
            label="Decision reason"
            maxLength={REASON_MAX}
            hint="Required to reject (the applicant sees it); optional when approving."
            reason={reason}
          />
          <div className="admin-row-actions">
            <button
              type="button"
              className="vs-button vs-button--primary"
              disabled={approve.isPending || reject.isPending}
              onClick={() => approve.mutate(undefined)}
            >
              Approve
            </button>
            <button
              type="button"
              className="vs-button vs-button--danger"
              disabled={approve.isPending || reject.isPending}
              onClick={() => reason.require(() => reject.mutate(undefined))}
            >
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
