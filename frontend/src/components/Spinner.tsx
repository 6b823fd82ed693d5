export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="vs-spinner" role="status" aria-live="polite">
      <span className="vs-spinner__wheel" aria-hidden="true" />
      <span className="vs-visually-hidden">{label}</span>
    </div>
  );
}
