import { describe, expect, it } from "vitest";
import {
  MAX_IMAGES,
  MAX_IMAGE_BYTES,
  addToImageBatch,
  addToModelSelection,
  contentTypeFor,
  formatBytes,
  splitList,
} from "./fileRules";

/** A File whose reported size is `size` without allocating it. */
function fakeFile(name: string, size: number, type = "", lastModified = 1): File {
  const file = new File(["x"], name, { type, lastModified });
  Object.defineProperty(file, "size", { value: size });
  return file;
}

describe("contentTypeFor", () => {
  it("types model files by extension, images by the browser or the extension", () => {
    expect(contentTypeFor({ name: "neon.safetensors", type: "" })).toBe("application/octet-stream");
    expect(contentTypeFor({ name: "NEON.ZIP", type: "application/x-zip-compressed" })).toBe("application/zip");
    expect(contentTypeFor({ name: "a.webp", type: "image/webp" })).toBe("image/webp");
    expect(contentTypeFor({ name: "a.JPG", type: "" })).toBe("image/jpeg");
    expect(contentTypeFor({ name: "notes.txt", type: "" })).toBe("application/octet-stream");
  });
});

describe("addToModelSelection", () => {
  it("puts the model file and the cover in their slots, the newest replacing the older", () => {
    const first = addToModelSelection({ model: null, cover: null },
                                      [fakeFile("a.safetensors", 100), fakeFile("cover.png", 10, "image/png")]);
    expect(first.problems).toEqual([]);
    expect(first.selection.model?.name).toBe("a.safetensors");
    expect(first.selection.cover?.name).toBe("cover.png");

    const second = addToModelSelection(first.selection, [fakeFile("b.zip", 100)]);
    expect(second.selection.model?.name).toBe("b.zip");
    expect(second.selection.cover?.name).toBe("cover.png");
  });

  it("names refused files: wrong type, too large, empty", () => {
    const { selection, problems } = addToModelSelection({ model: null, cover: null }, [
      fakeFile("huge.safetensors", 6 * 1024 ** 3),
      fakeFile("anim.gif", 10, "image/gif"),
      fakeFile("empty.png", 0, "image/png"),
    ]);
    expect(selection).toEqual({ model: null, cover: null });
    expect(problems).toEqual([
      expect.stringContaining("model files are limited to 5 GiB"),
      expect.stringContaining("anim.gif: unsupported image type"),
      "empty.png is empty",
    ]);
  });
});

describe("addToImageBatch", () => {
  it("keeps at most twelve images, skips duplicates and refuses oversized ones", () => {
    const many = Array.from({ length: MAX_IMAGES + 2 }, (_, i) => fakeFile(`${i}.png`, 10, "image/png", i));
    const { files, problems } = addToImageBatch([], [...many.slice(0, 3), many[0], ...many.slice(3),
      fakeFile("big.png", MAX_IMAGE_BYTES + 1, "image/png")]);
    expect(files).toHaveLength(MAX_IMAGES);
    expect(files.map((f) => f.name)).toEqual(many.slice(0, MAX_IMAGES).map((f) => f.name));
    expect(problems).toEqual([
      "12.png: a batch holds at most 12 images",
      "13.png: a batch holds at most 12 images",
      expect.stringContaining("images are limited to 64 MiB"),
    ]);
  });
});

describe("splitList and formatBytes", () => {
  it("splits on commas and newlines, trimming and dropping repeats", () => {
    expect(splitList(" neon glow, Neon Glow,\nsynthwave ,, ")).toEqual(["neon glow", "synthwave"]);
  });

  it("formats sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64 MiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
  });
});
