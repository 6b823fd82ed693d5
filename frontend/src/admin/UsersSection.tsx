import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useCursorList } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { EmptyState } from '../components/EmptyState';
import { UserLink } from '../components/UserLink';
import { listUsers, updateUser, type UserFilter } from './adminApi';
import { ROLE_LABELS, formatDateTime } from './format';
import type { AdminUser, Role } from './types';
import { CreateUserDialog, DeleteUsersDialog, EditUserDialog } from './UserDialogs';
import { useAdminAction } from './useAdminAction';
import { ListBody, LoadMoreButton, useSelection } from './ListParts';

const MAX_BULK = 100;
const DELETION_POLL_MS = 3000;

function deletionInProgress(user: AdminUser): boolean {
  return !!user.deletion && user.deletion.status !== 'completed' && user.deletion.status !== 'failed';
}

export default function UsersSection() {
  const { user: me } = useAuth();
  const [searchText, setSearchText] = useState('');
  const [filter, setFilter] = useState<UserFilter>({ q: '', role: '', active: null });
  // Deletions run in the background: follow them while any listed account is being deleted.
  const [watchDeletions, setWatchDeletions] = useState(false);
  const list = useCursorList<AdminUser>(['admin', 'users', filter], (cursor) => listUsers(filter, cursor), {
    refetchInterval: watchDeletions ? DELETION_POLL_MS : false,
  });
  useEffect(() => setWatchDeletions(list.items.some(deletionInProgress)), [list.items]);
  const { selected, setSelected, toggle } = useSelection();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<AdminUser | null>(null);
  const [deleting, setDeleting] = useState<AdminUser[] | null>(null);
  const setActive = useAdminAction(({ user, active }: { user: AdminUser; active: boolean }) =>
    updateUser(user.id, { isActive: active }), {
    success: (u) => `${u.displayName} ${u.isActive ? 'activated' : 'deactivated'}`,
    invalidate: [['admin', 'users']],
  });

  const users = list.items;
  const selectable = useMemo(() => users.filter((u) => u.id !== me?.id && !u.deletion), [users, me?.id]);
  const selectedUsers = users.filter((u) => selected.has(u.id));

  function search(event: FormEvent) {
    event.preventDefault();
    setFilter((f) => ({ ...f, q: searchText.trim() }));
    setSelected(new Set());
  }

  const allSelected = selectable.length > 0 && selectable.every((u) => selected.has(u.id));

  return (
    <section aria-labelledby="admin-users-title">
      <div className="admin-section-head">
        <h2 id="admin-users-title">Users</h2>
        <button type="button" className="vs-button vs-button--primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>

      <div className="admin-toolbar">
        <form role="search" onSubmit={search} className="admin-inline-form">
          <label className="admin-field">
            <span className="admin-field__label">Search accounts</span>
            <input
              type="search"
              value={searchText}
              placeholder="Start of a name or email"
              onChange={(e) => setSearchText(e.target.value)}
            />
          </label>
          <button className="vs-button" type="submit">Search</button>
        </form>
        <label className="admin-field">
          <span className="admin-field__label">Role</span>
          <select value={filter.role ?? ''} onChange={(e) => setFilter((f) => ({ ...f, role: e.target.value as Role | '' }))}>
            <option value="">All roles</option>
            <option value="USER">Members</option>
            <option value="CURATOR">Curators</option>
            <option value="ADMIN">Admins</option>
          </select>
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Status</span>
          <select
            value={filter.active === null || filter.active === undefined ? '' : String(filter.active)}
            onChange={(e) => setFilter((f) => ({ ...f, active: e.target.value === '' ? null : e.target.value === 'true' }))}
          >
            <option value="">Any status</option>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
          </select>
        </label>
      </div>

      {selected.size > 0 && (
        <div className="admin-bulkbar" role="region" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button className="vs-button" type="button" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
          <button type="button" className="vs-button vs-button--danger" onClick={() => setDeleting(selectedUsers)}>
            Delete selected
          </button>
        </div>
      )}

      <ListBody list={list} isEmpty={users.length === 0} empty={<EmptyState title="No accounts match" />}>
        <div className="admin-table-wrap">
          <table className="admin-table admin-table--cards">
            <caption className="vs-visually-hidden">Accounts</caption>
            <thead>
              <tr>
                <th scope="col" className="admin-cell-select">
                  <input
                    type="checkbox"
                    aria-label="Select all shown accounts"
                    checked={allSelected}
                    onChange={(e) =>
                      setSelected(e.target.checked ? new Set(selectable.slice(0, MAX_BULK).map((u) => u.id)) : new Set())
                    }
                  />
                </th>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col" className="admin-col-optional">Joined</th>
                <th scope="col" className="admin-col-optional">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => {
                const isSelf = u.id === me?.id;
                const canSelect = !isSelf && !u.deletion;
                return (
                  <tr key={u.id}>
                    <td className="admin-cell-select">
                      <input
                        type="checkbox"
                        aria-label={`Select ${u.displayName}`}
                        checked={selected.has(u.id)}
                        disabled={!canSelect || (!selected.has(u.id) && selected.size >= MAX_BULK)}
                        onChange={(e) => toggle(u.id, e.target.checked)}
                      />
                    </td>
                    <td className="admin-cell-title">
                      <UserLink user={{ id: u.id, displayName: u.displayName }} />
                      {isSelf && <span className="admin-badge">You</span>}
                    </td>
                    <td className="admin-break" data-label="Email">{u.email}</td>
                    <td data-label="Role">{ROLE_LABELS[u.role]}</td>
                    <td data-label="Status">
                      {u.deletion ? (
                        <span className="admin-badge is-danger">Deletion {u.deletion.status}</span>
                      ) : u.isActive ? (
                        <span className="admin-badge is-ok">Active</span>
                      ) : (
                        <span className="admin-badge">Deactivated</span>
                      )}
                    </td>
                    <td className="admin-col-optional" data-label="Joined">{formatDateTime(u.createdAt)}</td>
                    <td className="admin-col-optional" data-label="Last sign-in">{formatDateTime(u.lastLoginAt)}</td>
                    <td className="admin-cell-actions">
                      <div className="admin-row-actions">
                        <button className="vs-button" type="button" aria-label={`Edit ${u.displayName}`} onClick={() => setEditing(u)}>
                          Edit
                        </button>
                        {!isSelf && !u.deletion && (
                          <>
                            <button className="vs-button"
                              type="button"
                              aria-label={`${u.isActive ? 'Deactivate' : 'Activate'} ${u.displayName}`}
                              disabled={setActive.isPending}
                              onClick={() => setActive.mutate({ user: u, active: !u.isActive })}
                            >
                              {u.isActive ? 'Deactivate' : 'Activate'}
                            </button>
                            <button
                              type="button"
                              className="vs-button vs-button--danger"
                              aria-label={`Delete ${u.displayName}`}
                              onClick={() => setDeleting([u])}
                            >
                              Delete
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </ListBody>
      <LoadMoreButton list={list} label="Load more accounts" />

      {creating && <CreateUserDialog onClose={() => setCreating(false)} />}
      {editing && <EditUserDialog user={editing} isSelf={editing.id === me?.id} onClose={() => setEditing(null)} />}
      {deleting && (
        <DeleteUsersDialog
          users={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={(ids) => {
            setDeleting(null);
            setSelected((current) => new Set([...current].filter((id) => !ids.includes(id))));
          }}
        />
      )}
    </section>
  );
}
