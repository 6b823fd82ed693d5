// The shell's adult-content switch: saved on the account, kept after a reload, and it changes what
// the explorers show (an adult LoRA appears when it is on and disappears when it is off again).
import { check, tile } from "../lib/ui.mjs";
import { waitFor } from "../lib/api.mjs";

export const name = "nsfw-toggle";

function adultSwitch(page) {
  return page.getByRole("switch", { name: "Show adult content" });
}

async function savedPreference(person) {
  return (await person.api.get("/api/auth/me")).showAdultContent;
}

export default async function nsfwToggle({ ui, world }) {
  const adult = await world.adultLora();
  const member = await world.member();
  const page = await ui.signedInPage(member, { path: `/models?q=${encodeURIComponent(adult.search)}` });
  const main = page.getByRole("main");
  const toggle = adultSwitch(page);
  check(await toggle.getAttribute("aria-checked") === "false", "adult content is on for a new account");
  check(await savedPreference(member) === false, "the server has adult content on for a new account");
  await main.getByText("No models found").waitFor();

  await toggle.click();
  await page.locator("[role=switch][aria-checked=true]").waitFor();
  await waitFor(async () => (await savedPreference(member)) === true, { what: "showAdultContent to be saved" });
  const card = tile(page.getByRole("list", { name: "Models" }), adult.title);
  await card.waitFor();
  await card.getByText("Adult", { exact: true }).waitFor();
  await ui.shot(page, "models-adult");

  await page.reload();
  check(await adultSwitch(page).getAttribute("aria-checked") === "true", "the switch is off again after a reload");
  await card.waitFor();

  await adultSwitch(page).click();
  await waitFor(async () => (await savedPreference(member)) === false, { what: "showAdultContent off" });
  await card.waitFor({ state: "detached" });
  await main.getByText("No models found").waitFor();

  // Guests have no switch: the preference belongs to an account.
  const guest = await ui.page();
  await guest.goto(ui.url("/"));
  await guest.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  check(!(await adultSwitch(guest).count()), "a guest sees the adult-content switch");
}
