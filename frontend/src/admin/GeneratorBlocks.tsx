import { useState, type FormEvent } from 'react';
import { useCursorList } from '../api/hooks';
import { UserLink } from '../components/UserLink';
import { blockUser, listBlocks, unblockUser } from './adminApi';
import { formatDateTime } from './format';
import type { AdminUser, GeneratorBlock } from './types';
import UserPicker from './UserPicker';
import { useAdminAction } from './useAdminAction';
import { ListBody, LoadMoreButton } from './ListParts';

const BLOCKS_KEY = ['admin', 'generator', 'blocks'];

/** Users barred from the generator, with the reason they are shown. */
export default function GeneratorBlocks() {
  const list = useCursorList<GeneratorBlock>(BLOCKS_KEY, (cursor) => listBlocks(cursor));
  const [user, setUser] = useState<AdminUser | null>(null);
  const [reason, setReason] = useState('');
  const block = useAdminAction(({ userId, why }: { userId: string; why: string }) => blockUser(userId, why), {
    success: (b) => `${b.user?.displayName ?? 'User'} blocked from the generator`,
    invalidate: [BLOCKS_KEY],
    onSuccess: () => {
      setUser(null);
      setReason('');
    },
  });
  const lift = useAdminAction((userId: string) => unblockUser(userId), {
    success: 'Block lifted',
    invalidate: [BLOCKS_KEY],
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (user && reason.trim()) block.mutate({ userId: user.id, why: reason.trim() });
  }

  return (
    <section className="admin-panel" aria-labelledby="generator-blocks-title">
      <h3 id="generator-blocks-title">Blocked users</h3>
      <ListBody list={list} isEmpty={list.items.length === 0} empty={<p className="admin-muted">Nobody is blocked.</p>}>
        <ul className="admin-compact-list" aria-label="Blocked users">
          {list.items.map((b) => {
            const name = b.user?.displayName ?? b.userId;
            return (
              <li key={b.userId} className="admin-list-row">
                <span>
                  {b.user ? <UserLink user={{ id: b.userId, displayName: name }} /> : name} — {b.reason}{' '}
                  <span className="admin-muted">since {formatDateTime(b.createdAt)}</span>
                </span>
                <button className="vs-button"
                  type="button"
                  aria-label={`Lift block of ${name}`}
                  disabled={lift.isPending}
                  onClick={() => lift.mutate(b.userId)}
                >
                  Lift block
                </button>
              </li>
            );
          })}
        </ul>
      </ListBody>
      <LoadMoreButton list={list} label="Load more blocks" />
      <form className="admin-form admin-form--row" onSubmit={submit}>
        <UserPicker label="User to block" value={user} onChange={setUser} />
        <label className="admin-field">
          <span className="admin-field__label">Block reason</span>
          <input required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button className="vs-button" type="submit" disabled={!user || !reason.trim() || block.isPending}>
          Block user
        </button>
      </form>
    </section>
  );
}
