import { useState } from "react";
import { Dropzone } from "./Dropzone";
import { formatBytes } from "./fileRules";
import { fingerprint, matchFiles, sameFile, type PendingUpload } from "./resumeStore";
import { apiTransport, missingFiles, type UploadSession, type UploadTransport } from "./uploadClient";
import { uploadErrorMessage } from "./useUploadRunner";

interface ResumePanelProps {
  pending: PendingUpload;
  /** Every missing file is chosen again (files[i] for file i): send them and complete. */
  onContinue: (files: (File | undefined)[]) => void;
  /** The session had already been completed (e.g. the reload happened after the last byte). */
  onAlreadyComplete: (session: UploadSession) => void;
  /** The session is gone or was discarded: forget it. */
  onForget: () => void;
  transport?: UploadTransport;
}

/**
 * Offers to continue an upload interrupted by a reload. "Resume" asks the API what arrived; the
 * person then chooses the same files again (recognised by name, size and modification time).
 */
export function ResumePanel({ pending, onContinue, onAlreadyComplete, onForget, transport = apiTransport }: ResumePanelProps) {
  const [state, setState] = useState<UploadSession | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const [chosen, setChosen] = useState<(File | undefined)[]>([]);

  const check = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const session = await transport.describeSession(pending.sessionId);
      if (session.status === "completed") {
        onAlreadyComplete(session);
      } else if (session.status !== "open") {
        setGone(true);
      } else if (missingFiles(session).length === 0) {
        onContinue([]); // everything arrived; only the completion is left
      } else {
        setState(session);
      }
    } catch (e) {
      if ((e as { status?: number }).status === 404) setGone(true);
      else setMessage(uploadErrorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const discard = async () => {
    setBusy(true);
    try {
      await transport.abortSession(pending.sessionId);
    } catch {
      // Already closed, expired or removed: nothing left to clean up.
    } finally {
      setBusy(false);
      onForget();
    }
  };

  const reselect = (files: File[]) => {
    if (!state) return;
    const missing = missingFiles(state);
    const matched = matchFiles(pending.files, files, chosen);
    const strangers = files.filter((f) => !pending.files.some((want) => sameFile(fingerprint(f), want)));
    setChosen(matched);
    setMessage(strangers.length
      ? `${strangers.map((f) => f.name).join(", ")} ${strangers.length === 1 ? "is" : "are"} not part of this upload (name, size and date must match)`
      : null);
    if (missing.every((i) => matched[i])) onContinue(matched);
  };

  if (gone) {
    return (
      <section className="upload-resume" aria-labelledby="resume-heading">
        <h2 id="resume-heading">Interrupted upload</h2>
        <p role="alert">The upload “{pending.label}” can no longer be resumed (it expired or was cancelled). Please start it again.</p>
        <button type="button" className="vs-button" onClick={onForget}>Dismiss</button>
      </section>
    );
  }

  return (
    <section className="upload-resume" aria-labelledby="resume-heading">
      <h2 id="resume-heading">Interrupted upload</h2>
      <p>
        “{pending.label}” ({pending.files.length} file{pending.files.length === 1 ? "" : "s"}, started{" "}
        {new Date(pending.savedAt).toLocaleString()}) did not finish.
      </p>
      {state ? (
        <>
          <p>Choose these files again to continue; what already arrived is not sent twice.</p>
          <ul className="upload-file-list" aria-label="Files of the interrupted upload">
            {state.files.map((f) => {
              const want = pending.files[f.index];
              const status = f.uploaded ? "Arrived" : chosen[f.index] ? "Chosen" : "Missing";
              return (
                <li key={f.index} className="upload-file" data-status={status.toLowerCase()}>
                  <span className="upload-file__name">{want?.name ?? f.name}</span>
                  <span className="upload-file__size">{formatBytes(f.size)}</span>
                  <span className="upload-file__state">
                    {status}
                    {f.multipart && !f.uploaded && f.uploadedParts?.length
                      ? ` (${f.uploadedParts.length} of ${f.partCount} parts arrived)` : ""}
                  </span>
                </li>
              );
            })}
          </ul>
          <Dropzone onFiles={reselect} hint="The same files as before" />
        </>
      ) : (
        <div className="upload-actions">
          <button type="button" className="vs-button vs-button--primary" onClick={check} disabled={busy}>Resume</button>
          <button type="button" className="vs-button" onClick={discard} disabled={busy}>Discard</button>
        </div>
      )}
      {state && (
        <div className="upload-actions">
          <button type="button" className="vs-button" onClick={discard} disabled={busy}>Discard</button>
        </div>
      )}
      {message && <p className="upload-field__problem" role="alert">{message}</p>}
    </section>
  );
}
