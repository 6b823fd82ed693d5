// Account settings: display name, bio, avatar, adult-content preference and password.
import { useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, unwrap } from "../api/client";
import { avatarProblem, uploadAvatar } from "../api/avatar";
import { useApi } from "../api/hooks";
import type { Profile } from "../api/types";
import { useAuth, type MePatch } from "../auth/AuthContext";
import { Avatar } from "./Avatar";
import { Dialog } from "./Dialog";
import { FormField } from "./FormField";
import { useToast } from "./Toast";

export function AccountSettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { user } = useAuth();
  if (!user) return null;
  return (
    <Dialog open={open} title="Account settings" onClose={onClose} size="medium" closeOnBackdrop={false}>
      {/* Keyed by open state so the form starts from the saved values each time it opens. */}
      {open && <AccountSettingsForm onDone={onClose} />}
    </Dialog>
  );
}

function AccountSettingsForm({ onDone }: { onDone: () => void }) {
  const { user, updateMe } = useAuth();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(user?.displayName ?? "");
  const [bio, setBio] = useState(user?.bio ?? "");
  const [showAdult, setShowAdult] = useState(user?.showAdultContent ?? false);
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirmPassword, setConfirmPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [avatarBusy, setAvatarBusy] = useState(false);
  const [avatarError, setAvatarError] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const profile = useApi<Profile>(["users", user?.id, "profile"], () =>
    unwrap<Profile>(api.GET("/api/users/{user_id}/profile", { params: { path: { user_id: user!.id } } })).then((r) => r.data),
  );

  if (!user) return null;
  const passwordMismatch = newPassword !== "" && confirmPassword !== "" && newPassword !== confirmPassword;

  async function chooseAvatar(file: File | undefined) {
    if (!file) return;
    const problem = avatarProblem(file);
    setAvatarError(problem);
    if (problem) return;
    setAvatarBusy(true);
    try {
      await uploadAvatar(file);
      await queryClient.invalidateQueries({ queryKey: ["users", user!.id] });
      toast.success("Avatar updated");
    } catch (e) {
      setAvatarError(e instanceof Error ? e.message : "The avatar could not be uploaded");
    } finally {
      setAvatarBusy(false);
      if (fileRef.current) fileRef.current.value = "";
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (passwordMismatch) return;
    const patch: MePatch = {};
    if (displayName.trim() !== user!.displayName) patch.displayName = displayName.trim();
    if (bio !== user!.bio) patch.bio = bio;
    if (showAdult !== user!.showAdultContent) patch.showAdultContent = showAdult;
    if (newPassword) {
      patch.currentPassword = currentPassword;
      patch.newPassword = newPassword;
    }
    if (Object.keys(patch).length === 0) {
      onDone();
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await updateMe(patch);
      await queryClient.invalidateQueries({ queryKey: ["users", user!.id] });
      toast.success(newPassword ? "Settings saved; your password was changed" : "Settings saved");
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "UNKNOWN", String(e)));
    } finally {
      setSaving(false);
    }
  }

  const fieldError = (name: string) => error?.messageFor(name);
  const generalErrors = error?.errors.filter((e) => !["displayName", "bio", "currentPassword", "newPassword"].includes(e.field ?? ""));

  return (
    <form className="vs-form" onSubmit={submit} noValidate>
      <fieldset className="vs-fieldset">
        <legend>Avatar</legend>
        <div className="vs-avatar-row">
          <Avatar name={user.displayName} previews={profile.data?.avatar} size={72} />
          <div>
            <input
              ref={fileRef}
              id="vs-avatar-input"
              type="file"
              accept="image/png,image/jpeg,image/webp"
              className="vs-visually-hidden"
              aria-label="Avatar image"
              onChange={(e) => chooseAvatar(e.target.files?.[0])}
            />
            <button type="button" className="vs-button" onClick={() => fileRef.current?.click()} disabled={avatarBusy}>
              {avatarBusy ? "Uploading…" : "Upload avatar"}
            </button>
            <p className="vs-field__hint">PNG, JPEG or WebP, up to 5 MB.</p>
            {avatarError && (
              <p className="vs-field__error" role="alert">
                {avatarError}
              </p>
            )}
          </div>
        </div>
      </fieldset>

      <FormField label="Display name" error={fieldError("displayName")}>
        {(p) => <input {...p} type="text" required minLength={2} maxLength={160} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
      </FormField>
      <FormField label="Bio" error={fieldError("bio")} hint="Shown on your profile.">
        {(p) => <textarea {...p} rows={4} maxLength={2000} value={bio} onChange={(e) => setBio(e.target.value)} />}
      </FormField>
      <label className="vs-switch">
        <input type="checkbox" checked={showAdult} onChange={(e) => setShowAdult(e.target.checked)} />
        <span>Show adult (NSFW) content</span>
      </label>

      <fieldset className="vs-fieldset">
        <legend>Change password</legend>
        <FormField label="Current password" error={fieldError("currentPassword")}>
          {(p) => <input {...p} type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />}
        </FormField>
        <FormField label="New password" error={fieldError("newPassword")} hint="At least 8 characters.">
          {(p) => <input {...p} type="password" autoComplete="new-password" minLength={8} value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />}
        </FormField>
        <FormField label="Confirm new password" error={passwordMismatch ? "The passwords do not match." : null}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={confirmPassword} onChange={(e) => setConfirmPassword(e.target.value)} />}
        </FormField>
      </fieldset>

      {generalErrors && generalErrors.length > 0 && (
        <p className="vs-form__error" role="alert">
          {generalErrors.map((e) => e.message).join(" ")}
        </p>
      )}
      <div className="vs-form__actions">
        <button type="button" className="vs-button" onClick={onDone}>
          Cancel
        </button>
        <button
          type="submit"
          className="vs-button vs-button--primary"
          disabled={saving || passwordMismatch || (newPassword !== "" && !currentPassword)}
        >
          {saving ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  );
}
