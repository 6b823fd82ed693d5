import { useCallback, useEffect, useRef, useState } from "react";
import {
  apiTransport,
  resumeUpload,
  uploadFiles,
  type SessionRequest,
  type UploadSession,
  type UploadTransport,
} from "./uploadClient";

export interface FileProgress {
  name: string;
  size: number;
  loaded: number;
  done: boolean;
}

export type RunnerStatus = "idle" | "uploading" | "completed" | "failed" | "cancelled" | "gone";

/** A readable sentence for whatever an upload threw (API envelopes carry their own message). */
export function uploadErrorMessage(error: unknown): string {
  if (error instanceof DOMException && error.name === "AbortError") return "Upload cancelled";
  if (error instanceof Error && error.message) return error.message;
  return "The upload failed";
}

/**
 * Runs one upload (new or resumed) and keeps per-file progress for the progress bars. The session
 * is handed to `onSession` before any byte is sent, so it can be stored for a resume.
 */
export function useUploadRunner(transport: UploadTransport = apiTransport) {
  const [status, setStatus] = useState<RunnerStatus>("idle");
  const [progress, setProgress] = useState<FileProgress[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [session, setSession] = useState<UploadSession | null>(null);
  const controller = useRef<AbortController | null>(null);

  useEffect(() => () => controller.current?.abort(), []);

  const track = useCallback((index: number, loaded: number) => {
    setProgress((current) => current.map((p, i) => (i === index ? { ...p, loaded } : p)));
  }, []);
  const markDone = useCallback((index: number) => {
    setProgress((current) => current.map((p, i) => (i === index ? { ...p, loaded: p.size, done: true } : p)));
  }, []);

  const run = useCallback(async (work: (signal: AbortSignal) => Promise<UploadSession | null>) => {
    controller.current?.abort();
    const ctl = new AbortController();
    controller.current = ctl;
    setStatus("uploading");
    setError(null);
    try {
      const finished = await work(ctl.signal);
      if (finished) {
        setSession(finished);
        setStatus("completed");
      }
      return finished;
    } catch (e) {
      setStatus(ctl.signal.aborted ? "cancelled" : "failed");
      setError(uploadErrorMessage(e));
      return null;
    }
  }, []);

  const start = useCallback((request: SessionRequest, files: File[], onSession?: (s: UploadSession) => void) => {
    setProgress(files.map((f) => ({ name: f.name, size: f.size, loaded: 0, done: false })));
    setSession(null);
    return run((signal) => uploadFiles(transport, request, files, {
      signal,
      onSession: (s) => {
        setSession(s);
        onSession?.(s);
      },
      onProgress: (i, loaded) => track(i, loaded),
      onFileDone: markDone,
    }));
  }, [run, track, markDone, transport]);

  /** Continue session `sessionId`; `files[i]` holds file i where it still has to be sent. */
  const resume = useCallback((sessionId: string, described: { name: string; size: number }[],
                              files: (File | undefined)[]) => {
    setProgress(described.map((f) => ({ name: f.name, size: f.size, loaded: 0, done: false })));
    return run(async (signal) => {
      const outcome = await resumeUpload(transport, sessionId, files, {
        signal, onProgress: (i, loaded) => track(i, loaded), onFileDone: markDone,
      });
      if (outcome.state === "gone") {
        setSession(outcome.session);
        setStatus("gone");
        return null;
      }
      return outcome.session;
    });
  }, [run, track, markDone, transport]);

  const cancel = useCallback(() => controller.current?.abort(), []);

  return { status, progress, error, session, start, resume, cancel };
}
