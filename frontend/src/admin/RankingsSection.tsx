import { useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import {
  createTier,
  deleteTier,
  getRankingSettings,
  getUserRank,
  listTiers,
  putRankingWeights,
  rankAction,
  updateTier,
  type RankAction,
} from './adminApi';
import { formatDateTime } from './format';
import type { AdminUser, RankingSettings, RankTier, TierInput } from './types';
import UserPicker from './UserPicker';
import { EditDeleteActions, RowFormActions, SettingsForm, WholeNumberField, useServerDraft } from './FormParts';
import { useAdminAction } from './useAdminAction';

const SETTINGS_KEY = ['admin', 'rankings', 'settings'];
const TIERS_KEY = ['admin', 'rankings', 'tiers'];
const MAX_WEIGHT = 1000;
const POLL_MS = 3000;

type Weights = Pick<RankingSettings, 'modelWeight' | 'galleryWeight' | 'imageWeight'>;

export default function RankingsSection() {
  return (
    <section aria-labelledby="admin-rankings-title" className="admin-stack">
      <div className="admin-section-head">
        <h2 id="admin-rankings-title">Rankings</h2>
      </div>
      <WeightsPanel />
      <TiersPanel />
      <UserRankPanel />
    </section>
  );
}

function WeightsPanel() {
  const settings = useApi(SETTINGS_KEY, getRankingSettings, {
    // Scores are recomputed in the background after a change: follow it until it is done.
    refetchInterval: (query) => (query.state.data?.recompute?.status === 'running' ? POLL_MS : false),
  });
  const [draft, setDraft] = useServerDraft(settings.data, ({ modelWeight, galleryWeight, imageWeight }): Weights => ({
    modelWeight,
    galleryWeight,
    imageWeight,
  }));
  const save = useAdminAction(putRankingWeights, {
    success: 'Weights saved; scores are being recomputed',
    invalidate: [SETTINGS_KEY],
  });
  const recompute = settings.data?.recompute;

  const field = (weights: Weights, key: keyof Weights, label: string) => (
    <WholeNumberField
      label={label}
      min={0}
      max={MAX_WEIGHT}
      value={weights[key]}
      onChange={(value) => setDraft({ ...weights, [key]: value })}
    />
  );

  return (
    <section className="admin-panel" aria-labelledby="ranking-weights-title">
      <h3 id="ranking-weights-title">Score weights</h3>
      <p className="admin-hint">Points a curator earns for each public model, gallery and image.</p>
      <SettingsForm
        error={settings.error}
        draft={draft}
        onSave={(weights) => save.mutate(weights)}
        after={
          <>
            {settings.data?.isFallback && <p className="admin-muted">The default weights are in use.</p>}
            {recompute?.status && (
              <p className="admin-muted" aria-live="polite">
                Recompute {recompute.status}
                {typeof recompute.processed === 'number' && ` · ${recompute.processed} accounts`}
                {recompute.finishedAt && ` · finished ${formatDateTime(recompute.finishedAt)}`}
              </p>
            )}
          </>
        }
      >
        {(weights) => (
          <>
            {field(weights, 'modelWeight', 'Model weight')}
            {field(weights, 'galleryWeight', 'Gallery weight')}
            {field(weights, 'imageWeight', 'Image weight')}
            <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending}>
              Save weights
            </button>
          </>
        )}
      </SettingsForm>
    </section>
  );
}

const EMPTY_TIER: TierInput = { label: '', description: '', minimumScore: 0, isActive: true };

function TierForm({
  initial,
  submitLabel,
  busy,
  onSubmit,
  onCancel,
}: {
  initial: TierInput;
  submitLabel: string;
  busy: boolean;
  onSubmit: (tier: TierInput) => void;
  onCancel?: () => void;
}) {
  const [tier, setTier] = useState<TierInput>(initial);
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ ...tier, label: tier.label.trim(), description: tier.description.trim() });
  }
  return (
    <form className="admin-form admin-form--row" onSubmit={submit}>
      <label className="admin-field">
        <span className="admin-field__label">Tier name</span>
        <input required minLength={2} maxLength={120} value={tier.label} onChange={(e) => setTier({ ...tier, label: e.target.value })} />
      </label>
      <label className="admin-field">
        <span className="admin-field__label">Minimum score</span>
        <input
          type="number"
          required
          min={0}
          step={1}
          value={tier.minimumScore}
          onChange={(e) => setTier({ ...tier, minimumScore: Number(e.target.value) })}
        />
      </label>
      <label className="admin-field admin-field--wide">
        <span className="admin-field__label">Description</span>
        <input maxLength={600} value={tier.description} onChange={(e) => setTier({ ...tier, description: e.target.value })} />
      </label>
      <label className="admin-check">
        <input type="checkbox" checked={tier.isActive} onChange={(e) => setTier({ ...tier, isActive: e.target.checked })} />
        Active
      </label>
      <RowFormActions submitLabel={submitLabel} busy={busy} onCancel={onCancel} />
    </form>
  );
}

function TiersPanel() {
  const tiers = useApi(TIERS_KEY, listTiers);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<RankTier | null>(null);
  const [formKey, setFormKey] = useState(0);
  const create = useAdminAction(createTier, {
    success: (t) => `Tier ${t.label} added`,
    invalidate: [TIERS_KEY],
    onSuccess: () => setFormKey((k) => k + 1),
  });
  const update = useAdminAction(({ id, changes }: { id: string; changes: Partial<TierInput> }) => updateTier(id, changes), {
    success: (t) => `Tier ${t.label} saved`,
    invalidate: [TIERS_KEY],
    onSuccess: () => setEditing(null),
  });
  const remove = useAdminAction((id: string) => deleteTier(id), {
    success: 'Tier deleted',
    invalidate: [TIERS_KEY],
    onSuccess: () => setDeleting(null),
  });
  const fallback = tiers.data?.isFallback ?? false;

  return (
    <section className="admin-panel" aria-labelledby="ranking-tiers-title">
      <h3 id="ranking-tiers-title">Rank tiers</h3>
      {fallback && (
        <p className="admin-hint">The built-in ladder below is in use until you add a tier of your own.</p>
      )}
      {tiers.error ? (
        <ErrorState error={tiers.error} />
      ) : !tiers.data ? (
        <Spinner />
      ) : (
        <ul className="admin-compact-list" aria-label="Tiers">
          {tiers.data.items.map((tier) => (
            <li key={tier.id} className="admin-list-row">
              {editing === tier.id ? (
                <TierForm
                  initial={{ label: tier.label, description: tier.description, minimumScore: tier.minimumScore, isActive: tier.isActive }}
                  submitLabel="Save tier"
                  busy={update.isPending}
                  onSubmit={(changes) => update.mutate({ id: tier.id, changes })}
                  onCancel={() => setEditing(null)}
                />
              ) : (
                <>
                  <span>
                    <strong>{tier.label}</strong> <span className="admin-muted">from {tier.minimumScore} points</span>
                    {!tier.isActive && <span className="admin-badge">Inactive</span>}
                    {tier.description && <span className="admin-muted"> — {tier.description}</span>}
                  </span>
                  {!fallback && (
                    <EditDeleteActions
                      name={`tier ${tier.label}`}
                      onEdit={() => setEditing(tier.id)}
                      onDelete={() => setDeleting(tier)}
                    />
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <h4>Add a tier</h4>
      <TierForm key={formKey} initial={EMPTY_TIER} submitLabel="Add tier" busy={create.isPending} onSubmit={(t) => create.mutate(t)} />
      {deleting && (
        <ConfirmDialog
          open
          title={`Delete tier ${deleting.label}`}
          confirmLabel="Delete tier"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(deleting.id)}
          onCancel={() => setDeleting(null)}
        >
          <p>Curators in this tier move to the next lower one.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function UserRankPanel() {
  const [user, setUser] = useState<AdminUser | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const rankKey = ['admin', 'rankings', 'user', user?.id];
  const rank = useApi(rankKey, () => getUserRank(user!.id), { enabled: user !== null });
  const act = useAdminAction((action: RankAction) => rankAction(user!.id, action), {
    success: (_, action) =>
      action === 'reset' ? 'Score reset' : action === 'block' ? 'Removed from the ladder' : 'Returned to the ladder',
    invalidate: [rankKey],
    onSuccess: () => setConfirmReset(false),
  });
  const blocked = rank.data?.ranking?.isBlocked ?? rank.data?.rank.isBlocked ?? false;

  return (
    <section className="admin-panel" aria-labelledby="ranking-user-title">
      <h3 id="ranking-user-title">A curator&rsquo;s rank</h3>
      <UserPicker label="Account" value={user} onChange={setUser} />
      {user &&
        (rank.error ? (
          <ErrorState error={rank.error} />
        ) : !rank.data ? (
          <Spinner />
        ) : (
          <div className="admin-rank">
            <p>
              <strong>{rank.data.rank.label}</strong> · {rank.data.rank.score} points
              {rank.data.rank.nextLabel && (
                <span className="admin-muted">
                  {' '}
                  · {rank.data.rank.nextLabel} at {rank.data.rank.nextScore}
                </span>
              )}
              {blocked && <span className="admin-badge is-danger">Blocked from the ladder</span>}
            </p>
            {rank.data.ranking?.lastResetAt && (
              <p className="admin-muted">Last reset {formatDateTime(rank.data.ranking.lastResetAt)}</p>
            )}
            <div className="admin-row-actions">
              <button type="button" className="vs-button" disabled={act.isPending} onClick={() => setConfirmReset(true)}>
                Reset score
              </button>
              <button
                type="button"
                className="vs-button"
                disabled={act.isPending}
                onClick={() => act.mutate(blocked ? 'unblock' : 'block')}
              >
                {blocked ? 'Unblock from ranking' : 'Block from ranking'}
              </button>
            </div>
          </div>
        ))}
      {confirmReset && user && (
        <ConfirmDialog
          open
          title={`Reset the score of ${user.displayName}`}
          confirmLabel="Reset score"
          busy={act.isPending}
          onConfirm={() => act.mutate('reset')}
          onCancel={() => setConfirmReset(false)}
        >
          <p>The score restarts from zero; only work published from now on counts.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
