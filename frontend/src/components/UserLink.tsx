import { Link } from "react-router-dom";
import type { Owner } from "../api/types";

/** A person's name linking to their profile (/users/:id). */
export function UserLink({ user, prefix }: { user: Owner | null | undefined; prefix?: string }) {
  if (!user) return <span className="vs-userlink vs-userlink--gone">Former member</span>;
  return (
    <Link className="vs-userlink" to={`/users/${encodeURIComponent(user.id)}`}>
      {prefix}
      {user.displayName}
    </Link>
  );
}
