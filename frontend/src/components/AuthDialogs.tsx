// Sign-in and registration dialogs, openable from anywhere through useAuthDialogs().
import { createContext, useCallback, useContext, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { useSiteConfig } from "../api/site";
import { useAuth } from "../auth/AuthContext";
import { Dialog } from "./Dialog";
import { FormField } from "./FormField";
import { useToast } from "./Toast";

type Which = "login" | "register" | null;
interface AuthDialogApi {
  openLogin(): void;
  openRegister(): void;
}
const AuthDialogContext = createContext<AuthDialogApi>({ openLogin: () => undefined, openRegister: () => undefined });

export function useAuthDialogs(): AuthDialogApi {
  return useContext(AuthDialogContext);
}

export function AuthDialogsProvider({ children }: { children: ReactNode }) {
  const [which, setWhich] = useState<Which>(null);
  const close = useCallback(() => setWhich(null), []);
  const value = useMemo(() => ({ openLogin: () => setWhich("login"), openRegister: () => setWhich("register") }), []);
  return (
    <AuthDialogContext.Provider value={value}>
      {children}
      <LoginDialog open={which === "login"} onClose={close} onSwitch={() => setWhich("register")} />
      <RegisterDialog open={which === "register"} onClose={close} onSwitch={() => setWhich("login")} />
    </AuthDialogContext.Provider>
  );
}

function fieldErrors(error: unknown): { general: string | null; byField: Record<string, string> } {
  if (!(error instanceof ApiError)) return { general: error ? String((error as Error).message ?? error) : null, byField: {} };
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const e of error.errors) {
    if (e.field && ["email", "password", "displayName"].includes(e.field)) byField[e.field] = e.message;
    else general.push(e.message);
  }
  return { general: general.join(" ") || null, byField };
}

export function LoginDialog({ open, onClose, onSwitch }: { open: boolean; onClose: () => void; onSwitch?: () => void }) {
  const { login } = useAuth();
  const toast = useToast();
  const config = useSiteConfig();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await login(email.trim(), password);
      setPassword("");
      toast.success(`Signed in as ${user.displayName}`);
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} title="Sign in" onClose={onClose} size="small" closeOnBackdrop={false}>
      <form className="vs-form" onSubmit={submit} noValidate>
        <FormField label="Email" error={errors.byField.email}>
          {(p) => (
            <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          )}
        </FormField>
        <FormField label="Password" error={errors.byField.password}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </FormField>
        {errors.general && (
          <p className="vs-form__error" role="alert">
            {errors.general}
          </p>
        )}
        <div className="vs-form__actions">
          {onSwitch && config.data?.allowRegistration !== false && (
            <button type="button" className="vs-button vs-button--link" onClick={onSwitch}>
              Create an account
            </button>
          )}
          <button type="submit" className="vs-button vs-button--primary" disabled={busy || !email || !password}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function RegisterDialog({ open, onClose, onSwitch }: { open: boolean; onClose: () => void; onSwitch?: () => void }) {
  const { register } = useAuth();
  const toast = useToast();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await register({ email: email.trim(), displayName: displayName.trim(), password });
      setPassword("");
      toast.success(`Welcome, ${user.displayName}!`);
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} title="Register" onClose={onClose} size="small" closeOnBackdrop={false}>
      <form className="vs-form" onSubmit={submit} noValidate>
        <FormField label="Email" error={errors.byField.email}>
          {(p) => <input {...p} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </FormField>
        <FormField label="Display name" error={errors.byField.displayName} hint="Shown on your models, images and comments.">
          {(p) => (
            <input
              {...p}
              type="text"
              autoComplete="nickname"
              required
              minLength={2}
              maxLength={160}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Password" error={errors.byField.password} hint="At least 8 characters.">
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </FormField>
        {errors.general && (
          <p className="vs-form__error" role="alert">
            {errors.general}
          </p>
        )}
        <div className="vs-form__actions">
          {onSwitch && (
            <button type="button" className="vs-button vs-button--link" onClick={onSwitch}>
              I already have an account
            </button>
          )}
          <button type="submit" className="vs-button vs-button--primary" disabled={busy || !email || !displayName || !password}>
            {busy ? "Creating account…" : "Register"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
