// A curator uploads a batch of three generated PNGs into a new gallery and sees their thumbnails.
import { gradientPng } from "../lib/files.mjs";
import { check, pathOf, waitForImages } from "../lib/ui.mjs";
import { RUN_ID } from "../lib/world.mjs";
import { chooseUploadKind, nextStep } from "./upload-lora.mjs";

export const name = "upload-images";
export const timeoutMs = 120_000;

export default async function uploadImages({ ui, world }) {
  const curator = await world.curator();
  const page = await ui.signedInPage(curator);
  await page.goto(ui.url("/upload"));
  await chooseUploadKind(page, "Image batch");

  const title = `E2E Harbour ${RUN_ID}`;
  const galleryTitle = `E2E Harbour Gallery ${RUN_ID}`;
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Tags", { exact: true }).fill("e2e, harbour");
  await page.getByLabel("Visibility", { exact: true }).selectOption("public");
  await page.getByLabel("Gallery", { exact: true }).selectOption({ label: "New gallery…" });
  await page.getByLabel("New gallery title", { exact: true }).fill(galleryTitle);
  await nextStep(page, "Files");

  const parameters = "harbour at dusk, lanterns\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 64x64";
  await page.getByLabel("Choose files").setInputFiles([40, 120, 200].map((tint, i) => ({
    name: `harbour-${i + 1}.png`, mimeType: "image/png", buffer: gradientPng({ tint, text: { parameters } }),
  })));
  const selected = page.getByRole("list", { name: "Selected files" });
  check(await selected.getByRole("listitem").count() === 3, "the wizard does not list the three chosen images");
  await waitForImages(selected, 3, 5_000); // local previews before anything is uploaded
  await nextStep(page, "Review");
  await page.getByRole("button", { name: "Upload", exact: true }).click();

  const status = page.getByRole("list", { name: "Processing status" });
  await status.getByRole("listitem").nth(2).waitFor();
  await waitFor3Ready(status);
  await waitForImages(status, 3);
  await ui.shot(page, "upload-processing");

  await page.getByRole("link", { name: "Open gallery" }).click();
  await page.getByRole("heading", { name: galleryTitle }).first().waitFor();
  const galleryId = pathOf(page).split("/").pop();
  check(pathOf(page) === `/galleries/${galleryId}`, `unexpected gallery URL ${page.url()}`);
  const grid = page.getByRole("list", { name: `Images in ${galleryTitle}` });
  await waitForImages(grid, 3);
  world.record("gallery", { id: galleryId, title: galleryTitle, imageTitle: title });

  // The lightbox shows the generation data read from the PNG's "parameters" text chunk.
  await grid.getByRole("listitem").first().getByRole("button").first().click();
  const lightbox = page.getByRole("dialog", { name: new RegExp(`^${title}`) });
  const data = lightbox.getByRole("region", { name: "Generation data" });
  await data.getByText("harbour at dusk, lanterns").waitFor();
  await data.getByText("blurry").waitFor();
  await data.getByText("Euler a").first().waitFor();
  await waitForImages(lightbox, 1);
  check(/^\/images\/[0-9a-f]+$/.test(pathOf(page)), `the lightbox is not at /images/:id but ${page.url()}`);
  await ui.shot(page, "lightbox");
}

async function waitFor3Ready(status) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await status.getByText("Ready", { exact: true }).count() === 3) return;
    if (await status.getByText("Failed", { exact: true }).count()) throw new Error(`an image failed: ${await status.innerText()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the images did not all become ready: ${await status.innerText()}`);
}
