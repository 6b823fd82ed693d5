import { describe, expect, it, vi } from "vitest";
import {
  StorageHttpError,
  isTransient,
  missingFiles,
  resumeUpload,
  storageMessage,
  uploadFiles,
  withRetries,
  type RetryPolicy,
  type SessionRequest,
  type UploadPlan,
  type UploadSession,
  type UploadTransport,
} from "./uploadClient";

/** jsdom's Blob has no text(): read it the way older browsers did. */
function readText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

const noWait: RetryPolicy = { attempts: 5, baseDelayMs: 1, sleep: () => Promise.resolve() };

function session(overrides: Partial<UploadSession> = {}): UploadSession {
  return {
    id: "s1", kind: "images", status: "open", createdAt: "", expiresAt: "", modelId: null, versionId: null,
    galleryId: "g1", files: [], ...overrides,
  };
}

/** A storage + API double that records every PUT (url -> bytes as text). */
function fakeTransport(created: UploadSession) {
  const puts: { url: string; body: string; headers: Record<string, string> }[] = [];
  const partCalls: { fileIndex: number; partNumbers: number[] }[] = [];
  let described: UploadSession = created;
  const transport: UploadTransport & { failNext: (n: number, status: number) => void } = {
    createSession: vi.fn(async () => created),
    describeSession: vi.fn(async () => described),
    partUrls: vi.fn(async (_id: string, fileIndex: number, partNumbers: number[]): Promise<UploadPlan> => {
      partCalls.push({ fileIndex, partNumbers });
      const file = described.files[fileIndex] ?? created.files[fileIndex];
      if (!file.multipart) return { method: "PUT", url: `put://fresh/${fileIndex}`, headers: { "Content-Type": "image/png" } };
      return {
        method: "multipart", partSize: file.partSize ?? 4, partCount: file.partCount ?? 0,
        parts: partNumbers.map((n) => ({ partNumber: n, url: `part://${fileIndex}/${n}` })),
      };
    }),
    completeSession: vi.fn(async () => ({ ...created, status: "completed" as const })),
    abortSession: vi.fn(async () => undefined),
    put: vi.fn(async (url: string, body: Blob, headers: Record<string, string>, onProgress: (n: number) => void) => {
      if (failures.length) {
        const status = failures.shift()!;
        throw new StorageHttpError(status, "");
      }
      onProgress(body.size);
      puts.push({ url, body: await readText(body), headers });
    }),
    failNext: (n, status) => { for (let i = 0; i < n; i++) failures.push(status); },
  };
  const failures: number[] = [];
  return { transport, puts, partCalls, setDescribed: (s: UploadSession) => { described = s; } };
}

const blob = (text: string) => new Blob([text]);

describe("uploadFiles", () => {
  it("sends a small file with one presigned PUT and completes the session", async () => {
    const created = session({
      files: [{ index: 0, name: "a.png", role: "image", size: 5, assetId: "i1", multipart: false,
                upload: { method: "PUT", url: "put://a", headers: { "Content-Type": "image/png" } } }],
    });
    const { transport, puts } = fakeTransport(created);
    const progress: number[] = [];
    const onSession = vi.fn();
    const request: SessionRequest = { kind: "images", files: [{ name: "a.png", size: 5, contentType: "image/png" }] };

    const done = await uploadFiles(transport, request, [blob("hello")], {
      onSession, onProgress: (_i, loaded) => progress.push(loaded), retry: noWait,
    });

    expect(onSession).toHaveBeenCalledWith(created);
    expect(puts).toEqual([{ url: "put://a", body: "hello", headers: { "Content-Type": "image/png" } }]);
    expect(progress.at(-1)).toBe(5);
    expect(transport.completeSession).toHaveBeenCalledWith("s1");
    expect(done.status).toBe("completed");
  });

  it("sends a multipart file part by part, asking for the part URLs it was not given", async () => {
    const created = session({
      files: [{ index: 0, name: "big.safetensors", role: "model", size: 10, assetId: "v1", multipart: true,
                upload: { method: "multipart", partSize: 4, partCount: 3, parts: [{ partNumber: 1, url: "part://0/1" }] } }],
    });
    const { transport, puts, partCalls } = fakeTransport(created);
    await uploadFiles(transport, { kind: "model", files: [{ name: "big.safetensors", size: 10, contentType: "application/octet-stream" }] },
                      [blob("0123456789")], { retry: noWait, partConcurrency: 1 });

    expect(partCalls).toEqual([{ fileIndex: 0, partNumbers: [2, 3] }]);
    expect(puts.map((p) => [p.url, p.body])).toEqual([["part://0/1", "0123"], ["part://0/2", "4567"], ["part://0/3", "89"]]);
    expect(transport.completeSession).toHaveBeenCalledTimes(1);
  });

  it("refuses a file that does not match the multipart plan before sending anything", async () => {
    const created = session({
      files: [{ index: 0, name: "big.zip", role: "model", size: 10, assetId: "v1", multipart: true,
                upload: { method: "multipart", partSize: 4, partCount: 2, parts: [] } }],
    });
    const { transport, puts } = fakeTransport(created);
    await expect(uploadFiles(transport, { kind: "model", files: [{ name: "big.zip", size: 10, contentType: "application/zip" }] },
                             [blob("0123456789")], { retry: noWait })).rejects.toThrow(/multipart plan/);
    expect(puts).toHaveLength(0);
    expect(transport.completeSession).not.toHaveBeenCalled();
  });

  it("retries a PUT that storage answered with 503, but not one it refused with 403", async () => {
    const created = session({
      files: [{ index: 0, name: "a.png", role: "image", size: 2, assetId: "i1", multipart: false,
                upload: { method: "PUT", url: "put://a", headers: {} } }],
    });
    const flaky = fakeTransport(created);
    flaky.transport.failNext(2, 503);
    await uploadFiles(flaky.transport, { kind: "images", files: [{ name: "a.png", size: 2, contentType: "image/png" }] },
                      [blob("hi")], { retry: noWait });
    expect(flaky.transport.put).toHaveBeenCalledTimes(3);
    expect(flaky.puts).toHaveLength(1);

    const refused = fakeTransport(created);
    refused.transport.failNext(1, 403);
    await expect(uploadFiles(refused.transport, { kind: "images", files: [{ name: "a.png", size: 2, contentType: "image/png" }] },
                             [blob("hi")], { retry: noWait })).rejects.toThrow("Storage refused the upload (403)");
    expect(refused.transport.put).toHaveBeenCalledTimes(1);
    expect(refused.transport.completeSession).not.toHaveBeenCalled();
  });

  it("treats a retried complete that had already gone through as success", async () => {
    const created = session({
      files: [{ index: 0, name: "a.png", role: "image", size: 2, assetId: "i1", multipart: false,
                upload: { method: "PUT", url: "put://a", headers: {} } }],
    });
    const { transport, setDescribed } = fakeTransport(created);
    let calls = 0;
    transport.completeSession = vi.fn(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error("Bad gateway"), { status: 502 });
      throw Object.assign(new Error("The upload session is completed"), { status: 409 });
    });
    setDescribed({ ...created, status: "completed" });
    const done = await uploadFiles(transport, { kind: "images", files: [{ name: "a.png", size: 2, contentType: "image/png" }] },
                                   [blob("hi")], { retry: noWait });
    expect(done.status).toBe("completed");
    expect(calls).toBe(2);
  });
});

describe("resumeUpload", () => {
  it("sends only missing files and missing parts, with fresh URLs, then completes", async () => {
    const state = session({
      kind: "model",
      files: [
        { index: 0, name: "big.safetensors", role: "model", size: 10, assetId: "v1", multipart: true, uploaded: false,
          partSize: 4, partCount: 3, uploadedParts: [1, 3] },
        { index: 1, name: "cover.png", role: "cover", size: 3, assetId: "c1", multipart: false, uploaded: true },
      ],
    });
    const { transport, puts, partCalls } = fakeTransport(state);
    const progress = new Map<number, number>();
    const outcome = await resumeUpload(transport, "s1", [blob("0123456789"), undefined], {
      retry: noWait, onProgress: (i, loaded) => progress.set(i, loaded),
    });

    expect(outcome.state).toBe("completed");
    expect(partCalls).toEqual([{ fileIndex: 0, partNumbers: [2] }]);
    expect(puts.map((p) => [p.url, p.body])).toEqual([["part://0/2", "4567"]]);
    expect(progress.get(0)).toBe(10);
    expect(progress.get(1)).toBe(3);
    expect(transport.completeSession).toHaveBeenCalledWith("s1");
  });

  it("asks for a new URL for a missing single-PUT file", async () => {
    const state = session({
      files: [{ index: 0, name: "a.png", role: "image", size: 5, assetId: "i1", multipart: false, uploaded: false }],
    });
    const { transport, puts } = fakeTransport(state);
    await resumeUpload(transport, "s1", [blob("hello")], { retry: noWait });
    expect(puts.map((p) => p.url)).toEqual(["put://fresh/0"]);
  });

  it("reports an expired session as gone without sending anything", async () => {
    const { transport, puts } = fakeTransport(session({ status: "expired" }));
    const outcome = await resumeUpload(transport, "s1", [], { retry: noWait });
    expect(outcome.state).toBe("gone");
    expect(puts).toHaveLength(0);
    expect(transport.completeSession).not.toHaveBeenCalled();
  });

  it("needs the bytes of every missing file, unchanged", async () => {
    const state = session({
      files: [{ index: 0, name: "a.png", role: "image", size: 5, assetId: "i1", multipart: false, uploaded: false }],
    });
    await expect(resumeUpload(fakeTransport(state).transport, "s1", [undefined], { retry: noWait }))
      .rejects.toThrow("Choose a.png again");
    await expect(resumeUpload(fakeTransport(state).transport, "s1", [blob("changed!")], { retry: noWait }))
      .rejects.toThrow(/8 bytes now, but 5 bytes were announced/);
  });

  it("lists the files a session still waits for", () => {
    expect(missingFiles(session({
      files: [
        { index: 0, name: "a", role: "image", size: 1, assetId: "1", multipart: false, uploaded: true },
        { index: 1, name: "b", role: "image", size: 1, assetId: "2", multipart: false, uploaded: false },
      ],
    }))).toEqual([1]);
  });
});

describe("retry helpers", () => {
  it("classifies storage and network failures", () => {
    expect(isTransient(new StorageHttpError(503, ""))).toBe(true);
    expect(isTransient(new StorageHttpError(0, ""))).toBe(true);
    expect(isTransient(new StorageHttpError(403, ""))).toBe(false);
    expect(isTransient(new TypeError("Failed to fetch"))).toBe(true);
    expect(isTransient(new DOMException("Upload cancelled", "AbortError"))).toBe(false);
  });

  it("gives up after the configured attempts with growing delays", async () => {
    const delays: number[] = [];
    const action = vi.fn(async () => { throw new StorageHttpError(500, ""); });
    await expect(withRetries(action, { attempts: 3, baseDelayMs: 100, sleep: async (ms) => { delays.push(ms); } }))
      .rejects.toBeInstanceOf(StorageHttpError);
    expect(action).toHaveBeenCalledTimes(3);
    expect(delays).toEqual([100, 200]);
  });

  it("stops at once when cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const action = vi.fn(async () => "never");
    await expect(withRetries(action, noWait, controller.signal)).rejects.toThrow("Upload cancelled");
    expect(action).not.toHaveBeenCalled();
  });

  it("reads S3's XML error message", () => {
    expect(storageMessage("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"))
      .toBe("AccessDenied: Request has expired");
    expect(storageMessage("")).toBe("");
  });
});
