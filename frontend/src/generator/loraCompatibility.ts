/**
 * Which catalog LoRAs fit a generator base model. Catalog models carry a free-text `baseModel`
 * ("SDXL 1.0", "SD 1.5", "Pony", or what ingest detected: "SDXL", "SD1.5", "Flux"…); generator base
 * models carry a fixed type (SD1.5 | SDXL | PonyXL | SD3 | Flux | Other). No React here.
 */

export type LoraFamily = "SD1.5" | "SDXL" | "Pony" | "SD3" | "Flux";

/**
 * Families whose LoRAs load on each base model type, own family first. Pony is an SDXL fine-tune,
 * so SDXL and Pony LoRAs share the architecture and are offered on both. "Other" is not narrowed:
 * nothing is known about it.
 */
const FAMILIES_BY_TYPE: Record<string, LoraFamily[]> = {
  "SD1.5": ["SD1.5"],
  SDXL: ["SDXL", "Pony"],
  PonyXL: ["Pony", "SDXL"],
  SD3: ["SD3"],
  Flux: ["Flux"],
};

/**
 * The spellings asked of the API's `baseModel` filter, which matches one value exactly (case and
 * punctuation folded, so "SD1.5" and "SD 1.5" differ): the names ingest detects plus the usual
 * catalog names.
 */
const SPELLINGS: Record<LoraFamily, string[]> = {
  "SD1.5": ["SD1.5", "SD 1.5"],
  SDXL: ["SDXL", "SDXL 1.0"],
  Pony: ["Pony"],
  SD3: ["SD3", "SD 3", "SD 3.5"],
  Flux: ["Flux", "Flux.1 D", "Flux.1 S"],
};

function compact(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The family of a catalog `baseModel` text, or null when it is unknown or fits none of them. */
export function loraFamily(baseModel: string | null | undefined): LoraFamily | null {
  if (!baseModel) return null;
  const c = compact(baseModel);
  if (c.includes("pony")) return "Pony";
  if (c.startsWith("sdxl")) return "SDXL";
  if (/^sdv?1([45]|$|[a-z])/.test(c)) return "SD1.5";
  if (/^(sd|stablediffusion)3/.test(c)) return "SD3";
  // Flux.2 has a different architecture than Flux.1: its LoRAs do not load on Flux.1 models.
  if (c.startsWith("flux") && !c.startsWith("flux2")) return "Flux";
  return null;
}

/** The families to narrow to for a base model type, or null when that type is not narrowed. */
export function familiesFor(baseModelType: string | null | undefined): LoraFamily[] | null {
  return (baseModelType && FAMILIES_BY_TYPE[baseModelType]) || null;
}

/** The `baseModel` filter values to query for a base model type (null: one unfiltered query). */
export function baseModelFilters(baseModelType: string | null | undefined): string[] | null {
  const families = familiesFor(baseModelType);
  return families ? families.flatMap((f) => SPELLINGS[f]) : null;
}

/** Whether a LoRA made for `loraBaseModel` fits `baseModelType`; unknown LoRAs only fit "Other". */
export function isCompatible(loraBaseModel: string | null | undefined, baseModelType: string | null | undefined): boolean {
  const families = familiesFor(baseModelType);
  if (!families) return true;
  const family = loraFamily(loraBaseModel);
  return family !== null && families.includes(family);
}
