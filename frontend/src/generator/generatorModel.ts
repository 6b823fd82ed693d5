/** The generator form's data and the request it becomes (no React here). */
import type { GeneratorSettingsView, LoraChoice, Size } from "./types";

export const CUSTOM_SIZE = "custom";
export const MAX_LORAS = 12;
export const STRENGTH_MIN = -2;
export const STRENGTH_MAX = 2;
export const MAX_SEED = 2 ** 32 - 1;

export interface GeneratorForm {
  baseModel: string;
  loras: LoraChoice[];
  prompt: string;
  negativePrompt: string;
  /** "WIDTHxHEIGHT" of a preset, or CUSTOM_SIZE. */
  size: string;
  width: string;
  height: string;
  sampler: string;
  scheduler: string;
  steps: string;
  cfgScale: string;
  /** Empty: the platform picks a random seed (and reports it). */
  seed: string;
  batchSize: number;
}

export function sizeKey(size: Size): string {
  return `${size.width}x${size.height}`;
}

export function initialForm(settings: GeneratorSettingsView): GeneratorForm {
  const base = settings.baseModels.find((m) => m.default) ?? settings.baseModels[0];
  const size = settings.sizes.default;
  const isPreset = settings.sizes.presets.some((p) => sizeKey(p) === sizeKey(size));
  return {
    baseModel: base?.id ?? "",
    loras: [],
    prompt: "",
    negativePrompt: "",
    size: isPreset ? sizeKey(size) : CUSTOM_SIZE,
    width: String(size.width),
    height: String(size.height),
    sampler: settings.defaultSampler,
    scheduler: settings.defaultScheduler,
    steps: String(settings.steps.default),
    cfgScale: String(settings.cfg.default),
    seed: "",
    batchSize: 1,
  };
}

export function clampStrength(value: number): number {
  if (!Number.isFinite(value)) return 1;
  return Math.min(STRENGTH_MAX, Math.max(STRENGTH_MIN, Math.round(value * 100) / 100));
}

/** Blank is "random" (null); anything else must be a whole number in the seed range. */
export function parseSeed(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!/^\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value <= MAX_SEED ? value : undefined;
}

/**
 * Insert a trigger word into the prompt at the caret (or at the end), with comma separators so
 * words never run into their neighbours. Returns the new text and where the caret goes.
 */
export function insertWord(prompt: string, word: string, at: number = prompt.length): { text: string; caret: number } {
  const position = Math.max(0, Math.min(at, prompt.length));
  let before = prompt.slice(0, position);
  let after = prompt.slice(position);
  if (before.trim() && !/,\s*$/.test(before)) before = `${before.replace(/\s+$/, "")}, `;
  else if (before.trim()) before = before.replace(/,\s*$/, ", ");
  if (after.trim() && !/^\s*,/.test(after)) after = `, ${after.replace(/^\s+/, "")}`;
  const text = before + word + after;
  return { text, caret: before.length + word.length };
}

export interface FormProblems {
  baseModel?: string;
  prompt?: string;
  seed?: string;
  size?: string;
  steps?: string;
  cfgScale?: string;
}

function dimensions(form: GeneratorForm): Size {
  if (form.size !== CUSTOM_SIZE) {
    const [width, height] = form.size.split("x").map(Number);
    return { width, height };
  }
  return { width: Number(form.width), height: Number(form.height) };
}

export function checkForm(form: GeneratorForm, settings: GeneratorSettingsView): FormProblems {
  const problems: FormProblems = {};
  if (!form.baseModel) problems.baseModel = "Choose a base model";
  if (!form.prompt.trim()) problems.prompt = "Describe what to render";
  else if (form.prompt.length > 4000) problems.prompt = "Prompts are limited to 4000 characters";
  if (parseSeed(form.seed) === undefined) problems.seed = `The seed is a whole number from 0 to ${MAX_SEED}, or blank for random`;
  const { width, height } = dimensions(form);
  const { minSide, maxSide, maxPixels } = settings.sizes;
  if (!Number.isInteger(width) || !Number.isInteger(height)) problems.size = "Width and height are whole numbers";
  else if (width < minSide || height < minSide || width > maxSide || height > maxSide) {
    problems.size = `Each side is between ${minSide} and ${maxSide} pixels`;
  } else if (width * height > maxPixels) problems.size = `At most ${maxPixels.toLocaleString()} pixels in total`;
  const steps = Number(form.steps);
  if (!Number.isInteger(steps) || steps < 1 || steps > settings.steps.max) problems.steps = `Steps: 1 to ${settings.steps.max}`;
  const cfg = Number(form.cfgScale);
  if (form.cfgScale.trim() === "" || !Number.isFinite(cfg) || cfg < settings.cfg.min || cfg > settings.cfg.max) {
    problems.cfgScale = `CFG scale: ${settings.cfg.min} to ${settings.cfg.max}`;
  }
  return problems;
}

export function buildGenerationBody(form: GeneratorForm, clientRequestId: string) {
  const { width, height } = dimensions(form);
  return {
    baseModel: form.baseModel,
    loras: form.loras.map((l) => ({ modelId: l.modelId, strength: clampStrength(l.strength) })),
    prompt: form.prompt.trim(),
    negativePrompt: form.negativePrompt.trim(),
    seed: parseSeed(form.seed) ?? null,
    cfgScale: Number(form.cfgScale),
    steps: Number(form.steps),
    width,
    height,
    sampler: form.sampler || null,
    scheduler: form.scheduler || null,
    batchSize: form.batchSize,
    clientRequestId,
  };
}

/** An id that makes a submit idempotent: the API answers a repeat with the first request. */
export function newClientRequestId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
