// Another member flags a model; the admin resolves the case in the Moderation tab with a note.
import { check } from "../lib/ui.mjs";
import { waitFor } from "../lib/api.mjs";
import { RUN_ID } from "../lib/world.mjs";

export const name = "flag-moderate";

export default async function flagModerate({ ui, world }) {
  const target = await world.flagTarget();
  const reporter = await world.reporter();
  const page = await ui.signedInPage(reporter, { path: `/models/${target.id}` });
  const dialog = page.getByRole("dialog", { name: target.title });
  await dialog.getByRole("button", { name: "Flag", exact: true }).click();
  const flag = page.getByRole("dialog", { name: /^Flag/ });
  await flag.getByLabel("Reason", { exact: true }).selectOption("copyright");
  await flag.getByLabel(/^Details/).fill(`Looks copied from elsewhere (${RUN_ID})`);
  await flag.getByRole("button", { name: "Send report", exact: true }).click();
  await flag.waitFor({ state: "detached" });

  const adminApi = await world.adminApi();
  const openCase = await waitFor(async () => {
    const queue = await adminApi.get("/api/moderation/queue");
    return queue.find((c) => c.assetId === target.id);
  }, { what: "the case in the moderation queue" });
  check(openCase.reasons.copyright === 1, `unexpected reasons ${JSON.stringify(openCase.reasons)}`);

  // The admin reviews it: the tile names the reason and reporter; approving needs a note.
  const admin = world.admin;
  const adminPage = await ui.signedInPage(admin);
  await ui.navigate(adminPage, "Admin");
  await adminPage.getByRole("navigation", { name: "Administration sections" }).getByRole("link", { name: "Moderation" }).click();
  const card = adminPage.getByRole("listitem", { name: target.title, exact: true });
  await card.getByRole("list", { name: "Reasons" }).getByText("Copyright").waitFor();
  await card.getByRole("list", { name: "Reporters" }).getByText(reporter.displayName).waitFor();
  await ui.shot(adminPage, "admin-moderation");
  await card.getByRole("textbox", { name: "Moderation note" }).fill(`Checked the source, it is original (${RUN_ID}).`);
  await card.getByRole("button", { name: "Approve", exact: true }).click();
  await card.waitFor({ state: "detached" });

  const decided = await adminApi.get(`/api/moderation/model/${target.id}`);
  check(decided.state === "approved", `the case is ${decided.state}, not approved`);
  check(decided.decision?.note?.includes(RUN_ID), `the note was not recorded: ${JSON.stringify(decided.decision)}`);
  const visible = await world.anonymous.get(`/api/models/${target.id}`);
  check(!visible.placeholder, "the approved model is still hidden");
}
