// Shared data for the generator tests (not imported by the app).
import type { GeneratorSettingsView } from "./types";

export const settingsFixture: GeneratorSettingsView = {
  accessMode: "members",
  enabled: true,
  canGenerate: true,
  block: null,
  baseModels: [
    { id: "sd15", label: "SD 1.5", type: "SD1.5", default: false },
    { id: "sdxl", label: "SDXL base", type: "SDXL", default: true },
  ],
  sizes: { presets: [{ width: 1024, height: 1024 }, { width: 832, height: 1216 }], default: { width: 1024, height: 1024 },
           minSide: 256, maxSide: 2048, maxPixels: 2_097_152 },
  samplers: ["euler", "dpmpp_2m"],
  defaultSampler: "dpmpp_2m",
  schedulers: ["normal", "karras"],
  defaultScheduler: "karras",
  steps: { default: 28, max: 80 },
  cfg: { default: 7, min: 1, max: 20 },
  maxBatch: 4,
  limits: { maxConcurrentPerUser: 2, dailyPerUser: 50, apply: true },
  usage: { active: 0, today: 0 },
  queue: { paused: false, declineNew: false, reason: null },
};
