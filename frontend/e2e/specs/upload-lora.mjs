// A curator uploads a LoRA (a generated .safetensors plus a cover) through the three-step wizard,
// watches it being processed, and finds its thumbnail in the models explorer.
import { gradientPng, loraSafetensors } from "../lib/files.mjs";
import { check, pathOf, tile, waitForImages } from "../lib/ui.mjs";
import { RUN_ID, waitSearchable } from "../lib/world.mjs";

export const name = "upload-lora";
export const timeoutMs = 120_000;

export async function chooseUploadKind(page, kind) {
  await page.getByRole("radio", { name: kind, exact: true }).check();
}

/** "Next", then the step's heading ("Files", "Review") and the step list's current entry. */
export async function nextStep(page, heading) {
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.getByRole("heading", { name: heading, exact: true }).waitFor();
  const current = await page.getByRole("list", { name: "Upload steps" }).locator("[aria-current=step]").innerText();
  if (!current.includes(heading)) throw new Error(`the step list shows "${current}" on the ${heading} step`);
}

export default async function uploadLora({ ui, world }) {
  const curator = await world.curator();
  const page = await ui.signedInPage(curator);
  await page.goto(ui.url("/upload"));
  await chooseUploadKind(page, "Model (LoRA)");

  const title = `E2E Wizard ${RUN_ID} LoRA`;
  const trigger = `wizard${RUN_ID}`;
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Description", { exact: true }).fill("Uploaded by the e2e suite through the wizard.");
  await page.getByLabel("Trigger words", { exact: true }).fill(`${trigger}, glowing lantern`);
  await page.getByLabel("Tags", { exact: true }).fill("e2e, wizard");
  await page.getByLabel("Visibility", { exact: true }).selectOption("public");
  await ui.shot(page, "upload");
  await nextStep(page, "Files");

  await page.getByLabel("Choose files").setInputFiles([
    { name: `${trigger}.safetensors`, mimeType: "application/octet-stream", buffer: loraSafetensors({ outputName: trigger }) },
    { name: "wizard-cover.png", mimeType: "image/png", buffer: gradientPng({ tint: 230, width: 96, height: 96 }) },
  ]);
  const selected = page.getByRole("list", { name: "Selected files" });
  await selected.getByText(`${trigger}.safetensors`).waitFor();
  await selected.getByText("wizard-cover.png").waitFor();
  await nextStep(page, "Review");
  await page.getByText(title).first().waitFor();
  await page.getByRole("button", { name: "Upload", exact: true }).click();

  // Processing: the status line turns "Ready" with the cover's thumbnail, then links to the model.
  const status = page.getByRole("list", { name: "Processing status" });
  await status.getByText("Ready", { exact: true }).waitFor({ timeout: 60_000 });
  await waitForImages(status, 1);
  await status.getByRole("link", { name: "Open model" }).click();
  await page.getByRole("dialog", { name: title }).waitFor();
  const modelId = pathOf(page).split("/").pop();
  check(pathOf(page) === `/models/${modelId}` && modelId.length > 8, `unexpected model URL ${page.url()}`);
  world.record("wizardLora", { id: modelId, title, trigger });

  // The explorer shows it with a real thumbnail once the search index has it.
  await waitSearchable(world.anonymous, "models", title);
  await page.goto(ui.url("/models"));
  await page.getByRole("searchbox", { name: "Search models" }).fill(`Wizard ${RUN_ID}`);
  const found = tile(page.getByRole("main"), title);
  await found.waitFor();
  await waitForImages(found, 1);
}
