/** The upload wizard's data, its checks and the session request it turns into (no React here). */
import { contentTypeFor, splitList, type ModelSelection } from "./fileRules";
import type { SessionRequest } from "./uploadClient";

export type UploadMode = "model" | "version" | "images";

export const NO_GALLERY = "";
export const NEW_GALLERY = "__new__";

export interface UploadDetails {
  title: string;
  description: string;
  triggerWords: string;
  tags: string;
  visibility: "private" | "public";
  /** NO_GALLERY, NEW_GALLERY or the id of an existing gallery. */
  gallery: string;
  newGalleryTitle: string;
  versionName: string;
}

export const emptyDetails: UploadDetails = {
  title: "",
  description: "",
  triggerWords: "",
  tags: "",
  visibility: "private",
  gallery: NO_GALLERY,
  newGalleryTitle: "",
  versionName: "",
};

export type DetailProblems = Partial<Record<keyof UploadDetails, string>>;

/** The same rules the API applies, so "Next" can explain what is missing right away. */
export function checkDetails(mode: UploadMode, d: UploadDetails): DetailProblems {
  const problems: DetailProblems = {};
  if (mode === "model") {
    if (!d.title.trim()) problems.title = "A model needs a title";
    else if (d.title.trim().length > 180) problems.title = "Titles are limited to 180 characters";
    const words = splitList(d.triggerWords);
    if (!words.length) problems.triggerWords = "A model needs at least one trigger word";
    else if (words.length > 20) problems.triggerWords = "At most 20 trigger words";
    else if (words.some((w) => w.length > 100)) problems.triggerWords = "Trigger words are limited to 100 characters";
  }
  if (mode === "version") {
    if (!d.versionName.trim()) problems.versionName = "A new version needs a name";
    else if (d.versionName.trim().length > 60) problems.versionName = "Version names are limited to 60 characters";
  }
  if (mode === "images") {
    if (d.gallery === NO_GALLERY) problems.gallery = "Choose a gallery or create a new one";
    if (d.title.trim().length > 180) problems.title = "Titles are limited to 180 characters";
  }
  if (d.gallery === NEW_GALLERY && d.newGalleryTitle.trim().length > 160) {
    problems.newGalleryTitle = "Gallery titles are limited to 160 characters";
  }
  if (mode === "model" && d.gallery === NEW_GALLERY && !d.newGalleryTitle.trim()) {
    problems.newGalleryTitle = "Name the new gallery";
  }
  const tags = splitList(d.tags);
  if (tags.length > 24) problems.tags = "At most 24 tags";
  else if (tags.some((t) => t.length > 60)) problems.tags = "Tags are limited to 60 characters";
  if (d.description.length > 5000) problems.description = "Descriptions are limited to 5000 characters";
  return problems;
}

export function checkFiles(mode: UploadMode, model: ModelSelection, images: File[]): string | null {
  if (mode === "images") return images.length ? null : "Add at least one image";
  if (!model.model) return "Add the model file (.safetensors or .zip)";
  if (!model.cover) return "Add a cover image";
  return null;
}

/** The files in the order they are announced (and uploaded). */
export function orderedFiles(mode: UploadMode, model: ModelSelection, images: File[]): File[] {
  return mode === "images" ? images : [model.model, model.cover].filter((f): f is File => Boolean(f));
}

export function buildSessionRequest(mode: UploadMode, d: UploadDetails, files: File[], modelId?: string):
  SessionRequest {
  const announced = files.map((file, i) => ({
    name: file.name,
    size: file.size,
    contentType: contentTypeFor(file),
    role: mode === "images" ? ("image" as const) : i === 0 ? ("model" as const) : ("cover" as const),
  }));
  const tags = splitList(d.tags);
  const gallery = d.gallery === NEW_GALLERY
    ? { galleryTitle: d.newGalleryTitle.trim() || undefined }
    : d.gallery !== NO_GALLERY ? { galleryId: d.gallery } : {};
  if (mode === "version") {
    return { kind: "model-version", files: announced, modelId, versionName: d.versionName.trim() };
  }
  if (mode === "model") {
    return {
      kind: "model",
      files: announced,
      title: d.title.trim(),
      description: d.description,
      triggerWords: splitList(d.triggerWords),
      tags: tags.length ? tags : undefined,
      visibility: d.visibility,
      ...gallery,
    };
  }
  return {
    kind: "images",
    files: announced,
    title: d.title.trim() || undefined,
    description: d.description,
    tags: tags.length ? tags : undefined,
    visibility: d.visibility,
    ...gallery,
  };
}

/** How the upload is named in the resume offer. */
export function uploadLabel(mode: UploadMode, d: UploadDetails, fileCount: number, modelTitle?: string): string {
  if (mode === "model") return d.title.trim();
  if (mode === "version") return `${modelTitle ?? "Model"} · ${d.versionName.trim()}`;
  return d.title.trim() || `${fileCount} image${fileCount === 1 ? "" : "s"}`;
}
