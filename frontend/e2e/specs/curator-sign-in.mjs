// A curator (created by the admin) signs in through the dialog; the shell is role-aware.
import { check } from "../lib/ui.mjs";

export const name = "curator-sign-in";

export default async function curatorSignIn({ ui, world }) {
  const curator = await world.curator();
  const page = await ui.signedInPage(curator);
  for (const link of ["Home", "Models", "Images", "Notifications"]) await ui.navLink(page, link).waitFor();
  check(!(await ui.navLink(page, "Admin").count()), "a curator sees the Admin link");
  // Curators are offered uploads on the home page (a member is offered the curator application instead).
  const upload = page.getByRole("main").getByRole("link", { name: "Upload", exact: true });
  await upload.waitFor();
  await ui.shot(page, "home");
  await upload.click();
  await page.getByRole("radio", { name: "Model (LoRA)" }).waitFor();

  // A wrong password is refused with a visible message, and nobody is signed in.
  const guest = await ui.page();
  await guest.goto(ui.url("/"));
  await guest.getByRole("button", { name: "Sign in", exact: true }).first().click();
  const dialog = guest.getByRole("dialog", { name: /sign in/i });
  await dialog.getByLabel("Email", { exact: true }).fill(curator.email);
  await dialog.getByLabel("Password", { exact: true }).fill("definitely-not-the-password");
  await dialog.getByRole("button", { name: "Sign in", exact: true }).click();
  await dialog.getByRole("alert").first().waitFor();
  check(await dialog.isVisible(), "the sign-in dialog closed after a failed sign-in");
}
