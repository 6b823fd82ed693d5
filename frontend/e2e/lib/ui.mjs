// Browser helpers shared by the specs: one isolated context per person, signing in through the UI,
// screenshots at desktop and phone width, and failure evidence.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const DEFAULT_TIMEOUT_MS = 15_000;

export class Ui {
  constructor({ browser, baseUrl, screenshotDir, failureDir, spec }) {
    Object.assign(this, { browser, baseUrl, screenshotDir, failureDir, spec });
    this.contexts = [];
    this.pageErrors = [];
    this.screens = [];
    this.layoutProblems = [];
  }

  url(path = "/") {
    return this.baseUrl + path;
  }

  /** A fresh browser context (its own storage, i.e. its own signed-in person) with one page. */
  async page({ viewport = DESKTOP, clipboard = false } = {}) {
    const context = await this.browser.newContext({ viewport, reducedMotion: "reduce" });
    if (clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: this.baseUrl });
    context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
    this.contexts.push(context);
    const page = await context.newPage();
    // An uncaught exception in the app fails the spec even when the screen still looks right.
    page.on("pageerror", (error) => this.pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  /** Opens the sign-in dialog from the shell and signs in; resolves once the shell shows the account. */
  async signIn(page, person, path = "/") {
    // From the home page: on a deep link a modal (the model dialog) may cover the shell.
    await page.goto(this.url("/"));
    await page.getByRole("button", { name: "Sign in", exact: true }).first().click();
    const dialog = page.getByRole("dialog", { name: /sign in/i });
    await dialog.getByLabel("Email", { exact: true }).fill(person.email);
    await dialog.getByLabel("Password", { exact: true }).fill(person.password);
    await dialog.getByRole("button", { name: "Sign in", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await this.accountMenu(page, person).waitFor();
    if (path !== "/") await page.goto(this.url(path));
  }

  /** The shell's account menu button, named after the signed-in person. */
  accountMenu(page, person) {
    return page.getByRole("button", { name: new RegExp(escapeRegExp(person.displayName), "i") }).first();
  }

  async signedInPage(person, options = {}) {
    const page = await this.page(options);
    await this.signIn(page, person, options.path);
    return page;
  }

  /** A link of the persistent sidebar ("Home", "Models", …; "Notifications" may carry an unread count). */
  navLink(page, name) {
    return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: new RegExp(`^${escapeRegExp(name)}\\b`) });
  }

  async navigate(page, name) {
    await this.navLink(page, name).click();
  }

  /** Waits until every <img> on screen finished loading and nothing is marked busy. */
  async settle(page, timeoutMs = 8_000) {
    // Only images on screen: lazy ones further down are never requested, so never "complete".
    await page.waitForFunction(() => [...document.images].every((img) => {
      const box = img.getBoundingClientRect();
      const onScreen = box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
      return img.complete || !onScreen;
    }) && !document.querySelector("[aria-busy='true']"), null, { timeout: timeoutMs, polling: 100 }).catch(() => {});
    await page.waitForTimeout(150);
  }

  /** `<screen>-1280.png` and `<screen>-390.png` of what the page shows now. */
  async shot(page, screen) {
    const original = page.viewportSize() ?? DESKTOP;
    // Confirmations of the steps before ("Signed in as …") would cover the screen; errors stay.
    // (The app's CSP rules out hiding them with injected CSS.)
    for (const dismiss of await page.getByRole("status", { name: "Messages" }).getByRole("button", { name: "Dismiss" }).all()) {
      await dismiss.click().catch(() => {}); // it may have timed out on its own meanwhile
    }
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      await this.settle(page);
      await page.screenshot({ path: join(this.screenshotDir, `${screen}-${viewport.width}.png`), animations: "disabled" });
      // A phone-width screen must not scroll sideways (the layout has to fit 390 px).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      if (overflow > 1) this.layoutProblems.push(`${screen}: ${overflow}px wider than the ${viewport.width}px viewport`);
    }
    await page.setViewportSize(original);
    this.screens.push(screen);
  }

  async captureFailure() {
    mkdirSync(this.failureDir, { recursive: true });
    let n = 0;
    for (const context of this.contexts) {
      for (const page of context.pages()) {
        n += 1;
        await page.screenshot({ path: join(this.failureDir, `${this.spec}-${n}.png`), fullPage: true, timeout: 5_000 })
          .catch(() => {});
      }
    }
  }

  async closeAll() {
    await Promise.allSettled(this.contexts.map((context) => context.close()));
    this.contexts = [];
  }
}

/** Waits until at least `count` images inside `scope` have loaded (decoded real pixels). */
export async function waitForImages(scope, count = 1, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let loaded = 0;
  while (Date.now() < deadline) {
    // One snapshot of all images: the grid may re-render between two per-element calls.
    loaded = await scope.locator("img").evaluateAll((imgs) => imgs.filter((img) => img.complete && img.naturalWidth > 0).length);
    if (loaded >= count) return loaded;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`expected ${count} loaded image(s), saw ${loaded} after ${timeoutMs} ms`);
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** A tile of a TileGrid (a list item) showing `title`. */
export function tile(scope, title) {
  return scope.getByRole("listitem").filter({ hasText: title }).first();
}

/** The path of the current page, e.g. "/models/abc". */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Clicks the tile's main control (its link or button: image and title). */
export async function openTile(scope, title) {
  const card = tile(scope, title);
  await card.waitFor();
  await card.getByRole("link").or(card.getByRole("button")).first().click();
}
