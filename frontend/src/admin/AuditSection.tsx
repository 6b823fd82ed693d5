import { useState, type FormEvent } from 'react';
import { useCursorList } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { listAudit, type AuditFilter } from './adminApi';
import { formatDateTime } from './format';
import type { AuditEntry } from './types';
import { ListBody, LoadMoreButton } from './ListParts';

/** Actions the API records (the filter also accepts any other action name). */
const KNOWN_ACTIONS = [
  'user.create', 'user.update', 'user.delete',
  'moderation.approve', 'moderation.remove', 'moderation.settings',
  'safety.keyword.add', 'safety.keyword.remove', 'safety.keywords.replace', 'safety.thresholds.update', 'safety.recalculate',
  'generator.settings', 'generator.pause', 'generator.resume', 'generator.clear', 'generator.cancel', 'generator.retry',
  'generator.block', 'generator.unblock', 'generator.agent.register', 'generator.agent.update',
  'ranking.weights', 'ranking.reset', 'ranking.block', 'ranking.unblock',
  'ranking.tier.create', 'ranking.tier.update', 'ranking.tier.delete',
  'settings.update', 'notification.announce', 'comment.delete', 'system.redrive',
];
const ID_PATTERN = '[A-Za-z0-9_\\-]{1,64}';

export default function AuditSection() {
  const [draft, setDraft] = useState<AuditFilter>({ action: '', actorId: '', targetId: '' });
  const [filter, setFilter] = useState<AuditFilter>(draft);
  const list = useCursorList<AuditEntry>(['admin', 'audit', filter], (cursor) => listAudit(filter, cursor));

  function apply(event: FormEvent) {
    event.preventDefault();
    setFilter({
      action: draft.action?.trim(),
      actorId: draft.actorId?.trim(),
      targetId: draft.targetId?.trim(),
    });
  }

  return (
    <section aria-labelledby="admin-audit-title">
      <div className="admin-section-head">
        <h2 id="admin-audit-title">Audit log</h2>
      </div>
      <form className="admin-toolbar" onSubmit={apply} aria-label="Audit filters">
        <label className="admin-field">
          <span className="admin-field__label">Action</span>
          <input
            list="admin-audit-actions"
            pattern="[a-z][a-z0-9.\-]{0,63}"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
          <datalist id="admin-audit-actions">
            {KNOWN_ACTIONS.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Actor id</span>
          <input pattern={ID_PATTERN} value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })} />
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Target id</span>
          <input pattern={ID_PATTERN} value={draft.targetId} onChange={(e) => setDraft({ ...draft, targetId: e.target.value })} />
        </label>
        <button type="submit" className="vs-button">
          Apply filters
        </button>
      </form>
      <ListBody list={list} isEmpty={list.items.length === 0} empty={<EmptyState title="No audit entries" />}>
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="vs-visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatDateTime(entry.createdAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="admin-link-button"
                      title="Show only this person's actions"
                      onClick={() => {
                        const next = { ...filter, actorId: entry.actor.id };
                        setDraft(next);
                        setFilter(next);
                      }}
                    >
                      {entry.actor.displayName ?? entry.actor.id}
                    </button>
                  </td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td className="admin-break">
                    {entry.target.kind} <code>{entry.target.id}</code>
                  </td>
                  <td>
                    {entry.details && Object.keys(entry.details).length > 0 ? (
                      <details>
                        <summary>Show</summary>
                        <pre className="admin-pre">{JSON.stringify(entry.details, null, 2)}</pre>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListBody>
      <LoadMoreButton list={list} label="Load more entries" />
    </section>
  );
}
