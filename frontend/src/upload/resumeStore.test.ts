import { describe, expect, it } from "vitest";
import { clearPending, fingerprint, loadPending, matchFiles, savePending, type PendingUpload } from "./resumeStore";

const file = (name: string, text: string, lastModified: number) => new File([text], name, { lastModified });

const pending: PendingUpload = {
  sessionId: "abc", kind: "images", label: "Holiday", savedAt: 1,
  files: [{ name: "a.png", size: 3, lastModified: 10 }, { name: "b.png", size: 4, lastModified: 20 }],
};

describe("pending upload store", () => {
  it("keeps one pending upload per account", () => {
    savePending("u1", pending);
    expect(loadPending("u1")).toEqual(pending);
    expect(loadPending("u2")).toBeNull();
    clearPending("u1");
    expect(loadPending("u1")).toBeNull();
  });

  it("ignores damaged entries", () => {
    localStorage.setItem("visionsuit.upload.pending.u1", "{not json");
    expect(loadPending("u1")).toBeNull();
    localStorage.setItem("visionsuit.upload.pending.u1", JSON.stringify({ sessionId: 5 }));
    expect(loadPending("u1")).toBeNull();
  });
});

describe("matchFiles", () => {
  it("recognises re-selected files by name, size and modification time, in session order", () => {
    const b = file("b.png", "bbbb", 20);
    const a = file("a.png", "aaa", 10);
    expect(fingerprint(a)).toEqual({ name: "a.png", size: 3, lastModified: 10 });
    expect(matchFiles(pending.files, [b, a])).toEqual([a, b]);
  });

  it("does not take a file that changed, and keeps earlier choices", () => {
    const edited = file("a.png", "aaa", 11);
    const b = file("b.png", "bbbb", 20);
    const first = matchFiles(pending.files, [edited, b]);
    expect(first).toEqual([undefined, b]);
    const a = file("a.png", "aaa", 10);
    expect(matchFiles(pending.files, [a], first)).toEqual([a, b]);
  });
});
