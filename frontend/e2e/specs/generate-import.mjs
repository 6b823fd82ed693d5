// A curator runs a generation on the preview renderer (base model "preview-sdxl"), watches the job
// finish with a thumbnail, and imports the render into a new gallery.
import { check, pathOf, waitForImages } from "../lib/ui.mjs";
import { waitFor } from "../lib/api.mjs";
import { RUN_ID } from "../lib/world.mjs";

export const name = "generate-import";
export const timeoutMs = 180_000;

export default async function generateImport({ ui, world }) {
  const curator = await world.curator();
  const page = await ui.signedInPage(curator);
  await ui.navigate(page, "Generator");
  check(pathOf(page) === "/generator", `the Generator link went to ${page.url()}`);

  await page.getByLabel("Base model", { exact: true }).selectOption("preview-sdxl");
  const prompt = `a quiet harbour at dusk, lanterns ${RUN_ID}`;
  await page.getByLabel("Prompt", { exact: true }).fill(prompt);
  await ui.shot(page, "generator");
  await page.getByRole("button", { name: "Generate", exact: true }).click();

  // The request shows up in the job history and finishes with a render thumbnail.
  const job = await waitFor(async () => {
    const mine = await curator.api.get("/api/generator/requests");
    return mine.find((r) => r.request?.prompt === prompt);
  }, { what: "the generation request" });
  const history = page.getByRole("list", { name: "Generation requests" });
  const entry = history.getByRole("listitem").filter({ hasText: prompt }).first();
  await entry.waitFor();
  await waitFor(async () => {
    const now = await curator.api.get(`/api/generator/requests/${job.id}`);
    if (["failed", "timed_out", "cancelled"].includes(now.status)) {
      throw Object.assign(new Error(`generation ${now.status}: ${JSON.stringify(now.error)}`), { fatal: true });
    }
    return now.status === "succeeded" && now.renders.every((r) => r.status === "ready");
  }, { timeoutMs: 120_000, intervalMs: 1000, what: "the generation to succeed" });
  await entry.getByText("Done", { exact: true }).waitFor({ timeout: 30_000 });
  await waitForImages(entry.getByRole("list", { name: "Renders" }), 1);
  await ui.shot(page, "generator-done");

  const galleryTitle = `E2E Renders ${RUN_ID}`;
  await entry.getByRole("button", { name: "Import to gallery" }).click();
  const dialog = page.getByRole("dialog", { name: "Import to gallery" });
  await dialog.getByRole("radio", { name: "New gallery" }).check();
  await dialog.getByLabel("Gallery title", { exact: true }).fill(galleryTitle);
  await dialog.getByLabel("Visibility", { exact: true }).selectOption("public");
  await dialog.getByRole("button", { name: "Import", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  await entry.getByRole("link", { name: /Imported 1 render/ }).click();

  const gallery = await waitFor(async () => {
    const found = await curator.api.get(`/api/galleries?q=${encodeURIComponent(galleryTitle)}`);
    return found.find((g) => g.title === galleryTitle);
  }, { what: `the gallery "${galleryTitle}"` });
  check(pathOf(page) === `/galleries/${gallery.id}`, `"Open gallery" went to ${page.url()}, not the new gallery`);
  await page.getByRole("heading", { name: galleryTitle }).first().waitFor();
  await waitForImages(page.getByRole("main"), 1);
}
