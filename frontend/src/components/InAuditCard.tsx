// Stands in for an item the viewer may not see in full (a list's `placeholder: true` entries):
// flagged content under review shows only its title and the "In Audit" notice.
export function InAuditCard({ title, as = "li" }: { title?: string; as?: "li" | "div" }) {
  const Element = as;
  return (
    <Element className="vs-tile vs-tile--audit" aria-label={title ? `${title} (In Audit)` : "In Audit"}>
      <div className="vs-tile__main">
        <span className="vs-tile__media vs-audit">
          <span className="vs-audit__label">In Audit</span>
          <span className="vs-audit__text">Under moderator review</span>
        </span>
        <span className="vs-tile__title">{title ?? "Hidden item"}</span>
      </div>
    </Element>
  );
}
