// An upload interrupted half way (storage refuses the cover) is resumed after a page reload: the
// wizard offers the interrupted upload, knows which file already arrived, and sends only the rest.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gradientPng, loraSafetensors } from "../lib/files.mjs";
import { check, waitForImages } from "../lib/ui.mjs";
import { RUN_ID } from "../lib/world.mjs";
import { chooseUploadKind, nextStep } from "./upload-lora.mjs";

export const name = "upload-resume";
export const timeoutMs = 150_000;

export default async function uploadResume({ ui, world }) {
  const curator = await world.curator();
  // Files on disk (not in-memory payloads): the resume matches files by name, size and
  // modification time, which must be the same when they are chosen again.
  const dir = mkdtempSync(join(tmpdir(), "visionsuit-e2e-resume-"));
  try {
    const trigger = `resume${RUN_ID}`;
    const title = `E2E Resumed ${RUN_ID} LoRA`;
    const modelFile = join(dir, `${trigger}.safetensors`);
    const coverFile = join(dir, "resume-cover.png");
    writeFileSync(modelFile, loraSafetensors({ outputName: trigger }));
    writeFileSync(coverFile, gradientPng({ tint: 15, width: 80, height: 80 }));

    const page = await ui.signedInPage(curator, { path: "/upload" });
    const appOrigin = new URL(ui.baseUrl).origin;
    const storagePuts = [];
    page.on("request", (request) => {
      if (request.method() === "PUT" && new URL(request.url()).origin !== appOrigin) storagePuts.push(request.headers()["content-type"]);
    });
    // Storage refuses the cover: the model file arrives, the upload stops half way.
    const refuseCover = (route) => (route.request().method() === "PUT" && route.request().headers()["content-type"] === "image/png"
      ? route.abort("connectionreset") : route.continue());
    const isStorage = (url) => url.origin !== appOrigin;
    await page.route(isStorage, refuseCover);

    await chooseUploadKind(page, "Model (LoRA)");
    await page.getByLabel("Title", { exact: true }).fill(title);
    await page.getByLabel("Trigger words", { exact: true }).fill(trigger);
    await page.getByLabel("Visibility", { exact: true }).selectOption("public");
    await nextStep(page, "Files");
    await page.getByLabel("Choose files").setInputFiles([modelFile, coverFile]);
    await nextStep(page, "Review");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await page.getByRole("button", { name: "Try again" }).waitFor({ timeout: 60_000 });
    check(await page.getByRole("alert").count() > 0, "the interrupted upload shows no error");

    // A reload: the wizard offers to continue, and knows what already arrived.
    await page.unroute(isStorage, refuseCover);
    await page.reload();
    const resume = page.getByRole("region", { name: "Interrupted upload" });
    await resume.getByText(title).first().waitFor();
    await resume.getByRole("button", { name: "Resume", exact: true }).click();
    const files = resume.getByRole("list", { name: "Files of the interrupted upload" });
    await files.getByRole("listitem").filter({ hasText: `${trigger}.safetensors` }).getByText("Arrived").waitFor();
    await files.getByRole("listitem").filter({ hasText: "resume-cover.png" }).getByText("Missing").waitFor();
    await ui.shot(page, "upload-resume");

    const putsBefore = storagePuts.length;
    await resume.getByLabel("Choose files").setInputFiles([coverFile]);
    const status = page.getByRole("list", { name: "Processing status" });
    await status.getByText("Ready", { exact: true }).waitFor({ timeout: 60_000 });
    await waitForImages(status, 1);
    const resent = storagePuts.slice(putsBefore);
    check(resent.length === 1 && resent[0] === "image/png", `after the reload storage received ${JSON.stringify(resent)}, not just the cover`);
    check(!(await page.getByRole("region", { name: "Interrupted upload" }).count()), "the finished upload is still offered for resuming");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
