// The people and assets the specs share. Each is created once, on first use: a spec that is about a
// flow does it through the UI and records the result here; a spec that merely needs it (a curator, a
// LoRA to comment on) gets it through the API, so one broken screen does not fail every later spec.
import { randomBytes } from "node:crypto";
import { ApiClient, waitFor } from "./api.mjs";
import { gradientPng, loraSafetensors } from "./files.mjs";

export const RUN_ID = randomBytes(3).toString("hex");

export function newPassword() {
  return `e2e-${randomBytes(12).toString("base64url")}`;
}

export class World {
  constructor(baseUrl, admin) {
    this.baseUrl = baseUrl;
    this.anonymous = new ApiClient(baseUrl);
    this.admin = { ...admin, displayName: "Administrator" };
    this.recorded = {};
    this.pending = {};
  }

  /** Remembers something a spec created through the UI, for later specs. */
  record(key, value) {
    this.recorded[key] = value;
    return value;
  }

  once(key, create) {
    if (this.recorded[key]) return Promise.resolve(this.recorded[key]);
    this.pending[key] ??= create().then((value) => this.record(key, value));
    return this.pending[key];
  }

  async signedIn(person) {
    if (!person.api) {
      const { client, user } = await this.anonymous.login(person.email, person.password);
      Object.assign(person, { api: client, user });
    }
    return person;
  }

  adminApi() {
    return this.signedIn(this.admin).then((a) => a.api);
  }

  /** An account created by the admin through the API (the admin UI's users tab is not what the specs test). */
  account(key, role, displayName) {
    return this.once(key, async () => {
      const person = { email: `${key}-${RUN_ID}@e2e.visionsuit.test`, password: newPassword(), displayName };
      await (await this.adminApi()).post("/api/users", { ...person, role });
      return this.signedIn(person);
    });
  }

  member() { return this.account("member", "USER", `E2E Member ${RUN_ID}`); }
  reporter() { return this.account("reporter", "USER", `E2E Reporter ${RUN_ID}`); }
  curator() { return this.account("curator", "CURATOR", `E2E Curator ${RUN_ID}`); }

  /** A public LoRA of the curator with a cover, ready (processed) and searchable. */
  lora() {
    return this.once("lora", async () => this.uploadLora(`E2E Lantern ${RUN_ID} LoRA`, `lantern${RUN_ID}`));
  }

  /** A second LoRA, only for the flag-and-moderate spec (flagging may hide it from the others). */
  flagTarget() {
    return this.once("flagTarget", async () => this.uploadLora(`E2E Reported ${RUN_ID} LoRA`, `reported${RUN_ID}`));
  }

  /** A LoRA the safety rules mark as adult: an adult keyword (added by the admin) among its tags.
   *  Only viewers who switched adult content on see it. */
  adultLora() {
    return this.once("adultLora", async () => {
      const keyword = `spicy${RUN_ID}`;
      await (await this.adminApi()).post("/api/safety/keywords", { category: "adult", label: keyword });
      const viewer = await this.account("adultViewer", "USER", `E2E Adult Viewer ${RUN_ID}`);
      await viewer.api.data("PATCH", "/api/auth/me", { showAdultContent: true });
      const lora = await this.uploadLora(`E2E Ember ${RUN_ID} LoRA`, `ember${RUN_ID}`, ["e2e", keyword], viewer.api);
      const status = await (await this.curator()).api.get(`/api/models/${lora.id}/status`);
      if (!status.isAdult) throw new Error(`the adult keyword "${keyword}" did not mark ${lora.title} as adult`);
      return { ...lora, search: `Ember ${RUN_ID}` };
    });
  }

  async uploadLora(title, trigger, tags = ["e2e", "lantern"], searchAs = this.anonymous) {
    const curator = await this.curator();
    const session = await curator.api.upload("model", [
      { name: `${trigger}.safetensors`, mimeType: "application/octet-stream", buffer: loraSafetensors({ outputName: trigger }) },
      { name: "cover.png", mimeType: "image/png", buffer: gradientPng({ tint: 90 }) },
    ], { title, triggerWords: [trigger], tags, visibility: "public", description: "Made by the e2e suite." });
    // "ready" can come a moment before the cover's thumbnails: wait for those too, so every grid
    // that lists the model shows its picture.
    await waitFor(async () => (await curator.api.waitReady("models", session.modelId)).cover?.grid,
      { timeoutMs: 60_000, what: `the cover thumbnails of ${title}` });
    await waitSearchable(searchAs, "models", title);
    return { id: session.modelId, title, trigger };
  }
}

/** The search index is updated asynchronously after ingest: wait until a title is found. */
export async function waitSearchable(api, kind, title, timeoutMs = 30_000) {
  return waitFor(async () => {
    const found = await api.get(`/api/${kind}?q=${encodeURIComponent(title)}`);
    return found.find((item) => item.title === title);
  }, { timeoutMs, what: `${kind} "${title}" to be searchable` });
}
