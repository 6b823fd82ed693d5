import { describe, expect, it } from "vitest";
import { NEW_GALLERY, NO_GALLERY, buildSessionRequest, checkDetails, checkFiles, emptyDetails, uploadLabel } from "./wizardModel";

const png = (name: string) => new File(["png"], name, { type: "image/png" });
const model = new File(["weights"], "neon.safetensors");

describe("checkDetails", () => {
  it("asks a model for a title and at least one trigger word", () => {
    expect(checkDetails("model", emptyDetails)).toEqual({
      title: "A model needs a title",
      triggerWords: "A model needs at least one trigger word",
    });
    expect(checkDetails("model", { ...emptyDetails, title: "Neon", triggerWords: "neon glow" })).toEqual({});
  });

  it("asks an image batch for a gallery and a new version for a name", () => {
    expect(checkDetails("images", emptyDetails).gallery).toBe("Choose a gallery or create a new one");
    expect(checkDetails("images", { ...emptyDetails, gallery: NEW_GALLERY })).toEqual({});
    expect(checkDetails("version", emptyDetails)).toEqual({ versionName: "A new version needs a name" });
  });

  it("applies the API's list limits", () => {
    const tags = Array.from({ length: 25 }, (_, i) => `t${i}`).join(",");
    expect(checkDetails("images", { ...emptyDetails, gallery: "g1", tags }).tags).toBe("At most 24 tags");
  });
});

describe("checkFiles", () => {
  it("needs the model file and the cover, or at least one image", () => {
    expect(checkFiles("model", { model: null, cover: png("c.png") }, [])).toMatch(/model file/);
    expect(checkFiles("version", { model, cover: null }, [])).toBe("Add a cover image");
    expect(checkFiles("images", { model: null, cover: null }, [])).toBe("Add at least one image");
    expect(checkFiles("images", { model: null, cover: null }, [png("a.png")])).toBeNull();
  });
});

describe("buildSessionRequest", () => {
  it("announces a model with its roles, trigger words, tags and a new gallery", () => {
    const request = buildSessionRequest("model", {
      ...emptyDetails, title: " Neon ", triggerWords: "neon glow, synthwave", tags: "style", visibility: "public",
      gallery: NEW_GALLERY, newGalleryTitle: "My LoRAs",
    }, [model, png("cover.png")]);
    expect(request).toEqual({
      kind: "model",
      files: [
        { name: "neon.safetensors", size: 7, contentType: "application/octet-stream", role: "model" },
        { name: "cover.png", size: 3, contentType: "image/png", role: "cover" },
      ],
      title: "Neon",
      description: "",
      triggerWords: ["neon glow", "synthwave"],
      tags: ["style"],
      visibility: "public",
      galleryTitle: "My LoRAs",
    });
  });

  it("sends an image batch into an existing gallery", () => {
    const request = buildSessionRequest("images", { ...emptyDetails, gallery: "g1" }, [png("a.png"), png("b.png")]);
    expect(request.kind).toBe("images");
    expect(request.galleryId).toBe("g1");
    expect(request.galleryTitle).toBeUndefined();
    expect(request.files.map((f) => f.role)).toEqual(["image", "image"]);
  });

  it("sends a new version with the model id and version name only", () => {
    const request = buildSessionRequest("version", { ...emptyDetails, versionName: " 2.0 ", gallery: NO_GALLERY },
                                        [model, png("c.png")], "m1");
    expect(request).toEqual({
      kind: "model-version", modelId: "m1", versionName: "2.0",
      files: [expect.objectContaining({ role: "model" }), expect.objectContaining({ role: "cover" })],
    });
    expect(uploadLabel("version", { ...emptyDetails, versionName: "2.0" }, 2, "Neon")).toBe("Neon · 2.0");
    expect(uploadLabel("images", emptyDetails, 3)).toBe("3 images");
  });
});
