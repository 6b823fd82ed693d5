// Opening a model from the explorer opens the model dialog at its own URL; "Copy trigger words"
// puts the trigger on the clipboard; Escape closes the dialog and returns to the explorer.
import { check, openTile, pathOf } from "../lib/ui.mjs";

export const name = "model-trigger";

export default async function modelTrigger({ ui, world }) {
  const lora = await world.lora();
  const member = await world.member();
  const page = await ui.signedInPage(member, { clipboard: true, path: "/models" });
  await page.getByRole("searchbox", { name: "Search models" }).fill(lora.title);
  await openTile(page.getByRole("main"), lora.title);
  const dialog = page.getByRole("dialog", { name: lora.title });
  await dialog.waitFor();
  check(pathOf(page) === `/models/${lora.id}`, `the model dialog is not at /models/${lora.id} but ${page.url()}`);

  await dialog.getByRole("button", { name: "Copy trigger words" }).click();
  await page.getByText("Trigger words copied").first().waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied.includes(lora.trigger), `clipboard holds ${JSON.stringify(copied)}, not the trigger ${lora.trigger}`);

  // Metadata from the safetensors header and the dataset tag frequencies are shown.
  await dialog.getByRole("region", { name: "Metadata" }).waitFor();
  await dialog.getByRole("region", { name: "Dataset tags" }).getByText("gradient").first().waitFor();
  await ui.shot(page, "model-dialog");

  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  check(pathOf(page) === "/models", `closing the dialog left ${page.url()}`);

  // A deep link opens the same dialog directly (real URL router, also after a reload).
  await page.goto(ui.url(`/models/${lora.id}`));
  await page.getByRole("dialog", { name: lora.title }).waitFor();
}
