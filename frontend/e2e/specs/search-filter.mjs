// Server-side search and filters in both explorers: the text search narrows the grid, a tag chip
// adds an active-filter chip that can be removed again, and the URL keeps the view.
import { check, tile } from "../lib/ui.mjs";
import { RUN_ID, waitSearchable } from "../lib/world.mjs";

export const name = "search-filter";

const DEMO_MODEL = "Demo Gradient LoRA";

export default async function searchFilter({ ui, world }) {
  const lora = await world.lora();
  await waitSearchable(world.anonymous, "models", DEMO_MODEL);
  const page = await ui.page();
  await page.goto(ui.url("/"));
  await ui.navigate(page, "Models");
  const main = page.getByRole("main");
  await tile(main, DEMO_MODEL).waitFor();
  await tile(main, lora.title).waitFor();

  // Text search (server-side: every word, the last one as a prefix).
  const search = page.getByRole("searchbox", { name: "Search models" });
  await search.fill(`lantern ${RUN_ID.slice(0, 4)}`);
  await tile(main, DEMO_MODEL).waitFor({ state: "detached" });
  await tile(main, lora.title).waitFor();
  check(new URL(page.url()).searchParams.get("q") === `lantern ${RUN_ID.slice(0, 4)}`, `search is not in the URL: ${page.url()}`);
  await search.fill("no such model anywhere");
  await main.getByText(/no models|nothing found|no results/i).first().waitFor();
  await search.fill("");
  await tile(main, DEMO_MODEL).waitFor();

  // A tag filter: the active-filter chip appears, the grid narrows, removing the chip restores it.
  await page.goto(ui.url("/models?tags=lantern"));
  const chip = page.getByRole("button", { name: "Remove Tag: lantern" });
  await chip.first().waitFor();
  await tile(main, lora.title).waitFor();
  check(!(await tile(main, DEMO_MODEL).count()), "the tag filter still shows an untagged model");
  await ui.shot(page, "models-filtered");
  await chip.first().click();
  await tile(main, DEMO_MODEL).waitFor();
  check(!new URL(page.url()).searchParams.get("tags"), `the removed chip stayed in the URL: ${page.url()}`);

  // Type filter control.
  await page.getByLabel("Type", { exact: true }).selectOption("lora");
  await page.getByRole("button", { name: "Remove Type: LoRA" }).waitFor();
  await tile(main, lora.title).waitFor();

  // The images explorer has its own server-side search.
  await ui.navigate(page, "Images");
  const imageSearch = page.getByRole("searchbox", { name: "Search images" });
  await imageSearch.fill("gradient study");
  await tile(page.getByRole("main"), "Gradient study").waitFor();
}
