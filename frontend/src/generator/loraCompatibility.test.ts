import { describe, expect, it } from "vitest";
import { baseModelFilters, familiesFor, isCompatible, loraFamily } from "./loraCompatibility";

describe("loraFamily", () => {
  it("reads catalog and detected spellings", () => {
    expect(loraFamily("SDXL 1.0")).toBe("SDXL");
    expect(loraFamily("SDXL")).toBe("SDXL");
    expect(loraFamily("SD 1.5")).toBe("SD1.5");
    expect(loraFamily("SD1.5")).toBe("SD1.5");
    expect(loraFamily("SD 1.4")).toBe("SD1.5");
    expect(loraFamily("Pony")).toBe("Pony");
    expect(loraFamily("Pony Diffusion V6 XL")).toBe("Pony");
    expect(loraFamily("SD 3.5")).toBe("SD3");
    expect(loraFamily("Flux.1 D")).toBe("Flux");
  });

  it("knows nothing of unknown or other architectures", () => {
    expect(loraFamily(null)).toBeNull();
    expect(loraFamily("")).toBeNull();
    expect(loraFamily("Unknown")).toBeNull();
    expect(loraFamily("SD2")).toBeNull();
    expect(loraFamily("Flux.2")).toBeNull();
  });
});

describe("isCompatible", () => {
  it("narrows each base model type to its architecture", () => {
    expect(isCompatible("SDXL 1.0", "SDXL")).toBe(true);
    expect(isCompatible("Pony", "SDXL")).toBe(true);
    expect(isCompatible("SDXL 1.0", "PonyXL")).toBe(true);
    expect(isCompatible("SD 1.5", "SDXL")).toBe(false);
    expect(isCompatible("SDXL 1.0", "SD1.5")).toBe(false);
    expect(isCompatible("Pony", "SD1.5")).toBe(false);
    expect(isCompatible("Flux.1 D", "Flux")).toBe(true);
    expect(isCompatible("SD 3", "Flux")).toBe(false);
    expect(isCompatible(null, "SDXL")).toBe(false);
  });

  it("does not narrow 'Other' or an unknown type", () => {
    expect(familiesFor("Other")).toBeNull();
    expect(isCompatible("SD 1.5", "Other")).toBe(true);
    expect(isCompatible(null, undefined)).toBe(true);
  });
});

describe("baseModelFilters", () => {
  it("lists the own family's spellings first", () => {
    expect(baseModelFilters("PonyXL")).toEqual(["Pony", "SDXL", "SDXL 1.0"]);
    expect(baseModelFilters("SD1.5")).toEqual(["SD1.5", "SD 1.5"]);
    expect(baseModelFilters("Other")).toBeNull();
  });
});
