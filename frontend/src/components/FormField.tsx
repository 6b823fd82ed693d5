import { useId, type ReactNode } from "react";

/** A labelled input with its hint and error wired up through aria-describedby. */
export function FormField({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="vs-field">
      <label htmlFor={id} className="vs-field__label">
        {label}
      </label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint && (
        <div id={hintId} className="vs-field__hint">
          {hint}
        </div>
      )}
      {error && (
        <div id={errorId} className="vs-field__error">
          {error}
        </div>
      )}
    </div>
  );
}
