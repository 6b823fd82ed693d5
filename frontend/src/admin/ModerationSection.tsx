import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useCursorList } from '../api/hooks';
import { Dialog } from '../components/Dialog';
import { EmptyState } from '../components/EmptyState';
import { approveCase, moderationQueue, removeCase, type ModerationFilter } from './adminApi';
import { FLAG_REASON_LABELS, formatDateTime } from './format';
import ModerationSettingsPanel from './ModerationSettingsPanel';
import type { AssetKind, ModerationCase } from './types';
import { useAdminAction } from './useAdminAction';
import { DecisionReasonField, useDecisionReason } from './DecisionReason';
import { ListBody, LoadMoreButton } from './ListParts';

const NOTE_MIN = 3;
const NOTE_MAX = 1000;
const QUEUE_KEY = ['admin', 'moderation'];

export default function ModerationSection() {
  const [filter, setFilter] = useState<ModerationFilter>({ kind: '', state: '' });
  const list = useCursorList<ModerationCase>([...QUEUE_KEY, filter], (cursor) => moderationQueue(filter, cursor));
  const [details, setDetails] = useState<ModerationCase | null>(null);

  return (
    <section aria-labelledby="admin-moderation-title">
      <div className="admin-section-head">
        <h2 id="admin-moderation-title">Moderation queue</h2>
      </div>
      <ModerationSettingsPanel />
      <div className="admin-toolbar">
        <label className="admin-field">
          <span className="admin-field__label">Kind</span>
          <select value={filter.kind ?? ''} onChange={(e) => setFilter((f) => ({ ...f, kind: e.target.value as AssetKind | '' }))}>
            <option value="">Models and images</option>
            <option value="model">Models</option>
            <option value="image">Images</option>
          </select>
        </label>
        <label className="admin-field">
          <span className="admin-field__label">State</span>
          <select
            value={filter.state ?? ''}
            onChange={(e) => setFilter((f) => ({ ...f, state: e.target.value as ModerationFilter['state'] }))}
          >
            <option value="">All undecided</option>
            <option value="open">Reported, still visible</option>
            <option value="hidden">Hidden pending review</option>
          </select>
        </label>
      </div>
      <ListBody list={list} isEmpty={list.items.length === 0} empty={<EmptyState title="Nothing to review" />}>
        <ul className="admin-grid admin-grid--wide" aria-label="Cases">
          {list.items.map((c) => (
            <CaseTile key={`${c.kind}:${c.assetId}`} item={c} onDetails={() => setDetails(c)} />
          ))}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label="Load more cases" />
      {details && <CaseDetails item={details} onClose={() => setDetails(null)} />}
    </section>
  );
}

function caseTitle(c: ModerationCase): string {
  return c.asset?.title ?? `${c.kind === 'model' ? 'Model' : 'Image'} ${c.assetId}`;
}

function ReasonChips({ item }: { item: ModerationCase }) {
  const reasons = Object.entries(item.reasons);
  return (
    <ul className="admin-chips" aria-label="Reasons">
      {reasons.map(([reason, count]) => (
        <li key={reason} className="admin-chip">
          {FLAG_REASON_LABELS[reason] ?? reason}
          {count > 1 && <span className="admin-chip__count"> ×{count}</span>}
        </li>
      ))}
      {item.autoReasons.map((reason) => (
        <li key={`auto-${reason}`} className="admin-chip is-auto" title="Found by the automatic checks">
          Auto: {reason}
        </li>
      ))}
    </ul>
  );
}

function ReporterChips({ item }: { item: ModerationCase }) {
  const names = [...new Set(item.latestDetails.map((d) => d.reporter.displayName ?? 'Deleted user'))];
  if (names.length === 0) return null;
  return (
    <ul className="admin-chips" aria-label="Reporters">
      {names.map((name) => (
        <li key={name} className="admin-chip is-person">
          {name}
        </li>
      ))}
      {item.reporterCount > names.length && (
        <li className="admin-chip is-person">+{item.reporterCount - names.length} more</li>
      )}
    </ul>
  );
}

function CaseTile({ item, onDetails }: { item: ModerationCase; onDetails: () => void }) {
  // Removal is permanent and audited, so the server requires a note to remove.
  const note = useDecisionReason(NOTE_MIN, `A note of at least ${NOTE_MIN} characters is required to remove.`);
  const title = caseTitle(item);
  const approve = useAdminAction(() => approveCase(item.kind, item.assetId, note.optional()), {
    success: `${title} approved`,
    invalidate: [QUEUE_KEY],
  });
  const remove = useAdminAction(() => removeCase(item.kind, item.assetId, note.value.trim()), {
    success: `${title} removed`,
    invalidate: [QUEUE_KEY],
  });
  const busy = approve.isPending || remove.isPending;
  const noteId = `moderation-note-${item.kind}-${item.assetId}`;
  const thumbnail = item.asset?.thumbnail?.grid ?? item.asset?.thumbnail?.preview;
  const link = item.kind === 'model' ? `/models/${item.assetId}` : `/images/${item.assetId}`;

  return (
    <li className="admin-case" aria-label={title}>
      <div className="admin-case__media">
        {thumbnail ? <img src={thumbnail} alt={title} loading="lazy" /> : <span className="admin-tile__noimage">No preview</span>}
      </div>
      <div className="admin-case__body">
        <div className="admin-card__head">
          <Link to={link} className="admin-tile__title">
            {title}
          </Link>
          <span className="admin-badge">{item.kind === 'model' ? 'Model' : 'Image'}</span>
          <span className={item.state === 'hidden' ? 'admin-badge is-warn' : 'admin-badge'}>
            {item.state === 'hidden' ? 'Hidden' : 'Pending review'}
          </span>
          {item.asset?.isAdult && <span className="admin-badge">Adult</span>}
        </div>
        <p className="admin-muted">
          by {item.asset?.owner.displayName ?? 'Deleted user'} · {item.reporterCount}{' '}
          {item.reporterCount === 1 ? 'report' : 'reports'} · last {formatDateTime(item.lastReportedAt ?? item.openedAt)}
        </p>
        <ReasonChips item={item} />
        <ReporterChips item={item} />
        <DecisionReasonField
          id={noteId}
          label="Moderation note"
          maxLength={NOTE_MAX}
          hint="Required to remove; recorded in the audit log."
          reason={note}
        />
        <div className="admin-row-actions">
          <button type="button" className="vs-button vs-button--primary" disabled={busy} onClick={() => approve.mutate(undefined)}>
            Approve
          </button>
          <button
            type="button"
            className="vs-button vs-button--danger"
            disabled={busy}
            onClick={() => note.require(() => remove.mutate(undefined))}
          >
            Remove
          </button>
          <button className="vs-button" type="button" onClick={onDetails} aria-label={`Details of ${title}`}>
            Details
          </button>
        </div>
      </div>
    </li>
  );
}

function CaseDetails({ item, onClose }: { item: ModerationCase; onClose: () => void }) {
  const preview = item.asset?.thumbnail?.preview ?? item.asset?.thumbnail?.grid;
  return (
    <Dialog open title={`Reports on ${caseTitle(item)}`} onClose={onClose}>
      {preview && <img className="admin-case-preview" src={preview} alt={caseTitle(item)} />}
      <dl className="admin-dl">
        <dt>Owner</dt>
        <dd>{item.asset?.owner.displayName ?? 'Deleted user'}</dd>
        <dt>Visibility before review</dt>
        <dd>{item.previousVisibility ?? item.asset?.visibility ?? '—'}</dd>
        <dt>First reported</dt>
        <dd>{formatDateTime(item.firstReportedAt)}</dd>
        <dt>Hidden since</dt>
        <dd>{formatDateTime(item.hiddenAt)}</dd>
      </dl>
      <ReasonChips item={item} />
      <h3>Latest reports</h3>
      {item.latestDetails.length === 0 ? (
        <p className="admin-muted">Opened by the automatic checks; no member reports.</p>
      ) : (
        <ul className="admin-report-log">
          {item.latestDetails.map((report, index) => (
            <li key={index}>
              <strong>{report.reporter.displayName ?? 'Deleted user'}</strong>{' '}
              <span className="admin-chip">{FLAG_REASON_LABELS[report.reason ?? ''] ?? report.reason}</span>{' '}
              <span className="admin-muted">{formatDateTime(report.reportedAt)}</span>
              {report.details && <p>{report.details}</p>}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
