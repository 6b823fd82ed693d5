// One catalog card: thumbnail, title, subtitle and badges. The image and title form one control
// (a link with `href`, a button with `onClick`); the subtitle sits outside it so it may hold links.
import type { ReactNode } from "react";
import { Link } from "react-router-dom";

export interface TileProps {
  title: string;
  image?: string | null;
  /** Defaults to the title: the thumbnail shows what the title names. */
  imageAlt?: string;
  subtitle?: ReactNode;
  badges?: ReactNode[];
  href?: string;
  onClick?: () => void;
  /** Extra content under the subtitle (actions, checkboxes for bulk tools). */
  children?: ReactNode;
  selected?: boolean;
  testId?: string;
}

export function Tile({ title, image, imageAlt, subtitle, badges, href, onClick, children, selected, testId }: TileProps) {
  const visual = (
    <>
      <span className="vs-tile__media">
        {image ? (
          <img src={image} alt={imageAlt ?? title} loading="lazy" decoding="async" />
        ) : (
          <span className="vs-tile__noimage" role="img" aria-label={`${title}: no preview`}>
            {title.slice(0, 1).toUpperCase()}
          </span>
        )}
        {badges && badges.length > 0 && (
          <span className="vs-tile__badges">
            {badges.map((badge, i) => (
              <span key={i} className="vs-badge">
                {badge}
              </span>
            ))}
          </span>
        )}
      </span>
      <span className="vs-tile__title">{title}</span>
    </>
  );
  return (
    <li className={`vs-tile${selected ? " vs-tile--selected" : ""}`} data-testid={testId}>
      {href ? (
        <Link className="vs-tile__main" to={href} onClick={onClick}>
          {visual}
        </Link>
      ) : onClick ? (
        <button type="button" className="vs-tile__main" onClick={onClick}>
          {visual}
        </button>
      ) : (
        <div className="vs-tile__main">{visual}</div>
      )}
      {subtitle && <div className="vs-tile__subtitle">{subtitle}</div>}
      {children}
    </li>
  );
}
