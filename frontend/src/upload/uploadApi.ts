/** The reads the upload screens need besides the upload protocol itself. */
import { api, unwrap } from "../api/client";

export type AssetStatus = "processing" | "ready" | "error";

export interface GalleryOption {
  id: string;
  title: string;
  visibility?: string;
}

/** What a status endpoint answers for an asset the viewer only sees as "in audit". */
export interface InAuditPlaceholder {
  id: string;
  title: string;
  placeholder: true;
  inAudit: true;
}

export interface ModelStatus {
  id: string;
  title: string;
  status: AssetStatus;
  error: string | null;
  versions: { id: string; name: string; status: AssetStatus; error: string | null }[];
  /** Preview URLs of the cover by size name ("grid", "preview") once it is processed. */
  cover?: Record<string, string>;
  placeholder?: false;
}

export interface ImageStatus {
  id: string;
  title: string;
  status: AssetStatus;
  error: string | null;
  previews: Record<string, string>;
  placeholder?: false;
}

export interface ModelSummary {
  id: string;
  title: string;
  canEdit?: boolean;
  versions?: { id: string; name: string }[];
}

/** The galleries a curator can upload into: their own, by name (the API caps a page at 100). */
export async function fetchMyGalleries(userId: string): Promise<GalleryOption[]> {
  const { data } = await unwrap<GalleryOption[]>(api.GET("/api/galleries", {
    params: { query: { curator: userId, sort: "name", pageSize: 100 } },
  }));
  return data;
}

export async function fetchGallery(galleryId: string): Promise<GalleryOption> {
  const { data } = await unwrap<GalleryOption>(api.GET("/api/galleries/{gallery_id}", {
    params: { path: { gallery_id: galleryId } },
  }));
  return data;
}

export async function fetchModelSummary(modelId: string): Promise<ModelSummary> {
  const { data } = await unwrap<ModelSummary>(api.GET("/api/models/{model_id}", {
    params: { path: { model_id: modelId } },
  }));
  return data;
}

export async function fetchModelStatus(modelId: string): Promise<ModelStatus | InAuditPlaceholder> {
  const { data } = await unwrap<ModelStatus | InAuditPlaceholder>(api.GET("/api/models/{model_id}/status", {
    params: { path: { model_id: modelId } },
  }));
  return data;
}

export async function fetchImageStatus(imageId: string): Promise<ImageStatus | InAuditPlaceholder> {
  const { data } = await unwrap<ImageStatus | InAuditPlaceholder>(api.GET("/api/images/{image_id}/status", {
    params: { path: { image_id: imageId } },
  }));
  return data;
}
