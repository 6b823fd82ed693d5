import { ApiError } from "../api/client";

/** The API's own message (ApiError.message) in an alert, with an optional retry. */
export function ErrorState({ error, onRetry, title = "Could not load this" }: { error: unknown; onRetry?: () => void; title?: string }) {
  const message =
    error instanceof ApiError || error instanceof Error ? error.message : typeof error === "string" ? error : "Unknown error";
  return (
    <section className="vs-error" role="alert">
      <h3 className="vs-error__title">{title}</h3>
      <p>{message}</p>
      {onRetry && (
        <button type="button" className="vs-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </section>
  );
}
