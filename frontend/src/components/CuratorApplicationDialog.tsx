// Members apply for the curator role (message of 40–1200 characters); shows the latest application.
import { useState, type FormEvent } from "react";
import { api, ApiError, unwrap } from "../api/client";
import { useApi, useApiMutation } from "../api/hooks";
import type { CuratorApplication } from "../api/types";
import { Dialog } from "./Dialog";
import { FormField } from "./FormField";
import { Spinner } from "./Spinner";
import { useToast } from "./Toast";

const MIN = 40;
const MAX = 1200;

export function useMyCuratorApplication(enabled: boolean) {
  return useApi<CuratorApplication | null>(
    ["curator-application", "mine"],
    async () => {
      try {
        return (await unwrap<CuratorApplication>(api.GET("/api/users/me/curator-application"))).data;
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null; // never applied
        throw e;
      }
    },
    { enabled },
  );
}

export function CuratorApplicationDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const toast = useToast();
  const latest = useMyCuratorApplication(open);
  const [message, setMessage] = useState("");
  const apply = useApiMutation(
    (text: string) => unwrap<CuratorApplication>(api.POST("/api/users/me/curator-application", { body: { message: text } })),
    {
      invalidate: [["curator-application"]],
      onSuccess: () => {
        toast.success("Application sent. An administrator will review it.");
        setMessage("");
      },
    },
  );
  const length = message.trim().length;
  const pending = latest.data?.status === "pending";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (length >= MIN && length <= MAX) apply.mutate(message.trim());
  }

  return (
    <Dialog open={open} title="Apply as curator" onClose={onClose} size="medium" closeOnBackdrop={false}>
      {latest.isLoading ? (
        <Spinner />
      ) : (
        <>
          {latest.data && (
            <div className={`vs-notice vs-notice--${latest.data.status}`} role="status">
              <strong>Your latest application: {latest.data.status}</strong>
              {latest.data.reason && <p>Feedback: {latest.data.reason}</p>}
            </div>
          )}
          {pending ? (
            <p>Your application is waiting for review. You will get a notification when it is decided.</p>
          ) : (
            <form className="vs-form" onSubmit={submit}>
              <p>Curators upload models and image galleries. Tell the administrators what you would like to share.</p>
              <FormField
                label="Why do you want to become a curator?"
                hint={`${length} / ${MAX} characters (at least ${MIN})`}
                error={apply.error?.message ?? null}
              >
                {(p) => <textarea {...p} rows={6} maxLength={MAX} value={message} onChange={(e) => setMessage(e.target.value)} />}
              </FormField>
              <div className="vs-form__actions">
                <button type="button" className="vs-button" onClick={onClose}>
                  Cancel
                </button>
                <button type="submit" className="vs-button vs-button--primary" disabled={apply.isPending || length < MIN || length > MAX}>
                  Send application
                </button>
              </div>
            </form>
          )}
        </>
      )}
    </Dialog>
  );
}
