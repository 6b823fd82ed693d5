import type { ReactNode } from "react";

/** A list of tiles: 5 columns at 1280 px, fewer on narrower screens (see theme.css). Its children
 * are <Tile> and <InAuditCard> elements, which render list items. */
export function TileGrid({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    <ul className={`vs-tile-grid${className ? ` ${className}` : ""}`} aria-label={label}>
      {children}
    </ul>
  );
}
