import { useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import {
  addKeyword,
  getThresholds,
  latestRecalculation,
  listKeywords,
  putThresholds,
  removeKeyword,
  startRecalculation,
} from './adminApi';
import { formatDateTime } from './format';
import type { KeywordCategory, KeywordList, Recalculation } from './types';
import { SettingsForm, WholeNumberField, useServerDraft } from './FormParts';
import { useAdminAction } from './useAdminAction';

const KEYWORDS_KEY = ['admin', 'safety', 'keywords'];
const THRESHOLDS_KEY = ['admin', 'safety', 'thresholds'];
const RECALCULATION_KEY = ['admin', 'safety', 'recalculation'];
const POLL_MS = 2000;
const MAX_LABEL = 60;
const MAX_THRESHOLD = 10_000;

const CATEGORIES: { category: KeywordCategory; title: string; text: string }[] = [
  {
    category: 'adult',
    title: 'Adult keywords',
    text: 'Prompts, tags or metadata containing these mark an asset as adult (hidden from viewers who opted out).',
  },
  {
    category: 'illegal',
    title: 'Illegal keywords',
    text: 'Assets matching these are hidden and sent to the moderation queue.',
  },
];

export default function SafetySection() {
  const keywords = useApi(KEYWORDS_KEY, listKeywords);
  return (
    <section aria-labelledby="admin-safety-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-safety-title">Safety</h2>
      </div>
      <RecalculationPanel />
      <div className="admin-columns">
        {CATEGORIES.map((c) => (
          <KeywordPanel key={c.category} {...c} list={keywords.data} error={keywords.error} loading={keywords.isLoading} />
        ))}
      </div>
      <ThresholdsPanel />
    </section>
  );
}

function KeywordPanel({
  category,
  title,
  text,
  list,
  error,
  loading,
}: {
  category: KeywordCategory;
  title: string;
  text: string;
  list: KeywordList | undefined;
  error: unknown;
  loading: boolean;
}) {
  const [label, setLabel] = useState('');
  const add = useAdminAction((value: string) => addKeyword(category, value), {
    success: (r) => `Added “${r.keyword.label}”; assets are being re-evaluated`,
    invalidate: [KEYWORDS_KEY, RECALCULATION_KEY],
    onSuccess: () => setLabel(''),
  });
  const remove = useAdminAction((keywordId: string) => removeKeyword(category, keywordId), {
    success: (r) => `Removed “${r.keyword.label}”; assets are being re-evaluated`,
    invalidate: [KEYWORDS_KEY, RECALCULATION_KEY],
  });
  const items = (list?.items ?? []).filter((k) => k.category === category);
  const inputId = `keyword-${category}`;

  function submit(event: FormEvent) {
    event.preventDefault();
    const value = label.trim();
    if (value) add.mutate(value);
  }

  return (
    <section className="admin-panel" aria-labelledby={`${inputId}-title`}>
      <h3 id={`${inputId}-title`}>{title}</h3>
      <p className="admin-hint">{text}</p>
      {error ? (
        <ErrorState error={error} />
      ) : loading ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p className="admin-muted">No {category} keywords.</p>
      ) : (
        <ul className="admin-chips" aria-label={title}>
          {items.map((k) => (
            <li key={k.id} className="admin-chip">
              {k.label}
              <button
                type="button"
                className="admin-chip__remove"
                aria-label={`Remove ${category} keyword ${k.label}`}
                disabled={remove.isPending}
                onClick={() => remove.mutate(k.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {list && (
        <p className="admin-muted">
          {list.counts?.[category] ?? items.length} of {list.limit}
        </p>
      )}
      <form className="admin-inline-form" onSubmit={submit}>
        <label className="admin-field">
          <span className="admin-field__label">New {category} keyword</span>
          <input id={inputId} value={label} maxLength={MAX_LABEL} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <button className="vs-button" type="submit" disabled={add.isPending || !label.trim()}>
          Add
        </button>
      </form>
    </section>
  );
}

function ThresholdsPanel() {
  const current = useApi(THRESHOLDS_KEY, getThresholds);
  const [draft, setDraft] = useServerDraft(current.data, (data) => data.thresholds);
  const save = useAdminAction(putThresholds, {
    success: (r) => (r.recalculation ? 'Thresholds saved; models are being re-evaluated' : 'Thresholds saved'),
    invalidate: [THRESHOLDS_KEY, RECALCULATION_KEY],
  });

  return (
    <section className="admin-panel" aria-labelledby="thresholds-title">
      <h3 id="thresholds-title">LoRA training-tag thresholds</h3>
      <p className="admin-hint">
        How many training images tagged with an adult or illegal keyword make a model adult or flag it. 0 disables the
        check.
      </p>
      <SettingsForm error={current.error} draft={draft} onSave={(d) => save.mutate(d)}>
        {(d) => (
          <>
            <WholeNumberField
              label="Adult threshold"
              min={0}
              max={MAX_THRESHOLD}
              value={d.adult}
              onChange={(adult) => setDraft({ ...d, adult })}
            />
            <WholeNumberField
              label="Illegal threshold"
              min={0}
              max={MAX_THRESHOLD}
              value={d.illegal}
              onChange={(illegal) => setDraft({ ...d, illegal })}
            />
            <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
              Save thresholds
            </button>
          </>
        )}
      </SettingsForm>
    </section>
  );
}

function isRunning(run: Recalculation | null | undefined): boolean {
  return !!run && (run.status === 'queued' || run.status === 'running');
}

/** The latest re-evaluation of every asset; polled while it runs. */
function RecalculationPanel() {
  const latest = useApi(RECALCULATION_KEY, latestRecalculation, {
    refetchInterval: (query: { state: { data?: { recalculation: Recalculation | null } } }) =>
      isRunning(query.state.data?.recalculation) ? POLL_MS : false,
  });
  const start = useAdminAction(startRecalculation, {
    success: 'Recalculation started',
    invalidate: [RECALCULATION_KEY],
  });
  const run = latest.data?.recalculation;
  const running = isRunning(run);

  return (
    <section className="admin-panel" aria-labelledby="recalculation-title">
      <div className="admin-section-head">
        <h3 id="recalculation-title">Recalculation</h3>
        <button className="vs-button" type="button" disabled={running || start.isPending} onClick={() => start.mutate(undefined)}>
          Recalculate now
        </button>
      </div>
      {latest.error ? (
        <ErrorState error={latest.error} />
      ) : latest.isLoading ? (
        <Spinner />
      ) : !run ? (
        <p className="admin-muted">No recalculation has run yet.</p>
      ) : (
        <div aria-live="polite">
          <p>
            <span className={run.status === 'failed' ? 'admin-badge is-danger' : running ? 'admin-badge is-warn' : 'admin-badge is-ok'}>
              {run.status}
            </span>{' '}
            {run.phase && <span className="admin-muted">{run.phase} · </span>}
            <span className="admin-muted">
              {run.scanned}
              {run.total ? ` of about ${run.total}` : ''} assets checked
            </span>
          </p>
          <div
            className="admin-progress"
            role="progressbar"
            aria-label="Recalculation progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={run.percent}
          >
            <div className="admin-progress__bar" style={{ width: `${run.percent}%` }} />
          </div>
          <p className="admin-muted">
            {run.percent}% · marked adult {run.adultMarked}, cleared adult {run.adultCleared}, flagged {run.flagged},
            cleared {run.cleared} · queued {formatDateTime(run.queuedAt)}
            {run.finishedAt && <> · finished {formatDateTime(run.finishedAt)}</>}
          </p>
          {run.error && <p className="admin-error">{run.error}</p>}
        </div>
      )}
    </section>
  );
}
