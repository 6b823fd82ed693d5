// Avatar upload through the uploads API: open a session of kind "avatar", PUT the file to the
// presigned storage URL (no Authorization header: storage checks the signature), complete the
// session, then wait until ingest has made the thumbnails.
import { api, ApiError, unwrap } from "./client";
import type { UploadSession } from "./types";

export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp"];
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;

export function avatarProblem(file: File): string | null {
  if (!AVATAR_TYPES.includes(file.type)) return "Choose a PNG, JPEG or WebP image.";
  if (file.size > AVATAR_MAX_BYTES) return "The avatar may be at most 5 MB.";
  if (file.size === 0) return "The file is empty.";
  return null;
}

export async function uploadAvatar(file: File, { pollMs = 1000, timeoutMs = 60_000 } = {}): Promise<void> {
  const problem = avatarProblem(file);
  if (problem) throw new ApiError(400, "VALIDATION_ERROR", problem, "avatar");
  const { data: session } = await unwrap<UploadSession>(
    api.POST("/api/uploads", {
      body: { kind: "avatar", files: [{ name: file.name || "avatar", size: file.size, contentType: file.type }] },
    }),
  );
  const ticket = session.files[0]?.upload;
  if (!ticket) throw new ApiError(500, "INTERNAL_ERROR", "The server did not return an upload address");
  let put: Response;
  try {
    put = await fetch(ticket.url, { method: ticket.method, headers: ticket.headers, body: file });
  } catch {
    throw new ApiError(0, "NETWORK_ERROR", "The image could not be sent to storage. Try again.");
  }
  if (!put.ok) throw new ApiError(put.status, "STORAGE_ERROR", `Storage refused the image (${put.status})`);
  await unwrap(api.POST("/api/uploads/{upload_id}/complete", { params: { path: { upload_id: session.id } } }));

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { data } = await unwrap<UploadSession>(
      api.GET("/api/uploads/{upload_id}", { params: { path: { upload_id: session.id } } }),
    );
    const file0 = data.files[0];
    if (file0?.status === "ready") return;
    if (file0?.status === "failed" || file0?.error) {
      throw new ApiError(422, "PROCESSING_FAILED", file0.error || "The image could not be processed");
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new ApiError(504, "TIMEOUT", "The avatar is still being processed; it will appear shortly.");
}
