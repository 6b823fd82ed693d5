import { describe, expect, it } from "vitest";
import {
  CUSTOM_SIZE,
  buildGenerationBody,
  checkForm,
  clampStrength,
  initialForm,
  insertWord,
  newClientRequestId,
  parseSeed,
} from "./generatorModel";
import { settingsFixture } from "./testFixtures";


describe("insertWord", () => {
  it("appends with a comma separator", () => {
    expect(insertWord("", "neon glow")).toEqual({ text: "neon glow", caret: 9 });
    expect(insertWord("a cat", "neon glow").text).toBe("a cat, neon glow");
    expect(insertWord("a cat, ", "neon").text).toBe("a cat, neon");
    expect(insertWord("a cat,", "neon").text).toBe("a cat, neon");
  });

  it("inserts at the caret between existing words", () => {
    expect(insertWord("a cat, a dog", "neon", 6)).toEqual({ text: "a cat, neon, a dog", caret: 11 });
    expect(insertWord("a cat, a dog", "neon", 5).text).toBe("a cat, neon, a dog");
    expect(insertWord("a cat", "neon", 0)).toEqual({ text: "neon, a cat", caret: 4 });
  });
});

describe("parseSeed and clampStrength", () => {
  it("reads blank as random and refuses what the API would", () => {
    expect(parseSeed("  ")).toBeNull();
    expect(parseSeed("42")).toBe(42);
    expect(parseSeed("4294967295")).toBe(4294967295);
    expect(parseSeed("4294967296")).toBeUndefined();
    expect(parseSeed("-1")).toBeUndefined();
    expect(parseSeed("1.5")).toBeUndefined();
  });

  it("keeps strengths within [-2, 2]", () => {
    expect(clampStrength(3)).toBe(2);
    expect(clampStrength(-5)).toBe(-2);
    expect(clampStrength(0.755)).toBe(0.76);
    expect(clampStrength(Number.NaN)).toBe(1);
  });
});

describe("form", () => {
  it("starts from the settings' defaults", () => {
    const form = initialForm(settingsFixture);
    expect(form).toMatchObject({ baseModel: "sdxl", size: "1024x1024", sampler: "dpmpp_2m", scheduler: "karras",
                                 steps: "28", cfgScale: "7", seed: "" });
  });

  it("explains what the API would refuse", () => {
    const form = { ...initialForm(settingsFixture), seed: "abc", size: CUSTOM_SIZE, width: "4096", height: "512", steps: "0" };
    expect(checkForm(form, settingsFixture)).toEqual({
      prompt: "Describe what to render",
      seed: "The seed is a whole number from 0 to 4294967295, or blank for random",
      size: "Each side is between 256 and 2048 pixels",
      steps: "Steps: 1 to 80",
    });
    const tooMany = { ...form, prompt: "x", seed: "", width: "2048", height: "2048", steps: "20" };
    expect(checkForm(tooMany, settingsFixture)).toEqual({ size: "At most 2,097,152 pixels in total" });
  });

  it("builds the request body with the LoRAs, the chosen size and the client request id", () => {
    const form = {
      ...initialForm(settingsFixture), prompt: " neon city ", size: "832x1216", seed: "7",
      loras: [{ modelId: "m1", name: "Neon", strength: 0.8, triggerWords: ["neon"] }],
    };
    expect(buildGenerationBody(form, "req-12345678")).toEqual({
      baseModel: "sdxl", loras: [{ modelId: "m1", strength: 0.8 }], prompt: "neon city", negativePrompt: "",
      seed: 7, cfgScale: 7, steps: 28, width: 832, height: 1216, sampler: "dpmpp_2m", scheduler: "karras",
      batchSize: 1, clientRequestId: "req-12345678",
    });
    expect(buildGenerationBody({ ...form, seed: "" }, "x".repeat(8)).seed).toBeNull();
  });

  it("makes client request ids the API accepts, different each time", () => {
    const a = newClientRequestId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newClientRequestId()).not.toBe(a);
  });
});
