import { useState } from 'react';

/**
 * The text of a decision that is optional for one outcome and required (at least `min` characters)
 * for the other. The server enforces the minimum; asking before the request says which field is missing.
 */
export function useDecisionReason(min: number, missingMessage: string) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return {
    value,
    setValue,
    problem,
    /** The reason, or undefined when none was written (the optional case). */
    optional: () => value.trim() || undefined,
    /** Runs `action` only if the reason is long enough; otherwise shows why not. */
    require(action: () => void) {
      if (value.trim().length < min) {
        setProblem(missingMessage);
        return;
      }
      setProblem(null);
      action();
    },
  };
}

interface DecisionReasonFieldProps {
  id: string;
  label: string;
  maxLength: number;
  /** Shown under the field until a problem replaces it. */
  hint: string;
  reason: ReturnType<typeof useDecisionReason>;
}

export function DecisionReasonField({ id, label, maxLength, hint, reason }: DecisionReasonFieldProps) {
  const { problem } = reason;
  return (
    <>
      <label className="admin-field__label" htmlFor={id}>
        {label}
      </label>
      <textarea
        id={id}
        rows={2}
        maxLength={maxLength}
        value={reason.value}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => reason.setValue(e.target.value)}
      />
      <p id={`${id}-hint`} className={problem ? 'admin-error' : 'admin-hint'} role={problem ? 'alert' : undefined}>
        {problem ?? hint}
      </p>
    </>
  );
}
