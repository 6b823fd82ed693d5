/**
 * Browser side of the upload-session protocol (the TypeScript twin of `chalicelib/uploader.py`).
 *
 * 1. `POST /api/uploads` announces the files and returns, per file, either one presigned PUT or a
 *    multipart plan (part size, part count, the first presigned part URLs).
 * 2. Bytes go straight to storage through those URLs; no token is ever sent there.
 * 3. `POST /api/uploads/{id}/complete` lets the API assemble multipart uploads: it lists the parts
 *    server-side, so the browser never needs to read ETags (which CORS would hide anyway).
 *
 * A session can be resumed after a reload: `GET /api/uploads/{id}` says which files arrived and,
 * for multipart files, which parts; only the rest is sent again.
 */
import { api, unwrap } from "../api/client";

export type UploadKind = "model" | "model-version" | "images" | "avatar" | "gallery-cover";
export type FileRole = "model" | "cover" | "image" | "avatar" | "gallery-cover";

export interface PresignedPut {
  method: "PUT";
  url: string;
  headers: Record<string, string>;
}

export interface PresignedPart {
  partNumber: number;
  url: string;
}

export interface MultipartPlan {
  method: "multipart";
  partSize: number;
  partCount: number;
  parts: PresignedPart[];
}

export type UploadPlan = PresignedPut | MultipartPlan;

export interface SessionFile {
  index: number;
  name: string;
  role: FileRole;
  size: number;
  assetId: string;
  multipart: boolean;
  /** Only in the answer that created the session. */
  upload?: UploadPlan;
  /** Only in `GET /api/uploads/{id}`. */
  uploaded?: boolean;
  partSize?: number;
  partCount?: number;
  uploadedParts?: number[];
  status?: string;
  error?: string | null;
}

export type SessionStatus = "open" | "completed" | "aborted" | "expired";

export interface UploadSession {
  id: string;
  kind: UploadKind;
  status: SessionStatus;
  createdAt: string;
  expiresAt: string;
  modelId: string | null;
  versionId: string | null;
  galleryId: string | null;
  files: SessionFile[];
}

export interface AnnouncedFile {
  name: string;
  size: number;
  contentType: string;
  role?: "model" | "cover" | "image";
}

export interface SessionRequest {
  kind: UploadKind;
  files: AnnouncedFile[];
  title?: string;
  description?: string;
  triggerWords?: string[];
  tags?: string[];
  visibility?: "public" | "private";
  galleryId?: string;
  galleryTitle?: string;
  modelId?: string;
  versionName?: string;
}

/** A failed PUT to storage (status 0: the request never got an answer). */
export class StorageHttpError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(status ? `Storage refused the upload (${status})${detail ? `: ${detail}` : ""}` : "Network error while uploading");
    this.name = "StorageHttpError";
    this.status = status;
  }
}

/** Everything the upload logic needs from the outside world; tests substitute a fake. */
export interface UploadTransport {
  createSession(body: SessionRequest): Promise<UploadSession>;
  describeSession(sessionId: string): Promise<UploadSession>;
  partUrls(sessionId: string, fileIndex: number, partNumbers: number[]): Promise<UploadPlan>;
  completeSession(sessionId: string): Promise<UploadSession>;
  abortSession(sessionId: string): Promise<void>;
  /** PUT `body` to a presigned URL, reporting bytes sent so far. */
  put(url: string, body: Blob, headers: Record<string, string>, onProgress: (loaded: number) => void,
      signal?: AbortSignal): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetry: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 400,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const TRANSIENT_STATUSES = new Set([0, 500, 502, 503, 504]);

/** What storage (and S3 in particular) asks clients to retry: 5xx answers and lost connections. */
export function isTransient(error: unknown): boolean {
  if (error instanceof DOMException && error.name === "AbortError") return false;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number") return TRANSIENT_STATUSES.has(status);
  return error instanceof TypeError; // fetch reports a network failure as a TypeError
}

export async function withRetries<T>(action: () => Promise<T>, policy: RetryPolicy = defaultRetry,
                                     signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await action();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error) || signal?.aborted) throw error;
      await policy.sleep(policy.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new DOMException("Upload cancelled", "AbortError");
}

export interface UploadCallbacks {
  /** Bytes of file `index` that have reached storage (parts already there count). */
  onProgress?: (index: number, loaded: number, total: number) => void;
  /** File `index` is completely in storage. */
  onFileDone?: (index: number) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Parts of one file sent at the same time. */
  partConcurrency?: number;
}

/**
 * Create a session and send every file. `onSession` sees the session before any byte is sent so
 * the caller can remember it for a resume. Returns the completed session.
 */
export async function uploadFiles(transport: UploadTransport, request: SessionRequest, files: Blob[],
                                  callbacks: UploadCallbacks & { onSession?: (s: UploadSession) => void } = {}):
  Promise<UploadSession> {
  if (files.length !== request.files.length) throw new Error("Every announced file needs its bytes");
  const session = await transport.createSession(request);
  callbacks.onSession?.(session);
  for (const described of session.files) {
    if (!described.upload) throw new Error(`The session did not say how to upload ${described.name}`);
    await sendFile(transport, session.id, described.index, described.upload, files[described.index], new Set(),
                   callbacks);
  }
  return completeSession(transport, session.id, callbacks);
}

export type ResumeOutcome =
  | { state: "completed"; session: UploadSession }
  | { state: "gone"; session: UploadSession };

/** Indexes of the files a session still waits for (what a resume must be given). */
export function missingFiles(session: UploadSession): number[] {
  return session.files.filter((f) => !f.uploaded).map((f) => f.index);
}

/**
 * Finish an earlier session: send only what has not arrived (for multipart files only the parts
 * storage does not have), then complete. `files[i]` must hold file `i` when it is still missing.
 * "gone" means the session was aborted or expired and must be started again.
 */
export async function resumeUpload(transport: UploadTransport, sessionId: string, files: (Blob | undefined)[],
                                   callbacks: UploadCallbacks = {}): Promise<ResumeOutcome> {
  const retry = callbacks.retry ?? defaultRetry;
  const state = await withRetries(() => transport.describeSession(sessionId), retry, callbacks.signal);
  if (state.status === "completed") return { state: "completed", session: state };
  if (state.status !== "open") return { state: "gone", session: state };
  for (const described of state.files) {
    if (described.uploaded) {
      callbacks.onProgress?.(described.index, described.size, described.size);
      callbacks.onFileDone?.(described.index);
      continue;
    }
    const blob = files[described.index];
    if (!blob) throw new Error(`Choose ${described.name} again to continue`);
    if (blob.size !== described.size) {
      throw new Error(`${described.name} is ${blob.size} bytes now, but ${described.size} bytes were announced`);
    }
    // The session's original URLs may have expired: a multipart plan fetches fresh part URLs as it
    // goes, a single PUT asks for a new one.
    const plan: UploadPlan = described.multipart
      ? { method: "multipart", partSize: described.partSize ?? 0, partCount: described.partCount ?? 0, parts: [] }
      : await withRetries(() => transport.partUrls(sessionId, described.index, [1]), retry, callbacks.signal);
    await sendFile(transport, sessionId, described.index, plan, blob, new Set(described.uploadedParts ?? []),
                   callbacks);
  }
  return { state: "completed", session: await completeSession(transport, sessionId, callbacks) };
}

async function completeSession(transport: UploadTransport, sessionId: string, callbacks: UploadCallbacks):
  Promise<UploadSession> {
  try {
    return await withRetries(() => transport.completeSession(sessionId), callbacks.retry ?? defaultRetry,
                             callbacks.signal);
  } catch (error) {
    // A retried complete whose first attempt went through is refused as "already completed".
    if ((error as { status?: number }).status === 409) {
      const state = await transport.describeSession(sessionId);
      if (state.status === "completed") return state;
    }
    throw error;
  }
}

const PART_URLS_PER_CALL = 100;

export async function sendFile(transport: UploadTransport, sessionId: string, index: number, plan: UploadPlan,
                               blob: Blob, alreadyUploaded: Set<number>, callbacks: UploadCallbacks = {}):
  Promise<void> {
  const retry = callbacks.retry ?? defaultRetry;
  const { signal } = callbacks;
  const report = (loaded: number) => callbacks.onProgress?.(index, Math.min(loaded, blob.size), blob.size);
  if (plan.method === "PUT") {
    report(0);
    await withRetries(() => transport.put(plan.url, blob, plan.headers, report, signal), retry, signal);
    report(blob.size);
    callbacks.onFileDone?.(index);
    return;
  }
  const { partSize, partCount } = plan;
  if (!partSize || !partCount) throw new Error("The multipart plan is incomplete");
  if (Math.ceil(blob.size / partSize) !== partCount) {
    throw new Error(`The file does not match its multipart plan (${partCount} parts of ${partSize} bytes)`);
  }
  const urls = new Map(plan.parts.map((p) => [p.partNumber, p.url]));
  const partBytes = (n: number) => Math.min(partSize, blob.size - (n - 1) * partSize);
  const loadedByPart = new Map<number, number>();
  for (const n of alreadyUploaded) loadedByPart.set(n, partBytes(n));
  const total = () => [...loadedByPart.values()].reduce((a, b) => a + b, 0);
  report(total());

  const pending = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !alreadyUploaded.has(n));
  let fetching: Promise<void> | null = null;
  const urlFor = async (n: number): Promise<string> => {
    while (!urls.has(n)) {
      // One request at a time fetches URLs for the next stretch of parts still to send.
      if (!fetching) {
        const batch = pending.filter((p) => p >= n && !urls.has(p)).slice(0, PART_URLS_PER_CALL);
        fetching = withRetries(() => transport.partUrls(sessionId, index, batch), retry, signal)
          .then((more) => {
            if (more.method !== "multipart") throw new Error("Expected part URLs for a multipart file");
            for (const p of more.parts) urls.set(p.partNumber, p.url);
          })
          .finally(() => { fetching = null; });
      }
      await fetching;
    }
    return urls.get(n)!;
  };

  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const n = pending[next++];
      const url = await urlFor(n);
      const start = (n - 1) * partSize;
      const body = blob.slice(start, start + partBytes(n));
      await withRetries(() => transport.put(url, body, {}, (loaded) => {
        loadedByPart.set(n, loaded);
        report(total());
      }, signal), retry, signal);
      loadedByPart.set(n, body.size);
      report(total());
    }
  };
  const workers = Math.max(1, Math.min(callbacks.partConcurrency ?? 3, pending.length));
  await Promise.all(Array.from({ length: workers }, worker));
  callbacks.onFileDone?.(index);
}

/** PUT with upload progress: fetch() cannot report request-body progress, XMLHttpRequest can. */
export function xhrPut(url: string, body: Blob, headers: Record<string, string>, onProgress: (loaded: number) => void,
                       signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("Upload cancelled", "AbortError"));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) {
      // Browsers set Content-Length and Host themselves and refuse scripts that try.
      if (!/^(content-length|host)$/i.test(name)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal?.removeEventListener("abort", onAbort);
    xhr.onload = () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new StorageHttpError(xhr.status, storageMessage(xhr.responseText)));
    };
    xhr.onerror = () => { settle(); reject(new StorageHttpError(0, "")); };
    xhr.onabort = () => { settle(); reject(new DOMException("Upload cancelled", "AbortError")); };
    xhr.send(body);
  });
}

/** S3 answers errors in XML: `<Error><Code>…</Code><Message>…</Message></Error>`. */
export function storageMessage(xml: string): string {
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  return [code, message].filter(Boolean).join(": ");
}

/** The transport the app uses: the typed API client for the API, XHR for storage. */
export const apiTransport: UploadTransport = {
  async createSession(body) {
    return (await unwrap<UploadSession>(api.POST("/api/uploads", { body }))).data;
  },
  async describeSession(sessionId) {
    return (await unwrap<UploadSession>(api.GET("/api/uploads/{upload_id}", {
      params: { path: { upload_id: sessionId } },
    }))).data;
  },
  async partUrls(sessionId, fileIndex, partNumbers) {
    return (await unwrap<UploadPlan>(api.POST("/api/uploads/{upload_id}/parts", {
      params: { path: { upload_id: sessionId } },
      body: { fileIndex, partNumbers },
    }))).data;
  },
  async completeSession(sessionId) {
    return (await unwrap<UploadSession>(api.POST("/api/uploads/{upload_id}/complete", {
      params: { path: { upload_id: sessionId } },
    }))).data;
  },
  async abortSession(sessionId) {
    await unwrap<unknown>(api.DELETE("/api/uploads/{upload_id}", { params: { path: { upload_id: sessionId } } }));
  },
  put: xhrPut,
};
