// A member comments on a model and likes it; the curator sees both as notifications.
import { check } from "../lib/ui.mjs";
import { waitFor } from "../lib/api.mjs";
import { RUN_ID } from "../lib/world.mjs";

export const name = "comment-like";

export default async function commentLike({ ui, world }) {
  const lora = await world.lora();
  const member = await world.member();
  const page = await ui.signedInPage(member, { path: `/models/${lora.id}` });
  const dialog = page.getByRole("dialog", { name: lora.title });
  await dialog.waitFor();

  const text = `Lovely warm light (${RUN_ID})`;
  await dialog.getByLabel("Add a comment", { exact: true }).fill(text);
  await dialog.getByRole("button", { name: "Comment", exact: true }).click();
  const posted = dialog.getByRole("listitem").filter({ hasText: text });
  await posted.first().waitFor();
  check(await posted.first().getByText(member.displayName).count() > 0, "the comment does not name its author");

  await dialog.getByRole("button", { name: "Like", exact: true }).click();
  const unlike = dialog.getByRole("button", { name: "Unlike", exact: true });
  await unlike.waitFor();
  check(await unlike.getAttribute("aria-pressed") === "true", "the like button is not pressed");
  await dialog.getByText("1 like", { exact: true }).waitFor();
  const state = await member.api.get(`/api/models/${lora.id}/like`);
  check(state.liked === true && state.likeCount >= 1, `the API does not record the like: ${JSON.stringify(state)}`);

  // The comment and like survive a reload.
  await page.reload();
  await page.getByRole("dialog", { name: lora.title }).getByText(text).waitFor();
  await page.getByRole("dialog", { name: lora.title }).getByRole("button", { name: "Unlike", exact: true }).waitFor();

  // The curator is told (notifications centre with unread counts).
  const curator = await world.curator();
  await waitFor(async () => (await curator.api.get("/api/notifications")).items.length >= 2,
    { what: "the curator's comment and like notifications" });
  const curatorPage = await ui.signedInPage(curator);
  await curatorPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Notifications \d+ unread$/ }).waitFor();
  await ui.navigate(curatorPage, "Notifications");
  const main = curatorPage.getByRole("main");
  await main.getByRole("link", { name: `${member.displayName} commented on “${lora.title}”` }).waitFor();
  await main.getByRole("link", { name: `${member.displayName} liked your model “${lora.title}”` }).waitFor();
  await ui.shot(curatorPage, "notifications");
}
