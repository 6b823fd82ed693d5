// A guest registers through the shell's Register dialog and is signed in as a member.
import { RUN_ID, newPassword } from "../lib/world.mjs";
import { check } from "../lib/ui.mjs";

export const name = "register";

export default async function register({ ui, world }) {
  const page = await ui.page();
  await page.goto(ui.url("/"));
  await ui.shot(page, "home-guest");
  const person = { email: `registered-${RUN_ID}@e2e.visionsuit.test`, password: newPassword(), displayName: `E2E Registered ${RUN_ID}` };

  await page.getByRole("button", { name: "Register", exact: true }).first().click();
  const dialog = page.getByRole("dialog", { name: /register|create.*account/i });
  await dialog.getByLabel("Display name", { exact: true }).fill(person.displayName);
  await dialog.getByLabel("Email", { exact: true }).fill(person.email);
  await dialog.getByLabel("Password", { exact: true }).fill(person.password);
  const confirm = dialog.getByLabel(/confirm|repeat/i);
  if (await confirm.count()) await confirm.fill(person.password);
  await dialog.getByRole("button", { name: /^(register|create account)$/i }).click();
  await dialog.waitFor({ state: "hidden" });
  await ui.accountMenu(page, person).waitFor();

  // The account exists on the server as a member, and the session survives a reload.
  const { user } = await world.anonymous.login(person.email, person.password);
  check(user.role === "USER", `registered account has role ${user.role}`);
  await page.reload();
  await ui.accountMenu(page, person).waitFor();
  check(!(await ui.navLink(page, "Admin").count()), "a member sees the Admin link");
  // Members are offered the curator application, not uploads.
  await page.getByRole("main").getByRole("button", { name: "Apply as curator" }).waitFor();
  check(!(await page.getByRole("main").getByRole("link", { name: "Upload", exact: true }).count()), "a member is offered uploads");
  await world.signedIn(person);
  world.record("member", person);
}
