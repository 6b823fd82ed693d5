/**
 * The API's upload limits, checked in the browser first so people learn about a problem before
 * any byte is sent. The API checks again and its answer (400/413) is shown as it comes.
 */
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const MAX_MODEL_BYTES = 5 * GiB;
export const MAX_IMAGE_BYTES = 64 * MiB;
export const MAX_IMAGES = 12;
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/avif"] as const;
export const IMAGE_ACCEPT = ".png,.jpg,.jpeg,.webp,.avif,image/png,image/jpeg,image/webp,image/avif";
export const MODEL_ACCEPT = ".safetensors,.zip";

const IMAGE_BY_EXTENSION: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", avif: "image/avif",
};

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}

export function isModelFile(file: { name: string }): boolean {
  return ["safetensors", "zip"].includes(extension(file.name));
}

/**
 * The content type announced for a file. Browsers leave `type` empty for .safetensors and report
 * zips differently per platform, so model files are typed by extension.
 */
export function contentTypeFor(file: { name: string; type: string }): string {
  const ext = extension(file.name);
  if (ext === "safetensors") return "application/octet-stream";
  if (ext === "zip") return "application/zip";
  return file.type || IMAGE_BY_EXTENSION[ext] || "application/octet-stream";
}

export function isSupportedImage(file: { name: string; type: string }): boolean {
  return (IMAGE_TYPES as readonly string[]).includes(contentTypeFor(file));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Why a single file cannot be uploaded in this role, or null when it can. */
export function imageProblem(file: File): string | null {
  if (!isSupportedImage(file)) return `${file.name}: unsupported image type; use PNG, JPEG, WebP or AVIF`;
  if (file.size === 0) return `${file.name} is empty`;
  if (file.size > MAX_IMAGE_BYTES) return `${file.name} is ${formatBytes(file.size)}; images are limited to 64 MiB`;
  return null;
}

export function modelFileProblem(file: File): string | null {
  if (!isModelFile(file)) return `${file.name}: a model must be a .safetensors file or a .zip holding one`;
  if (file.size === 0) return `${file.name} is empty`;
  if (file.size > MAX_MODEL_BYTES) return `${file.name} is ${formatBytes(file.size)}; model files are limited to 5 GiB`;
  return null;
}

export interface ModelSelection {
  model: File | null;
  cover: File | null;
}

/**
 * Sort dropped files into the model slot and the cover slot: a new model file or cover replaces
 * the previous one. Problems name the files that were refused.
 */
export function addToModelSelection(current: ModelSelection, added: File[]): { selection: ModelSelection; problems: string[] } {
  const selection = { ...current };
  const problems: string[] = [];
  for (const file of added) {
    if (isModelFile(file)) {
      const problem = modelFileProblem(file);
      if (problem) problems.push(problem);
      else selection.model = file;
    } else {
      const problem = imageProblem(file);
      if (problem) problems.push(problem);
      else selection.cover = file;
    }
  }
  return { selection, problems };
}

/** Add images to a batch: refused files are named, the batch never exceeds 12, duplicates are skipped. */
export function addToImageBatch(current: File[], added: File[]): { files: File[]; problems: string[] } {
  const files = [...current];
  const problems: string[] = [];
  for (const file of added) {
    const problem = imageProblem(file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (files.some((f) => f.name === file.name && f.size === file.size && f.lastModified === file.lastModified)) continue;
    if (files.length >= MAX_IMAGES) {
      problems.push(`${file.name}: a batch holds at most ${MAX_IMAGES} images`);
      continue;
    }
    files.push(file);
  }
  return { files, problems };
}

/** Comma- or newline-separated words, trimmed, empty ones and repeats dropped. */
export function splitList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const word = raw.trim();
    if (word && !seen.has(word.toLowerCase())) {
      seen.add(word.toLowerCase());
      out.push(word);
    }
  }
  return out;
}
