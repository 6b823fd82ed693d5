import type { Previews } from "../api/types";

/** A round avatar image, or the name's initial when there is none. */
export function Avatar({ name, previews, size = 40 }: { name: string; previews?: Previews | null; size?: number }) {
  const src = previews?.grid ?? previews?.preview ?? null;
  const style = { width: size, height: size, fontSize: Math.round(size * 0.45) };
  if (src) return <img className="vs-avatar" src={src} alt={`Avatar of ${name}`} style={style} />;
  return (
    <span className="vs-avatar vs-avatar--initial" role="img" aria-label={`Avatar of ${name}`} style={style}>
      {name.trim().slice(0, 1).toUpperCase() || "?"}
    </span>
  );
}
