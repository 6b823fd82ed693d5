import { useState, type FormEvent } from 'react';
import { Dialog } from '../components/Dialog';
import { bulkDeleteUsers, createUser, deleteUser, updateUser, type UserChanges } from './adminApi';
import { ROLE_LABELS } from './format';
import type { AdminUser, ContentMode, CreatedUser, Role } from './types';
import UserPicker from './UserPicker';
import { useAdminAction } from './useAdminAction';
import { DialogFormActions } from './FormParts';

const USERS_KEY = ['admin', 'users'];

const PRESETS: { role: Role; description: string }[] = [
  { role: 'USER', description: 'Browse, comment, like, flag and use the generator when members may.' },
  { role: 'CURATOR', description: 'Everything members do, plus uploading models and images and curating galleries.' },
  { role: 'ADMIN', description: 'Full control of accounts, content, moderation and platform settings.' },
];

function RolePresets({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <fieldset className="admin-presets">
      <legend>Role preset</legend>
      {PRESETS.map((preset) => (
        <label key={preset.role} className={value === preset.role ? 'admin-preset is-selected' : 'admin-preset'}>
          <input
            type="radio"
            name="role-preset"
            value={preset.role}
            checked={value === preset.role}
            onChange={() => onChange(preset.role)}
          />
          <span className="admin-preset__name">{ROLE_LABELS[preset.role]}</span>
          <span className="admin-preset__text">{preset.description}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('USER');
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const create = useAdminAction(createUser, {
    success: (r) => `Account created for ${r.user.displayName}`,
    invalidate: [USERS_KEY],
    onSuccess: setCreated,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ email: email.trim(), displayName: displayName.trim(), role, password: password || undefined });
  }

  if (created) {
    return (
      <Dialog open title="Account created" onClose={onClose}>
        <p>
          {created.user.displayName} ({created.user.email}) can now sign in as {ROLE_LABELS[created.user.role]}.
        </p>
        {created.generatedPassword && (
          <div className="admin-secret">
            <p>Generated password — shown only now; pass it on securely:</p>
            <code data-testid="generated-password">{created.generatedPassword}</code>
            <button className="vs-button" type="button" onClick={() => navigator.clipboard?.writeText(created.generatedPassword ?? '')}>
              Copy password
            </button>
          </div>
        )}
        <div className="admin-dialog-actions">
          <button type="button" className="vs-button vs-button--primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog open title="New user" onClose={onClose}>
      <form className="admin-form" onSubmit={submit}>
        <RolePresets value={role} onChange={setRole} />
        <label className="admin-field">
          <span className="admin-field__label">Email</span>
          <input type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Display name</span>
          <input required minLength={2} maxLength={160} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <NewPasswordField
          label="Password (optional)"
          hint="Leave empty to generate one; it is shown once."
          value={password}
          onChange={setPassword}
        />
        <DialogFormActions onCancel={onClose} submitLabel="Create account" disabled={create.isPending} />
      </form>
    </Dialog>
  );
}

export function EditUserDialog({ user, isSelf, onClose }: { user: AdminUser; isSelf: boolean; onClose: () => void }) {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email);
  const [role, setRole] = useState<Role>(user.role);
  const [bio, setBio] = useState(user.bio ?? '');
  const [isActive, setIsActive] = useState(user.isActive);
  const [password, setPassword] = useState('');
  const save = useAdminAction((changes: UserChanges) => updateUser(user.id, changes), {
    success: 'Account updated',
    invalidate: [USERS_KEY],
    onSuccess: onClose,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    // Only what changed is sent: PATCH leaves every other field as it is.
    const changes: UserChanges = {};
    if (displayName.trim() !== user.displayName) changes.displayName = displayName.trim();
    if (email.trim() !== user.email) changes.email = email.trim();
    if (role !== user.role) changes.role = role;
    if (bio !== (user.bio ?? '')) changes.bio = bio;
    if (isActive !== user.isActive) changes.isActive = isActive;
    if (password) changes.password = password;
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    save.mutate(changes);
  }

  return (
    <Dialog open title={`Edit ${user.displayName}`} onClose={onClose}>
      <form className="admin-form" onSubmit={submit}>
        <label className="admin-field">
          <span className="admin-field__label">Display name</span>
          <input required minLength={2} maxLength={160} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Email</span>
          <input type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)} disabled={isSelf}>
            {(['USER', 'CURATOR', 'ADMIN'] as Role[]).map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Bio</span>
          <textarea maxLength={2000} rows={3} value={bio} onChange={(e) => setBio(e.target.value)} />
        </label>
        <label className="admin-check">
          <input type="checkbox" checked={isActive} disabled={isSelf} onChange={(e) => setIsActive(e.target.checked)} />
          Active (may sign in)
        </label>
        <NewPasswordField
          label="Reset password"
          hint="Optional. A reset signs the account out everywhere."
          value={password}
          onChange={setPassword}
        />
        <DialogFormActions onCancel={onClose} submitLabel="Save changes" disabled={save.isPending} />
      </form>
    </Dialog>
  );
}

interface DeleteUsersDialogProps {
  users: AdminUser[];
  onClose: () => void;
  onDeleted: (ids: string[]) => void;
}

/** Deletes one or many accounts; their models, images and galleries go to a curator or are removed. */
export function DeleteUsersDialog({ users, onClose, onDeleted }: DeleteUsersDialogProps) {
  const [content, setContent] = useState<ContentMode>('reassign');
  const [target, setTarget] = useState<AdminUser | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const ids = users.map((u) => u.id);
  const remove = useAdminAction(
    async () => {
      const to = content === 'reassign' ? target?.id : undefined;
      if (ids.length === 1) await deleteUser(ids[0], content, to);
      else await bulkDeleteUsers(ids, content, to);
    },
    {
      success: ids.length === 1 ? 'Deletion started' : `Deletion of ${ids.length} accounts started`,
      invalidate: [USERS_KEY],
      onSuccess: () => onDeleted(ids),
    },
  );
  const ready = confirmed && (content === 'remove' || target !== null);
  const title = users.length === 1 ? `Delete ${users[0].displayName}` : `Delete ${users.length} accounts`;

  return (
    <Dialog open title={title} onClose={onClose}>
      <form
        className="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) remove.mutate(undefined);
        }}
      >
        {users.length > 1 && (
          <ul className="admin-compact-list" aria-label="Accounts to delete">
            {users.map((u) => (
              <li key={u.id}>
                {u.displayName} <span className="admin-muted">{u.email}</span>
              </li>
            ))}
          </ul>
        )}
        <p className="admin-warning" role="note">
          This cannot be undone. The {users.length === 1 ? 'account is' : 'accounts are'} deactivated at once and
          deleted in the background.
        </p>
        <fieldset className="admin-radios">
          <legend>Their models, images and galleries</legend>
          <label className="admin-check">
            <input type="radio" name="content" checked={content === 'reassign'} onChange={() => setContent('reassign')} />
            Reassign to a curator
          </label>
          <label className="admin-check">
            <input type="radio" name="content" checked={content === 'remove'} onChange={() => setContent('remove')} />
            Remove their content
          </label>
        </fieldset>
        {content === 'reassign' && (
          <UserPicker
            label="New owner"
            value={target}
            onChange={setTarget}
            accept={(u) => u.role !== 'USER' && !ids.includes(u.id)}
            hint="An active curator or admin who receives the content."
          />
        )}
        <label className="admin-check">
          <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />I understand that
          this is permanent
        </label>
        <DialogFormActions
          onCancel={onClose}
          submitLabel={users.length === 1 ? 'Delete account' : 'Delete accounts'}
          disabled={!ready || remove.isPending}
          danger
        />
      </form>
    </Dialog>
  );
}

interface NewPasswordFieldProps {
  label: string;
  hint: string;
  value: string;
  onChange: (password: string) => void;
}

/** An optional new password for an account; the server's length limits apply. */
function NewPasswordField({ label, hint, value, onChange }: NewPasswordFieldProps) {
  return (
    <label className="admin-field">
      <span className="admin-field__label">{label}</span>
      <input
        type="password"
        minLength={8}
        maxLength={256}
        autoComplete="new-password"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <span className="admin-hint">{hint}</span>
    </label>
  );
}
