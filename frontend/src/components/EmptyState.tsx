import type { ReactNode } from "react";

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <section className="vs-empty">
      <h3 className="vs-empty__title">{title}</h3>
      {children && <div className="vs-empty__text">{children}</div>}
      {action && <div className="vs-empty__action">{action}</div>}
    </section>
  );
}
