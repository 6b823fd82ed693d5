import { useEffect, useMemo, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router-dom";
import { DetailsStep } from "./DetailsStep";
import { FilesStep } from "./FilesStep";
import { ProcessingStatus } from "./ProcessingStatus";
import { ResumePanel } from "./ResumePanel";
import { UploadProgressList } from "./UploadProgressList";
import { formatBytes, splitList, type ModelSelection } from "./fileRules";
import { clearPending, fingerprint, loadPending, savePending, type PendingUpload } from "./resumeStore";
import { fetchGallery, fetchModelSummary, fetchMyGalleries, type GalleryOption } from "./uploadApi";
import { apiTransport, type UploadSession, type UploadTransport } from "./uploadClient";
import { useUploadRunner } from "./useUploadRunner";
import {
  NEW_GALLERY,
  NO_GALLERY,
  buildSessionRequest,
  checkDetails,
  checkFiles,
  emptyDetails,
  orderedFiles,
  uploadLabel,
  type UploadDetails,
  type UploadMode,
} from "./wizardModel";
import "../styles/upload.css";

const STEPS = ["Details", "Files", "Review"] as const;

type Phase = "form" | "transfer" | "processing";

/** What is being sent right now, kept so "Try again" can continue with the same bytes. */
interface Transfer {
  sessionId: string | null;
  described: { name: string; size: number }[];
  files: (File | undefined)[];
}

interface UploadWizardProps {
  userId: string;
  transport?: UploadTransport;
}

export function UploadWizard({ userId, transport = apiTransport }: UploadWizardProps) {
  const [params] = useSearchParams();
  const presetModelId = params.get("modelId");
  const presetGalleryId = params.get("galleryId");
  const queryClient = useQueryClient();

  const [mode, setMode] = useState<UploadMode>(presetModelId ? "version" : presetGalleryId ? "images" : "model");
  const [step, setStep] = useState(0);
  const [details, setDetails] = useState<UploadDetails>({ ...emptyDetails, gallery: presetGalleryId ?? NO_GALLERY });
  const [showProblems, setShowProblems] = useState(false);
  const [model, setModel] = useState<ModelSelection>({ model: null, cover: null });
  const [images, setImages] = useState<File[]>([]);
  const [fileProblems, setFileProblems] = useState<string[]>([]);
  const [phase, setPhase] = useState<Phase>("form");
  const [pending, setPending] = useState<PendingUpload | null>(() => loadPending(userId));
  const [finished, setFinished] = useState<UploadSession | null>(null);
  const transfer = useRef<Transfer | null>(null);
  const runner = useUploadRunner(transport);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const galleriesQuery = useQuery({
    queryKey: ["upload", "my-galleries", userId, presetGalleryId],
    queryFn: async (): Promise<GalleryOption[]> => {
      const mine = await fetchMyGalleries(userId);
      // An administrator may upload into someone else's gallery from that gallery's page.
      if (presetGalleryId && !mine.some((g) => g.id === presetGalleryId)) {
        try {
          return [await fetchGallery(presetGalleryId), ...mine];
        } catch {
          return mine;
        }
      }
      return mine;
    },
  });
  const modelQuery = useQuery({
    queryKey: ["upload", "model", presetModelId],
    queryFn: () => fetchModelSummary(presetModelId!),
    enabled: Boolean(presetModelId),
  });

  // Moving between steps puts the keyboard and screen reader at the new step's heading (not on first render).
  const moved = useRef(false);
  useEffect(() => {
    if (moved.current) headingRef.current?.focus();
    moved.current = true;
  }, [step, phase]);

  const detailProblems = useMemo(() => checkDetails(mode, details), [mode, details]);
  const filesProblem = checkFiles(mode, model, images);
  const files = orderedFiles(mode, model, images);
  const modelTitle = modelQuery.data?.title;

  const changeMode = (next: UploadMode) => {
    setMode(next);
    setFileProblems([]);
    setShowProblems(false);
  };

  const next = () => {
    if (step === 0 && Object.keys(detailProblems).length) {
      setShowProblems(true);
      return;
    }
    if (step === 1 && filesProblem) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    setStep(step + 1);
  };

  const finish = (session: UploadSession) => {
    clearPending(userId);
    setPending(null);
    setFinished(session);
    setPhase("processing");
    // Lists and counts elsewhere now include the new (processing) items of their owner.
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "upload" });
  };

  const startUpload = async () => {
    const request = buildSessionRequest(mode, details, files, presetModelId ?? undefined);
    const label = uploadLabel(mode, details, files.length, modelTitle);
    transfer.current = { sessionId: null, described: files.map((f) => ({ name: f.name, size: f.size })), files };
    setPhase("transfer");
    const session = await runner.start(request, files, (s) => {
      const record: PendingUpload = {
        sessionId: s.id, kind: s.kind, label, savedAt: Date.now(), files: files.map(fingerprint),
      };
      savePending(userId, record);
      setPending(record);
      if (transfer.current) transfer.current.sessionId = s.id;
    });
    if (session) finish(session);
  };

  const continueTransfer = async () => {
    const current = transfer.current;
    if (!current?.sessionId) {
      // The session was never created (the API refused the request): back to the form to fix it.
      setPhase("form");
      setStep(2);
      return;
    }
    const session = await runner.resume(current.sessionId, current.described, current.files);
    if (session) finish(session);
  };

  const resumePending = async (chosen: (File | undefined)[]) => {
    if (!pending) return;
    transfer.current = { sessionId: pending.sessionId, described: pending.files, files: chosen };
    setPhase("transfer");
    const session = await runner.resume(pending.sessionId, pending.files, chosen);
    if (session) finish(session);
  };

  const forgetPending = () => {
    clearPending(userId);
    setPending(null);
  };

  const reset = () => {
    setPhase("form");
    setStep(0);
    setDetails({ ...emptyDetails, gallery: presetGalleryId ?? NO_GALLERY });
    setModel({ model: null, cover: null });
    setImages([]);
    setFileProblems([]);
    setFinished(null);
    transfer.current = null;
  };

  const discardTransfer = async () => {
    const sessionId = transfer.current?.sessionId;
    if (sessionId) {
      try {
        await transport.abortSession(sessionId);
      } catch {
        // Already closed or expired: nothing to clean up.
      }
    }
    forgetPending();
    reset();
  };

  if (phase === "processing" && finished) {
    return (
      <div className="upload-wizard">
        <h2 ref={headingRef} tabIndex={-1} className="vs-visually-hidden">Upload complete</h2>
        <p className="upload-success" role="status">Upload complete.</p>
        <ProcessingStatus session={finished} />
        <div className="upload-actions">
          <button type="button" className="vs-button" onClick={reset}>Upload more</button>
        </div>
      </div>
    );
  }

  if (phase === "transfer") {
    const status = runner.status;
    return (
      <div className="upload-wizard">
        <h2 ref={headingRef} tabIndex={-1}>Uploading</h2>
        <UploadProgressList files={runner.progress} />
        {status === "uploading" && (
          <>
            <p className="upload-hint">Keep this page open. If it reloads, you can resume where it stopped.</p>
            <div className="upload-actions">
              <button type="button" className="vs-button" onClick={runner.cancel}>Cancel upload</button>
            </div>
          </>
        )}
        {(status === "failed" || status === "cancelled") && (
          <>
            <p className="upload-error" role="alert">{runner.error}</p>
            <div className="upload-actions">
              <button type="button" className="vs-button vs-button--primary" onClick={continueTransfer}>
                {transfer.current?.sessionId ? "Try again" : "Back to review"}
              </button>
              {transfer.current?.sessionId && (
                <button type="button" className="vs-button" onClick={discardTransfer}>Discard upload</button>
              )}
            </div>
          </>
        )}
        {status === "gone" && (
          <>
            <p className="upload-error" role="alert">This upload expired or was cancelled and cannot be finished. Please start again.</p>
            <div className="upload-actions">
              <button type="button" className="vs-button" onClick={() => { forgetPending(); reset(); }}>Start over</button>
            </div>
          </>
        )}
      </div>
    );
  }

  return (
    <div className="upload-wizard">
      {pending && (
        <ResumePanel
          key={pending.sessionId}
          pending={pending}
          transport={transport}
          onContinue={resumePending}
          onAlreadyComplete={finish}
          onForget={forgetPending}
        />
      )}

      <ol className="upload-steps" aria-label="Upload steps">
        {STEPS.map((name, i) => (
          <li key={name} aria-current={i === step ? "step" : undefined} data-done={i < step || undefined}>
            <span className="upload-steps__number" aria-hidden="true">{i + 1}</span> {name}
          </li>
        ))}
      </ol>

      <form
        className="upload-step"
        aria-labelledby="upload-step-heading"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (step < 2) next();
          else void startUpload();
        }}
      >
        <h2 id="upload-step-heading" ref={headingRef} tabIndex={-1}>{STEPS[step]}</h2>

        {step === 0 && (
          <>
            {!presetModelId && (
              <fieldset className="upload-mode">
                <legend>What are you uploading?</legend>
                <label>
                  <input type="radio" name="upload-mode" checked={mode === "model"} onChange={() => changeMode("model")} />
                  Model (LoRA)
                </label>
                <label>
                  <input type="radio" name="upload-mode" checked={mode === "images"} onChange={() => changeMode("images")} />
                  Image batch
                </label>
              </fieldset>
            )}
            {presetModelId && modelQuery.isError && (
              <p className="upload-error" role="alert">The model to add a version to could not be loaded.</p>
            )}
            {presetModelId && modelQuery.data?.canEdit === false && (
              <p className="upload-error" role="alert">Only the model's owner or an administrator can add versions.</p>
            )}
            <DetailsStep
              mode={mode}
              details={details}
              problems={showProblems ? detailProblems : {}}
              galleries={galleriesQuery.data ?? []}
              galleriesLoading={galleriesQuery.isLoading}
              onChange={(patch) => setDetails((d) => ({ ...d, ...patch }))}
              modelTitle={modelTitle}
            />
          </>
        )}

        {step === 1 && (
          <>
            <FilesStep
              mode={mode}
              model={model}
              images={images}
              problems={fileProblems}
              onModelChange={setModel}
              onImagesChange={setImages}
              onProblems={setFileProblems}
            />
            {showProblems && filesProblem && <p className="upload-field__problem" role="alert">{filesProblem}</p>}
          </>
        )}

        {step === 2 && (
          <ReviewSummary mode={mode} details={details} files={files} modelTitle={modelTitle}
                         galleries={galleriesQuery.data ?? []} />
        )}

        <div className="upload-actions">
          {step > 0 && (
            <button type="button" className="vs-button" onClick={() => { setShowProblems(false); setStep(step - 1); }}>
              Back
            </button>
          )}
          {step < 2
            ? <button type="submit" className="vs-button vs-button--primary">Next</button>
            : <button type="submit" className="vs-button vs-button--primary">Upload</button>}
        </div>
      </form>
    </div>
  );
}

function ReviewSummary({ mode, details, files, modelTitle, galleries }: {
  mode: UploadMode;
  details: UploadDetails;
  files: File[];
  modelTitle?: string;
  galleries: GalleryOption[];
}) {
  const gallery = details.gallery === NEW_GALLERY
    ? `New gallery${details.newGalleryTitle.trim() ? `: ${details.newGalleryTitle.trim()}` : ""}`
    : galleries.find((g) => g.id === details.gallery)?.title ?? (details.gallery ? "Selected gallery" : "None");
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const rows: [string, string][] = mode === "version"
    ? [["Model", modelTitle ?? ""], ["Version name", details.versionName.trim()]]
    : [
        ["Type", mode === "model" ? "Model (LoRA)" : "Image batch"],
        ["Title", details.title.trim() || "—"],
        ...(mode === "model" ? [["Trigger words", splitList(details.triggerWords).join(", ")] as [string, string]] : []),
        ["Tags", splitList(details.tags).join(", ") || "—"],
        ["Visibility", details.visibility === "public" ? "Public" : "Private"],
        ["Gallery", gallery],
      ];
  return (
    <div className="upload-review">
      <dl className="upload-review__facts">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
        {details.description && mode !== "version" && (
          <div>
            <dt>Description</dt>
            <dd className="upload-review__description">{details.description}</dd>
          </div>
        )}
      </dl>
      <h3>Files ({formatBytes(total)})</h3>
      <ul className="upload-file-list" aria-label="Files to upload">
        {files.map((f) => (
          <li key={`${f.name}-${f.size}`} className="upload-file">
            <span className="upload-file__name">{f.name}</span>
            <span className="upload-file__size">{formatBytes(f.size)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
