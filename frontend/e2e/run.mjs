#!/usr/bin/env node
// End-to-end suite: starts the platform like `make dev` (built SPA + API + preview GPU agent on one
// port), drives the Debian chromium through playwright-core (no browser downloads), runs the specs in
// order, writes screenshots of the main screens to e2e/screenshots/ and stops the platform.
//
//   node e2e/run.mjs                          # everything (in frontend/, after `npm run build`)
//   node e2e/run.mjs comment-like nsfw        # only specs whose name contains one of the words
//   node e2e/run.mjs --junit=report.xml       # also write a JUnit report (used by scripts/run_tests.py)
//   E2E_BASE_URL=http://127.0.0.1:8000 E2E_ADMIN_EMAIL=… E2E_ADMIN_PASSWORD=… node e2e/run.mjs
//                                             # against a running `make dev` instead of a fresh one
// CHROMIUM_PATH overrides /usr/bin/chromium.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startPlatform } from "./lib/platform.mjs";
import { Ui } from "./lib/ui.mjs";
import { World } from "./lib/world.mjs";

const HERE = import.meta.dirname;
const SCREENSHOTS = join(HERE, "screenshots");
const ARTIFACTS = join(HERE, ".artifacts");
const FAILURES = join(ARTIFACTS, "failures");

// In order: later specs reuse what earlier ones created (see lib/world.mjs), but each can run alone.
const SPEC_FILES = [
  "register.mjs", "curator-sign-in.mjs", "upload-lora.mjs", "upload-images.mjs", "upload-resume.mjs", "search-filter.mjs",
  "model-trigger.mjs", "comment-like.mjs", "flag-moderate.mjs", "generate-import.mjs", "nsfw-toggle.mjs",
  "main-screens.mjs", "maintenance.mjs",
];

function parseArgs(argv) {
  const options = { filters: [], junit: null };
  for (const arg of argv) {
    if (arg.startsWith("--junit=")) options.junit = arg.slice("--junit=".length);
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else options.filters.push(arg);
  }
  return options;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function junitXml(results, seconds) {
  const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);
  const failures = results.filter((r) => !r.ok).length;
  const cases = results.map((r) => `  <testcase classname="e2e" name="${esc(r.name)}" time="${r.seconds.toFixed(3)}">${
    r.ok ? "" : `<failure message="${esc(r.error.split("\n")[0])}">${esc(r.error)}</failure>`}</testcase>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="e2e" tests="${results.length}" failures="${
    failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}">\n${cases.join("\n")}\n</testsuite></testsuites>\n`;
}

async function loadSpecs(filters) {
  const specs = [];
  for (const file of SPEC_FILES) {
    const module = await import(join(HERE, "specs", file));
    const spec = { name: module.name, timeoutMs: module.timeoutMs ?? 90_000, run: module.default };
    if (!filters.length || filters.some((f) => spec.name.includes(f))) specs.push(spec);
  }
  return specs;
}

async function main() {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  const specs = await loadSpecs(options.filters);
  if (!specs.length) throw new Error(`no spec matches ${options.filters.join(", ")}`);
  const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(`no browser at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A full run replaces every screenshot; a filtered run only those its specs take.
  if (!options.filters.length) {
    for (const file of readdirSync(SCREENSHOTS)) if (file.endsWith(".png")) rmSync(join(SCREENSHOTS, file));
  }
  rmSync(FAILURES, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  let platform;
  if (process.env.E2E_BASE_URL) {
    platform = {
      baseUrl: process.env.E2E_BASE_URL.replace(/\/$/, ""),
      admin: { email: process.env.E2E_ADMIN_EMAIL || "admin@visionsuit.local", password: process.env.E2E_ADMIN_PASSWORD },
      stop: async () => {},
    };
    if (!platform.admin.password) throw new Error("E2E_BASE_URL needs E2E_ADMIN_PASSWORD (and E2E_ADMIN_EMAIL)");
  } else {
    const logFile = join(ARTIFACTS, "platform.log");
    console.log(`starting the platform (log: ${logFile}) …`);
    platform = await startPlatform({ logFile });
  }
  console.log(`platform at ${platform.baseUrl} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  // Interrupted (Ctrl-C, a CI timeout): still stop the platform rather than leave it running.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the platform`);
      platform.stop().finally(() => process.exit(130));
    });
  }

  const results = [];
  let browser;
  try {
    // Background networking off: on a closed network its lookups stall every start.
    const args = ["--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic", "--disable-gpu"];
    if (process.getuid?.() === 0) args.push("--no-sandbox"); // chromium refuses to sandbox as root
    browser = await chromium.launch({ executablePath, headless: true, args });
    const world = new World(platform.baseUrl, platform.admin);
    for (const spec of specs) {
      const ui = new Ui({ browser, baseUrl: platform.baseUrl, screenshotDir: SCREENSHOTS, failureDir: FAILURES, spec: spec.name });
      const t0 = Date.now();
      let error = null;
      try {
        await withTimeout(spec.run({ browser, baseUrl: platform.baseUrl, admin: platform.admin, world, ui }), spec.timeoutMs, spec.name);
        if (ui.pageErrors.length) throw new Error(`uncaught error(s) in the page:\n  ${ui.pageErrors.join("\n  ")}`);
        if (ui.layoutProblems.length) throw new Error(`screens scroll sideways:\n  ${ui.layoutProblems.join("\n  ")}`);
      } catch (e) {
        error = (e && e.stack) || String(e);
        await ui.captureFailure();
      } finally {
        await ui.closeAll();
      }
      const result = { name: spec.name, ok: !error, error, seconds: (Date.now() - t0) / 1000, screens: ui.screens };
      results.push(result);
      console.log(`${result.ok ? "PASS" : "FAIL"} ${spec.name} (${result.seconds.toFixed(1)}s)${
        result.ok ? "" : `\n     ${error.split("\n").slice(0, 12).join("\n     ")}`}`);
    }
  } finally {
    await browser?.close();
    await platform.stop();
  }

  const seconds = (Date.now() - started) / 1000;
  if (options.junit) writeFileSync(options.junit, junitXml(results, seconds));
  const failed = results.filter((r) => !r.ok);
  console.log("\n=== e2e summary ===");
  for (const r of results) {
    console.log(`${r.ok ? "pass" : "FAIL"}  ${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(6)}s${
      r.screens.length ? `  screenshots: ${r.screens.join(", ")}` : ""}`);
  }
  console.log(`${results.length - failed.length} passed, ${failed.length} failed in ${seconds.toFixed(1)}s; screenshots in ${SCREENSHOTS}${
    failed.length ? `, failure screenshots in ${FAILURES}` : ""}`);
  return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`e2e: ${error.stack || error}`);
  process.exit(2);
});
