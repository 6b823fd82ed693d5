import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { setToken } from "../auth/tokenStore";
import GeneratorPage from "../pages/GeneratorPage";
import { envelope, errorEnvelope, mockFetch, renderWithProviders, requestsTo } from "../test/utils";
import { settingsFixture } from "./testFixtures";
import type { GenerationJob } from "./types";

const CURATOR = {
  id: "c1", email: "cora@example.test", displayName: "Cora", role: "CURATOR", bio: "", showAdultContent: false,
  isActive: true, createdAt: "2026-01-01T00:00:00Z", lastLoginAt: null,
};

const QUEUE = {
  paused: false, declineNew: false, counts: { pending: 2, queued: 1, running: 1 }, agents: { online: 1, busy: 1 },
  mine: { active: 0, today: 3 }, blocked: false, blockReason: null,
};

const LORA = {
  id: "a".repeat(32), title: "Neon Glow", type: "lora", baseModel: "SDXL", tags: [], triggerWords: ["neon glow", "synthwave"],
  owner: null, previews: null, isAdult: false, status: "ready", primaryVersionId: "v1", downloads: 0, likes: 0,
  createdAt: "", updatedAt: "", visibility: "public",
};

function job(overrides: Partial<GenerationJob> = {}): GenerationJob {
  return {
    id: "job1", kind: "generate", status: "pending", progress: 0, attempt: 1, createdAt: "2026-11-21T10:00:00Z",
    updatedAt: "2026-11-21T10:00:00Z", error: null, stage: null, ownerId: "c1", renderIds: [],
    request: {
      prompt: "a neon city", negativePrompt: "", seed: 42, cfgScale: 7, steps: 28, width: 1024, height: 1024,
      sampler: "euler", scheduler: "karras", batchSize: 1, baseModel: { id: "sdxl", label: "SDXL base", type: "SDXL" },
      loras: [],
    },
    ...overrides,
  };
}

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  return JSON.parse(await request.clone().text());
}

function signIn() {
  setToken("test-token");
}

afterEach(() => setToken(null));

describe("GeneratorPage", () => {
  it("builds a request with a LoRA, its strength and trigger word, and sends a double click once", async () => {
    let submitted = false;
    const fetchMock = mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": () => envelope([LORA], { cursor: null }),
      "GET /api/generator/requests": () => envelope(submitted ? [job()] : [], { cursor: null }),
      "GET /api/generator/requests/job1": job(),
      "POST /api/generator/requests": async () => {
        submitted = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return envelope(job(), null, 202);
      },
    });
    signIn();
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    expect(await screen.findByLabelText("Base model")).toHaveValue("sdxl");
    const queue = screen.getByRole("region", { name: "Queue" });
    expect(within(queue).getByText("GPU agents online").nextElementSibling).toHaveTextContent("1");
    expect(within(queue).getByText("Waiting").nextElementSibling).toHaveTextContent("3");

    await user.type(screen.getByLabelText("Prompt"), "a city");
    await user.click(await screen.findByRole("button", { name: "Add Neon Glow" }));
    fireEvent.change(screen.getByLabelText("Strength Neon Glow"), { target: { value: "0.5" } });
    expect(screen.getByLabelText("Strength Neon Glow")).toHaveValue("0.5");
    await user.click(screen.getByRole("button", { name: "Insert neon glow" }));
    expect(screen.getByLabelText("Prompt")).toHaveValue("a city, neon glow");
    await user.selectOptions(screen.getByLabelText("Size"), "832x1216");
    await user.type(screen.getByLabelText("Seed"), "123");

    await user.dblClick(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(screen.getByRole("list", { name: "Generation requests" })).toBeInTheDocument());
    const posts = requestsTo(fetchMock, "POST", "/api/generator/requests");
    expect(posts).toHaveLength(1);
    const body = await jsonBody(posts[0]);
    expect(body).toMatchObject({
      baseModel: "sdxl", prompt: "a city, neon glow", loras: [{ modelId: LORA.id, strength: 0.5 }],
      width: 832, height: 1216, seed: 123, sampler: "dpmpp_2m", scheduler: "karras",
    });
    expect(body.clientRequestId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
  });

  it("retries an unanswered submit with the same client request id, and a changed draft with a new one", async () => {
    let attempts = 0;
    const fetchMock = mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": () => envelope([], { cursor: null }),
      "GET /api/generator/requests": () => envelope([], { cursor: null }),
      "POST /api/generator/requests": () => {
        attempts++;
        if (attempts === 1) throw new TypeError("Failed to fetch");
        return envelope(job(), null, 202);
      },
    });
    signIn();
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });
    await user.type(await screen.findByLabelText("Prompt"), "a cat");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("could not be reached");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(attempts).toBe(2));
    await user.type(screen.getByLabelText("Prompt"), " on a roof");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(attempts).toBe(3));

    const ids = await Promise.all(requestsTo(fetchMock, "POST", "/api/generator/requests")
      .map(async (r) => (await jsonBody(r)).clientRequestId));
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
  });

  it("explains a block and a paused queue instead of offering the form", async () => {
    mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": { ...settingsFixture, canGenerate: false, block: { reason: "too many NSFW prompts", since: null } },
      "GET /api/generator/queue": { ...QUEUE, paused: true, declineNew: true, blocked: true, blockReason: "too many NSFW prompts" },
      "GET /api/generator/requests": () => envelope([], { cursor: null }),
    });
    signIn();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });
    expect(await screen.findByText("Your generator access is suspended: too many NSFW prompts")).toBeInTheDocument();
    expect(screen.getByText(/The queue is paused and not taking new requests/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Generate" })).not.toBeInTheDocument();
    expect(await screen.findByText(/No requests yet/)).toBeInTheDocument();
  });

  it("shows why the API refused a request", async () => {
    mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": () => envelope([], { cursor: null }),
      "GET /api/generator/requests": () => envelope([], { cursor: null }),
      "POST /api/generator/requests": () => errorEnvelope(409, "CONFLICT", "The generator is switched off; try again later"),
    });
    signIn();
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });
    await user.type(await screen.findByLabelText("Prompt"), "a cat");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The generator is switched off; try again later");
  });

  it("follows an active job until it is done, then imports its render into a new gallery", async () => {
    let polls = 0;
    const done = job({
      status: "succeeded", progress: 100, renderIds: ["r1"],
      renders: [{ id: "r1", status: "ready", title: "a neon city", width: 1024, height: 1024, visibility: "private",
                  previews: { grid: "https://cdn/r1.webp" } }],
    });
    const fetchMock = mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": () => envelope([], { cursor: null }),
      "GET /api/galleries": () => envelope([], { cursor: null }),
      "GET /api/generator/requests": () => envelope([job({ status: "running", progress: 40 })], { cursor: null }),
      "GET /api/generator/requests/job1": () => envelope(++polls === 1 ? job({ status: "running", progress: 40 }) : done),
      "POST /api/generator/requests/job1/import": { galleryId: "g9", added: 1, items: [] },
    });
    signIn();
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    const card = await screen.findByTestId("generator-job");
    await waitFor(() => expect(within(card).getByRole("progressbar", { name: "Render progress" }))
      .toHaveAttribute("aria-valuenow", "40"));
    expect(within(card).getByRole("button", { name: "Cancel" })).toBeInTheDocument();

    // The card polls every 2 s while the job is active.
    expect(await within(card).findByRole("img", { name: "a neon city" }, { timeout: 4000 })).toHaveAttribute("src", "https://cdn/r1.webp");
    expect(within(card).queryByRole("button", { name: "Cancel" })).not.toBeInTheDocument();

    await user.click(within(card).getByRole("button", { name: "Import to gallery" }));
    const dialog = await screen.findByRole("dialog", { name: "Import to gallery" });
    await waitFor(() => expect(within(dialog).getByRole("radio", { name: "New gallery" })).toBeChecked());
    await user.type(within(dialog).getByLabelText("Gallery title"), "Renders");
    await user.click(within(dialog).getByRole("button", { name: "Import" }));

    expect(await within(card).findByRole("link", { name: /Imported 1 render/ })).toHaveAttribute("href", "/galleries/g9");
    const imports = requestsTo(fetchMock, "POST", "/api/generator/requests/job1/import");
    expect(await jsonBody(imports[0])).toEqual({ mode: "new", galleryTitle: "Renders", galleryVisibility: "private" });
  });
});
