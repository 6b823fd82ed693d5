import { useState } from "react";
import { useAuth } from "../auth/AuthContext";
import { useToast } from "./Toast";

/** Switches the signed-in user's adult-content preference (PATCH /api/auth/me showAdultContent);
 * every list refetches because what the viewer may see changed. */
export function NsfwToggle() {
  const { user, updateMe } = useAuth();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  if (!user) return null;
  const on = user.showAdultContent;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={on}
      aria-label="Show adult content"
      className={`vs-nsfw${on ? " vs-nsfw--on" : ""}`}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await updateMe({ showAdultContent: !on });
          toast.success(on ? "Adult content hidden" : "Adult content shown");
        } catch (e) {
          toast.error(e);
        } finally {
          setBusy(false);
        }
      }}
    >
      <span className="vs-nsfw__track" aria-hidden="true">
        <span className="vs-nsfw__thumb" />
      </span>
      <span className="vs-nsfw__label" aria-hidden="true">
        NSFW
      </span>
    </button>
  );
}
