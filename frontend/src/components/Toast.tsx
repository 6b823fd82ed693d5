// Toasts: short confirmations (polite) and errors (assertive), hidden after 5 s or on dismiss.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

type ToastKind = "success" | "error" | "info";
interface ToastItem {
  id: number;
  kind: ToastKind;
  text: string;
}

export interface ToastApi {
  success(text: string): void;
  error(textOrError: string | unknown): void;
  info(text: string): void;
}

const ToastContext = createContext<ToastApi | null>(null);
const HIDE_AFTER_MS = 5000;

export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return "Something went wrong";
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setItems((list) => list.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (kind: ToastKind, text: string) => {
      const id = nextId.current++;
      setItems((list) => [...list.slice(-4), { id, kind, text }]);
      setTimeout(() => dismiss(id), HIDE_AFTER_MS);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      success: (text) => push("success", text),
      error: (e) => push("error", messageOf(e)),
      info: (text) => push("info", text),
    }),
    [push],
  );

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="vs-toasts" aria-live="polite" role="status" aria-label="Messages">
        {items
          .filter((t) => t.kind !== "error")
          .map((t) => (
            <ToastView key={t.id} item={t} onDismiss={dismiss} />
          ))}
      </div>
      <div className="vs-toasts vs-toasts--errors" aria-live="assertive">
        {items
          .filter((t) => t.kind === "error")
          .map((t) => (
            <ToastView key={t.id} item={t} onDismiss={dismiss} />
          ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastView({ item, onDismiss }: { item: ToastItem; onDismiss: (id: number) => void }) {
  return (
    <div className={`vs-toast vs-toast--${item.kind}`} role={item.kind === "error" ? "alert" : undefined}>
      <span>{item.text}</span>
      <button type="button" className="vs-icon-button" aria-label="Dismiss" onClick={() => onDismiss(item.id)}>
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}

export function useToast(): ToastApi {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error("useToast must be used inside <ToastProvider>");
  return ctx;
}
