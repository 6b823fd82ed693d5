// Screenshots of the main screens as the administrator sees them (at 1280 and 390 px), checking
// each renders its landmark content without errors.
import { openTile, tile, waitForImages } from "../lib/ui.mjs";

export const name = "main-screens";
export const timeoutMs = 120_000;

export default async function mainScreens({ ui, world }) {
  const lora = await world.lora();
  const page = await ui.signedInPage(world.admin);
  const main = page.getByRole("main");

  await ui.navigate(page, "Home");
  await waitForImages(main, 1);
  await ui.shot(page, "home-admin");

  await ui.navigate(page, "Models");
  await tile(main, lora.title).waitFor();
  await waitForImages(main, 2);
  await ui.shot(page, "models");

  await ui.navigate(page, "Images");
  await tile(main, "Demo Gallery").waitFor();
  await waitForImages(main, 1);
  await ui.shot(page, "images");

  await openTile(main, "Demo Gallery");
  await page.getByRole("heading", { name: "Demo Gallery" }).first().waitFor();
  await waitForImages(main, 2);
  await ui.shot(page, "gallery");

  // The lightbox opens over the gallery and closes with Escape (its screenshot: upload-images).
  const images = page.getByRole("list", { name: "Images in Demo Gallery" });
  await images.getByRole("listitem").first().getByRole("button").first().click();
  const lightbox = page.getByRole("dialog").first();
  await lightbox.getByRole("region", { name: "Generation data" }).waitFor();
  await waitForImages(lightbox, 1);
  await page.keyboard.press("Escape");
  await lightbox.waitFor({ state: "detached" });

  await ui.navigate(page, "Admin");
  await page.getByRole("navigation", { name: "Administration sections" }).getByRole("link", { name: "Users" }).waitFor();
  await page.getByRole("main").getByText(world.admin.email).first().waitFor();
  await ui.shot(page, "admin");

  const profile = await world.curator();
  await page.goto(ui.url(`/users/${profile.user.id}`));
  await page.getByRole("heading", { name: profile.displayName }).first().waitFor();
  await ui.shot(page, "profile");
}
