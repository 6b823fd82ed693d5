// A tag or filter chip. With onRemove it gets a remove button ("Remove <label>"); with onClick the
// chip itself is a toggle button.
export interface ChipProps {
  label: string;
  onClick?: () => void;
  onRemove?: () => void;
  selected?: boolean;
  /** Visible count next to the label (tag frequencies). */
  count?: number;
}

export function Chip({ label, onClick, onRemove, selected, count }: ChipProps) {
  const text = (
    <>
      <span>{label}</span>
      {count !== undefined && <span className="vs-chip__count">{count}</span>}
    </>
  );
  return (
    <span className={`vs-chip${selected ? " vs-chip--selected" : ""}`}>
      {onClick ? (
        <button type="button" className="vs-chip__button" onClick={onClick} aria-pressed={selected}>
          {text}
        </button>
      ) : (
        <span className="vs-chip__text">{text}</span>
      )}
      {onRemove && (
        <button type="button" className="vs-chip__remove" aria-label={`Remove ${label}`} onClick={onRemove}>
          <span aria-hidden="true">×</span>
        </button>
      )}
    </span>
  );
}
