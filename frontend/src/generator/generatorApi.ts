import { api, unwrap } from "../api/client";
import type { ModelSummary } from "../api/types";
import type { buildGenerationBody } from "./generatorModel";
import type { GenerationJob, GeneratorSettingsView, QueueView } from "./types";

export const generatorKeys = {
  settings: ["generator", "settings"] as const,
  queue: ["generator", "queue"] as const,
  requests: (scope: string) => ["generator", "requests", scope] as const,
  request: (id: string) => ["generator", "request", id] as const,
  loras: (q: string, baseModels: string[] | null) => ["generator", "loras", q, baseModels] as const,
  galleries: (userId: string) => ["generator", "galleries", userId] as const,
};

export async function fetchSettings(): Promise<GeneratorSettingsView> {
  return (await unwrap<GeneratorSettingsView>(api.GET("/api/generator/settings"))).data;
}

export async function fetchQueue(): Promise<QueueView> {
  return (await unwrap<QueueView>(api.GET("/api/generator/queue"))).data;
}

export function fetchRequestsPage(scope: "mine" | "all", cursor?: string) {
  return unwrap<GenerationJob[]>(api.GET("/api/generator/requests", {
    params: { query: { scope, cursor: cursor ?? null, pageSize: 12 } },
  })) as Promise<{ data: GenerationJob[]; meta: { cursor: string | null } }>;
}

export async function fetchRequest(id: string): Promise<GenerationJob> {
  return (await unwrap<GenerationJob>(api.GET("/api/generator/requests/{job_id}", {
    params: { path: { job_id: id } },
  }))).data;
}

export async function submitRequest(body: ReturnType<typeof buildGenerationBody>): Promise<GenerationJob> {
  return (await unwrap<GenerationJob>(api.POST("/api/generator/requests", { body }))).data;
}

export async function cancelRequest(id: string): Promise<GenerationJob> {
  return (await unwrap<GenerationJob>(api.POST("/api/generator/requests/{job_id}/cancel", {
    params: { path: { job_id: id } },
  }))).data;
}

export interface ImportChoice {
  mode: "existing" | "new";
  galleryId?: string;
  galleryTitle?: string;
  galleryVisibility?: "public" | "private";
}

export async function importRenders(id: string, choice: ImportChoice): Promise<{ galleryId: string; added: number }> {
  return (await unwrap<{ galleryId: string; added: number }>(api.POST("/api/generator/requests/{job_id}/import", {
    params: { path: { job_id: id } },
    body: choice,
  }))).data;
}

export async function retryRequest(id: string): Promise<GenerationJob> {
  return (await unwrap<GenerationJob>(api.POST("/api/generator/requests/{job_id}/retry", {
    params: { path: { job_id: id } },
  }))).data;
}

/**
 * LoRAs whose title, tags or trigger words match `q` (all LoRAs when empty). With `baseModels`,
 * only LoRAs made for one of them: the API filters on one exact value, so each is asked for in
 * parallel and the answers are merged in the given order without duplicates.
 */
export async function searchLoras(q: string, baseModels: string[] | null = null): Promise<ModelSummary[]> {
  const page = async (baseModel: string | null) => (await unwrap<ModelSummary[]>(api.GET("/api/models", {
    params: { query: { type: "lora", q, pageSize: 12, baseModel: baseModel ?? undefined } },
  }))).data;
  const pages = await Promise.all(baseModels ? baseModels.map(page) : [page(null)]);
  const seen = new Set<string>();
  return pages.flat().filter((m) => !seen.has(m.id) && Boolean(seen.add(m.id)));
}

export async function fetchMyGalleries(userId: string): Promise<{ id: string; title: string }[]> {
  return (await unwrap<{ id: string; title: string }[]>(api.GET("/api/galleries", {
    params: { query: { curator: userId, sort: "name", pageSize: 100 } },
  }))).data;
}
