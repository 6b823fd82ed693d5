import { useId, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { Dialog } from "../components/Dialog";
import { fetchMyGalleries, generatorKeys, importRenders } from "./generatorApi";

interface ImportDialogProps {
  open: boolean;
  jobId: string;
  userId: string;
  renderCount: number;
  onClose: () => void;
  onImported: (result: { galleryId: string; added: number }) => void;
}

/** Publish a request's renders into one of the curator's galleries, or a new one. */
export function ImportDialog({ open, jobId, userId, renderCount, onClose, onImported }: ImportDialogProps) {
  const [mode, setMode] = useState<"existing" | "new">("existing");
  const [galleryId, setGalleryId] = useState("");
  const [title, setTitle] = useState("");
  const [visibility, setVisibility] = useState<"private" | "public">("private");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const galleries = useQuery({
    queryKey: generatorKeys.galleries(userId),
    queryFn: () => fetchMyGalleries(userId),
    enabled: open,
  });
  // Without galleries of one's own, "new" is the only choice.
  const effectiveMode = galleries.isSuccess && galleries.data.length === 0 ? "new" : mode;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (effectiveMode === "existing" && !galleryId) {
      setError("Choose a gallery");
      return;
    }
    if (effectiveMode === "new" && !title.trim()) {
      setError("Give the new gallery a title");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await importRenders(jobId, effectiveMode === "existing"
        ? { mode: "existing", galleryId }
        : { mode: "new", galleryTitle: title.trim(), galleryVisibility: visibility });
      onImported(result);
    } catch (err) {
      setError(err instanceof Error ? err.message : "The import failed");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      title="Import to gallery"
      onClose={onClose}
      size="small"
      closeOnBackdrop={false}
      footer={(
        <>
          <button type="button" className="vs-button" onClick={onClose}>Cancel</button>
          <button type="submit" form={`${id}-form`} className="vs-button vs-button--primary" disabled={busy}>Import</button>
        </>
      )}
    >
      <form id={`${id}-form`} className="gen-import" onSubmit={submit} noValidate>
        <p>{renderCount === 1 ? "The render" : `All ${renderCount} renders`} will be added to the gallery.</p>
        <fieldset className="gen-import__mode">
          <legend>Destination</legend>
          <label>
            <input type="radio" name={`${id}-mode`} checked={effectiveMode === "existing"}
                   disabled={galleries.isSuccess && galleries.data.length === 0}
                   onChange={() => setMode("existing")} />
            Existing gallery
          </label>
          <label>
            <input type="radio" name={`${id}-mode`} checked={effectiveMode === "new"} onChange={() => setMode("new")} />
            New gallery
          </label>
        </fieldset>
        {effectiveMode === "existing" ? (
          <div className="gen-field">
            <label htmlFor={`${id}-gallery`}>Gallery</label>
            <select id={`${id}-gallery`} value={galleryId} onChange={(e) => setGalleryId(e.target.value)}>
              <option value="">{galleries.isLoading ? "Loading…" : "Choose a gallery"}</option>
              {(galleries.data ?? []).map((g) => <option key={g.id} value={g.id}>{g.title}</option>)}
            </select>
          </div>
        ) : (
          <>
            <div className="gen-field">
              <label htmlFor={`${id}-title`}>Gallery title</label>
              <input id={`${id}-title`} value={title} maxLength={160} onChange={(e) => setTitle(e.target.value)} />
            </div>
            <div className="gen-field">
              <label htmlFor={`${id}-visibility`}>Visibility</label>
              <select id={`${id}-visibility`} value={visibility}
                      onChange={(e) => setVisibility(e.target.value as "private" | "public")}>
                <option value="private">Private</option>
                <option value="public">Public</option>
              </select>
            </div>
          </>
        )}
        {error && <p className="gen-problem" role="alert">{error}</p>}
      </form>
    </Dialog>
  );
}
