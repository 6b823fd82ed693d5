// Payloads of the generator endpoints, mirroring chalicelib/presenters.py (generator_overview,
// queue_view, generation_job): the OpenAPI document types requests, not responses.
import type { Previews } from "../api/types";

export interface Size {
  width: number;
  height: number;
}

export interface BaseModelOption {
  id: string;
  label: string;
  type: string;
  default: boolean;
  modelId?: string | null;
}

export interface GeneratorSettingsView {
  accessMode: "admins" | "members";
  enabled: boolean;
  canGenerate: boolean;
  block: { reason: string; since: string | null } | null;
  baseModels: BaseModelOption[];
  sizes: { presets: Size[]; default: Size; minSide: number; maxSide: number; maxPixels: number };
  samplers: string[];
  defaultSampler: string;
  schedulers: string[];
  defaultScheduler: string;
  steps: { default: number; max: number };
  cfg: { default: number; min: number; max: number };
  maxBatch: number;
  limits: { maxConcurrentPerUser: number | null; dailyPerUser: number | null; apply: boolean };
  usage: { active?: number; today?: number };
  queue: { paused: boolean; declineNew: boolean; reason: string | null };
}

export interface QueueView {
  paused: boolean;
  declineNew: boolean;
  counts: { pending: number; queued: number; running: number };
  agents: { online: number; busy: number };
  mine: { active: number; today: number };
  blocked: boolean;
  blockReason: string | null;
}

export const ACTIVE_STATUSES = ["pending", "queued", "dispatched", "running"] as const;
export const TERMINAL_STATUSES = ["succeeded", "failed", "timed_out", "cancelled"] as const;
export type JobStatus = (typeof ACTIVE_STATUSES)[number] | (typeof TERMINAL_STATUSES)[number];

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

export interface RenderView {
  id: string;
  status: "processing" | "ready" | "error";
  title: string;
  width: number | null;
  height: number | null;
  visibility: string;
  previews: Previews | null;
  error?: string;
}

export interface GenerationJob {
  id: string;
  kind: string;
  status: JobStatus;
  progress: number | null;
  attempt: number;
  createdAt: string;
  updatedAt: string;
  error: string | null;
  /** Administrators only: what the GPU agent reported. */
  agentError?: string | null;
  stage: string | null;
  retryOf?: string | null;
  ownerId: string;
  request?: {
    prompt: string;
    negativePrompt: string;
    seed: number | null;
    cfgScale: number | null;
    steps: number | null;
    width: number | null;
    height: number | null;
    sampler: string | null;
    scheduler: string | null;
    batchSize: number | null;
    baseModel: { id: string | null; label: string | null; type: string | null };
    loras: { modelId: string; name: string; strength: number }[];
  };
  renderIds: string[];
  /** Only in the single-request answer. */
  renders?: RenderView[];
  triggerWords?: { modelId: string; words: string[] }[];
}

export interface LoraChoice {
  modelId: string;
  name: string;
  strength: number;
  triggerWords: string[];
  /** The catalog's base model of the LoRA (null: unknown), to flag picks that do not fit the base model. */
  baseModel?: string | null;
}
