// Maintenance mode, switched in Admin → Settings: everyone but administrators gets the maintenance
// screen (also a member who was signed in before); the admin keeps working with a notice.
// Last spec on purpose: it changes the whole site for a moment.
import { check } from "../lib/ui.mjs";

export const name = "maintenance";

async function setMaintenance(adminPage, ui, on) {
  await adminPage.goto(ui.url("/admin/settings"));
  const toggle = adminPage.getByRole("switch", { name: "Maintenance mode" });
  if (on) await toggle.check(); else await toggle.uncheck();
  await adminPage.getByRole("button", { name: "Save settings" }).click();
}

export default async function maintenance({ ui, world }) {
  const member = await world.member();
  const memberPage = await ui.signedInPage(member);
  const guestPage = await ui.page();
  const adminPage = await ui.signedInPage(world.admin);
  const adminApi = await world.adminApi();
  try {
    await setMaintenance(adminPage, ui, true);
    await adminPage.getByText("Maintenance mode is on: only administrators can use the site.").waitFor();
    check((await world.anonymous.get("/api/meta/config")).maintenanceMode === true, "maintenance mode was not saved");

    await guestPage.goto(ui.url("/models"));
    const closed = guestPage.getByRole("heading", { name: /is under maintenance$/ });
    await closed.waitFor();
    check(!(await guestPage.getByRole("navigation", { name: "Main" }).count()), "the maintenance screen still shows the navigation");
    await ui.shot(guestPage, "maintenance");

    await memberPage.reload();
    await memberPage.getByRole("heading", { name: /is under maintenance$/ }).waitFor();

    // The admin still uses the site.
    await ui.navigate(adminPage, "Models");
    await adminPage.getByRole("searchbox", { name: "Search models" }).waitFor();

    await setMaintenance(adminPage, ui, false);
    await adminPage.getByText("Maintenance mode is on: only administrators can use the site.").waitFor({ state: "detached" });
    await guestPage.reload();
    await guestPage.getByRole("navigation", { name: "Main" }).waitFor();
    check(!(await closed.count()), "the maintenance screen stayed after maintenance ended");
  } finally {
    // Whatever happened above, the site must not stay closed.
    if ((await world.anonymous.get("/api/meta/config")).maintenanceMode) {
      await adminApi.data("PATCH", "/api/settings", { maintenanceMode: false });
    }
  }
}
