/**
 * What survives a page reload of an unfinished upload: the session id and a fingerprint of every
 * file (never the bytes, which a browser cannot keep). Re-selecting the same files continues.
 */
export interface FileFingerprint {
  name: string;
  size: number;
  lastModified: number;
}

export interface PendingUpload {
  sessionId: string;
  kind: string;
  /** What the person called the upload, to recognise it ("Neon Glow", "3 images"). */
  label: string;
  savedAt: number;
  files: FileFingerprint[];
}

type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const KEY_PREFIX = "visionsuit.upload.pending.";

/** Per account: someone else signing in on the same browser is not offered your upload. */
function keyFor(userId: string): string {
  return KEY_PREFIX + userId;
}

function browserStore(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled (privacy mode): uploads still work, they just cannot resume
  }
}

export function fingerprint(file: File): FileFingerprint {
  return { name: file.name, size: file.size, lastModified: file.lastModified };
}

export function sameFile(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
}

export function savePending(userId: string, pending: PendingUpload, store = browserStore()): void {
  store?.setItem(keyFor(userId), JSON.stringify(pending));
}

export function loadPending(userId: string, store = browserStore()): PendingUpload | null {
  const raw = store?.getItem(keyFor(userId));
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as PendingUpload;
    const valid = typeof value?.sessionId === "string" && Array.isArray(value.files)
      && value.files.every((f) => typeof f?.name === "string" && typeof f.size === "number");
    return valid ? value : null;
  } catch {
    return null;
  }
}

export function clearPending(userId: string, store = browserStore()): void {
  store?.removeItem(keyFor(userId));
}

/**
 * Put re-selected files in the session's order: `result[i]` is the chosen file matching the
 * fingerprint of file `i`, or undefined. Files chosen earlier (`previous`) are kept.
 */
export function matchFiles(expected: FileFingerprint[], chosen: File[],
                           previous: (File | undefined)[] = []): (File | undefined)[] {
  return expected.map((want, i) => previous[i] ?? chosen.find((file) => sameFile(fingerprint(file), want)));
}
