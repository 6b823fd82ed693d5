import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { useToast } from "../components/Toast";
import { ImportDialog } from "./ImportDialog";
import { cancelRequest, fetchRequest, generatorKeys, retryRequest } from "./generatorApi";
import { isActive, type GenerationJob } from "./types";

export const JOB_POLL_MS = 2000;

const STATUS_LABELS: Record<string, string> = {
  pending: "Waiting for a GPU",
  queued: "Queued",
  dispatched: "Starting",
  running: "Rendering",
  succeeded: "Done",
  failed: "Failed",
  timed_out: "Timed out",
  cancelled: "Cancelled",
};

export function statusLabel(job: Pick<GenerationJob, "status" | "stage">): string {
  const base = STATUS_LABELS[job.status] ?? job.status;
  return job.status === "running" && job.stage && job.stage !== "running" ? `${base} (${job.stage})` : base;
}

/** Poll while the job runs and while its renders are still being ingested. */
export function needsPolling(job: GenerationJob | undefined): boolean {
  if (!job) return true;
  if (isActive(job.status)) return true;
  return job.status === "succeeded" && (!job.renders || job.renders.some((r) => r.status === "processing"));
}

/** Statuses an administrator can run again as a new request (the API refuses the others). */
const RETRYABLE_STATUSES = ["failed", "timed_out", "cancelled"];

export function canRetry(job: Pick<GenerationJob, "kind" | "status">, isAdmin: boolean): boolean {
  return isAdmin && job.kind === "generate" && RETRYABLE_STATUSES.includes(job.status);
}

/** The job's error text worth showing: not while it runs, and not a bare repeat of its status. */
export function jobErrorText(job: Pick<GenerationJob, "status" | "stage" | "error">): string | null {
  if (!job.error || isActive(job.status)) return null;
  return job.error.trim().toLowerCase() === statusLabel(job).toLowerCase() ? null : job.error;
}

interface JobCardProps {
  summary: GenerationJob;
  userId: string;
  canImport: boolean;
  /** Administrators cancel anyone's active request and retry failed ones. */
  isAdmin?: boolean;
}

export function JobCard({ summary, userId, canImport, isAdmin = false }: JobCardProps) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState<{ galleryId: string; added: number } | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [retried, setRetried] = useState(false);
  // The list holds summaries; the single-request answer adds renders (and their errors) and live progress.
  const wantsDetail = isActive(summary.status) || summary.status === "succeeded" || summary.renderIds.length > 0;
  const detail = useQuery({
    queryKey: generatorKeys.request(summary.id),
    queryFn: () => fetchRequest(summary.id),
    enabled: wantsDetail,
    refetchInterval: (q) => (needsPolling(q.state.data) ? JOB_POLL_MS : false),
  });
  const job = detail.data ?? summary;
  const active = isActive(job.status);
  const renders = job.renders ?? [];
  const readyRenders = renders.filter((r) => r.status === "ready");
  const request = job.request;
  const promptId = `job-${job.id}-prompt`;
  const ownJob = job.ownerId === userId;
  const errorText = jobErrorText(job);

  const cancel = async () => {
    setCancelling(true);
    try {
      const updated = await cancelRequest(job.id);
      queryClient.setQueryData(generatorKeys.request(job.id), (old: GenerationJob | undefined) => ({ ...old, ...updated }));
      void queryClient.invalidateQueries({ queryKey: generatorKeys.queue });
      toast.info("Request cancelled");
    } catch (e) {
      toast.error(e);
    } finally {
      setCancelling(false);
    }
  };

  const retry = async () => {
    setRetrying(true);
    try {
      await retryRequest(job.id);
      setRetried(true);
      void queryClient.invalidateQueries({ queryKey: ["generator", "requests"] });
      void queryClient.invalidateQueries({ queryKey: generatorKeys.queue });
      toast.success("Request queued again as a new request");
    } catch (e) {
      toast.error(e);
    } finally {
      setRetrying(false);
    }
  };

  return (
    <article className="gen-job" data-status={job.status} aria-labelledby={promptId} data-testid="generator-job">
      <header className="gen-job__head">
        <span className="gen-job__status" data-status={job.status}>{statusLabel(job)}</span>
        <time className="gen-job__time" dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleString()}</time>
      </header>
      {!ownJob && (
        <p className="gen-job__owner">
          <Link to={`/users/${encodeURIComponent(job.ownerId)}`}>Requester's profile</Link>
        </p>
      )}
      <p className="gen-job__prompt" id={promptId}>{request?.prompt ?? "Generation request"}</p>
      {request && (
        <p className="gen-job__facts">
          {[request.baseModel?.label, request.width && request.height ? `${request.width}×${request.height}` : null,
            request.seed != null ? `seed ${request.seed}` : null,
            ...request.loras.map((l) => `${l.name} ${l.strength}`)].filter(Boolean).join(" · ")}
        </p>
      )}
      {active && (
        <div
          className="gen-job__progress"
          role="progressbar"
          aria-label="Render progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={job.progress ?? 0}
          aria-valuetext={`${statusLabel(job)}, ${job.progress ?? 0}%`}
        >
          <div className="gen-job__fill" style={{ width: `${job.progress ?? 0}%` }} />
        </div>
      )}
      {errorText && (
        <p className="gen-problem gen-job__error" data-testid="generator-job-error">
          <strong>Error:</strong> {errorText}
        </p>
      )}
      {isAdmin && job.agentError && !active && (
        <p className="gen-problem gen-job__error"><strong>GPU agent:</strong> {job.agentError}</p>
      )}
      {renders.length > 0 && (
        <ul className="gen-job__renders" aria-label="Renders">
          {renders.map((r) => (
            <li key={r.id}>
              {r.status === "ready" && r.previews?.grid ? (
                <Link to={`/images/${r.id}`} className="gen-render">
                  <img src={r.previews.grid} alt={r.title || "Render"} width={r.width ?? undefined}
                       height={r.height ?? undefined} loading="lazy" />
                </Link>
              ) : (
                <span className={`gen-render ${r.status === "error" ? "gen-render--failed" : "gen-render--waiting"}`}>
                  {r.status === "error" ? `Render failed${r.error ? `: ${r.error}` : ""}` : "Processing render…"}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="gen-job__actions">
        {active && (ownJob || isAdmin) && (
          <button type="button" className="vs-button" onClick={cancel} disabled={cancelling}>Cancel</button>
        )}
        {canRetry(job, isAdmin) && !retried && (
          <button type="button" className="vs-button" onClick={retry} disabled={retrying}>Retry request</button>
        )}
        {retried && <span className="gen-hint" role="status">Queued again as a new request</span>}
        {canImport && job.status === "succeeded" && readyRenders.length > 0 && !imported && (
          <button type="button" className="vs-button" onClick={() => setImporting(true)}>Import to gallery</button>
        )}
        {imported && (
          <Link to={`/galleries/${imported.galleryId}`}>
            Imported {imported.added} render{imported.added === 1 ? "" : "s"} · Open gallery
          </Link>
        )}
      </div>
      {importing && (
        <ImportDialog
          open
          jobId={job.id}
          userId={userId}
          renderCount={readyRenders.length}
          onClose={() => setImporting(false)}
          onImported={(result) => {
            setImporting(false);
            setImported(result);
            toast.success(`Imported ${result.added} render${result.added === 1 ? "" : "s"} into the gallery`);
            void queryClient.invalidateQueries({ queryKey: generatorKeys.galleries(userId) });
          }}
        />
      )}
    </article>
  );
}
