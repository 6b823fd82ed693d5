import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { setToken } from "../auth/tokenStore";
import GeneratorPage from "../pages/GeneratorPage";
import { envelope, mockFetch, renderWithProviders, requestsTo } from "../test/utils";
import { settingsFixture } from "./testFixtures";
import type { GenerationJob } from "./types";

const ADMIN = {
  id: "a1", email: "ada@example.test", displayName: "Ada", role: "ADMIN", bio: "", showAdultContent: false,
  isActive: true, createdAt: "2026-01-01T00:00:00Z", lastLoginAt: null,
};
const CURATOR = { ...ADMIN, id: "c1", email: "cora@example.test", displayName: "Cora", role: "CURATOR" };

const QUEUE = {
  paused: false, declineNew: false, counts: { pending: 0, queued: 0, running: 1 }, agents: { online: 1, busy: 1 },
  mine: { active: 0, today: 0 }, blocked: false, blockReason: null,
};

function job(overrides: Partial<GenerationJob> = {}): GenerationJob {
  return {
    id: "job1", kind: "generate", status: "failed", progress: null, attempt: 1, createdAt: "2026-11-21T10:00:00Z",
    updatedAt: "2026-11-21T10:00:00Z", error: null, stage: null, ownerId: "c1", renderIds: [],
    request: {
      prompt: "a neon city", negativePrompt: "", seed: 42, cfgScale: 7, steps: 28, width: 1024, height: 1024,
      sampler: "euler", scheduler: "karras", batchSize: 1, baseModel: { id: "sdxl", label: "SDXL base", type: "SDXL" },
      loras: [],
    },
    ...overrides,
  };
}

function lora(id: string, title: string, baseModel: string | null) {
  return {
    id: id.padEnd(32, "0"), title, type: "lora", baseModel, tags: [], triggerWords: [], owner: null, previews: null,
    isAdult: false, status: "ready", primaryVersionId: "v1", downloads: 0, likes: 0, createdAt: "", updatedAt: "",
    visibility: "public",
  };
}

const CATALOG = [
  lora("a", "Neon XL", "SDXL 1.0"),
  lora("b", "Pony Ink", "Pony"),
  lora("c", "Retro 15", "SD 1.5"),
  lora("d", "Mystery", null),
];

/** Answers GET /api/models like the API's exact, case-folded `baseModel` filter. */
function modelsRoute(_request: Request, url: URL) {
  const base = url.searchParams.get("baseModel");
  const fold = (v: string) => v.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return envelope(base === null ? CATALOG : CATALOG.filter((m) => m.baseModel && fold(m.baseModel) === fold(base)),
                  { cursor: null });
}

afterEach(() => setToken(null));

describe("generator history for administrators", () => {
  it("retries a failed request of another member as a new request", async () => {
    const fetchMock = mockFetch({
      "GET /api/auth/me": ADMIN,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": modelsRoute,
      "GET /api/generator/requests": (_r: Request, url: URL) => envelope(
        url.searchParams.get("scope") === "all" ? [job({ error: "CUDA out of memory" })] : [], { cursor: null }),
      "POST /api/generator/requests/job1/retry": () => envelope(job({ id: "job2", status: "pending" }), null, 202),
    });
    setToken("t");
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    await user.selectOptions(await screen.findByLabelText("Show"), "all");
    expect(screen.getByRole("heading", { name: "Everyone's requests" })).toBeInTheDocument();
    const card = await screen.findByTestId("generator-job");
    expect(within(card).getByText("CUDA out of memory")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Requester's profile" })).toHaveAttribute("href", "/users/c1");

    await user.click(within(card).getByRole("button", { name: "Retry request" }));
    expect(await within(card).findByText("Queued again as a new request")).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Retry request" })).not.toBeInTheDocument();
    expect(requestsTo(fetchMock, "POST", "/api/generator/requests/job1/retry")).toHaveLength(1);
  });

  it("cancels another member's running request from everyone's requests", async () => {
    let cancelled = false;
    const running = () => job({ status: cancelled ? "cancelled" : "running", progress: 30 });
    const fetchMock = mockFetch({
      "GET /api/auth/me": ADMIN,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": modelsRoute,
      "GET /api/generator/requests": (_r: Request, url: URL) =>
        envelope(url.searchParams.get("scope") === "all" ? [running()] : [], { cursor: null }),
      "GET /api/generator/requests/job1": () => envelope(running()),
      "POST /api/generator/requests/job1/cancel": () => {
        cancelled = true;
        return envelope(running());
      },
    });
    setToken("t");
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    await user.selectOptions(await screen.findByLabelText("Show"), "all");
    const card = await screen.findByTestId("generator-job");
    await user.click(await within(card).findByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(card).toHaveAttribute("data-status", "cancelled"));
    expect(requestsTo(fetchMock, "POST", "/api/generator/requests/job1/cancel")).toHaveLength(1);
    // A cancelled request can be run again by an administrator.
    expect(within(card).getByRole("button", { name: "Retry request" })).toBeInTheDocument();
  });
});

describe("generator history for members", () => {
  it("shows the job's error and each failed render's error, without admin actions", async () => {
    mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": modelsRoute,
      "GET /api/generator/requests": () => envelope([job({ error: "The job did not complete", renderIds: ["r1", "r2"] })],
                                                    { cursor: null }),
      "GET /api/generator/requests/job1": () => envelope(job({
        error: "The job did not complete", renderIds: ["r1", "r2"],
        renders: [
          { id: "r1", status: "ready", title: "first", width: 1024, height: 1024, visibility: "private",
            previews: { grid: "https://cdn/r1.webp" } },
          { id: "r2", status: "error", title: "second", width: null, height: null, visibility: "private",
            previews: null, error: "The file is not a readable image" },
        ],
      })),
    });
    setToken("t");
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    const card = await screen.findByTestId("generator-job");
    expect(within(card).getByTestId("generator-job-error")).toHaveTextContent("Error: The job did not complete");
    expect(await within(card).findByText("Render failed: The file is not a readable image")).toBeInTheDocument();
    expect(within(card).getByRole("img", { name: "first" })).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Retry request" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Show")).not.toBeInTheDocument();
  });

  it("does not repeat 'Cancelled' as an error of a cancelled job", async () => {
    mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": modelsRoute,
      "GET /api/generator/requests": () => envelope([job({ status: "cancelled", error: "Cancelled" })], { cursor: null }),
    });
    setToken("t");
    renderWithProviders(<GeneratorPage />, { route: "/generator" });
    const card = await screen.findByTestId("generator-job");
    expect(within(card).getByText("Cancelled")).toBeInTheDocument();
    expect(within(card).queryByTestId("generator-job-error")).not.toBeInTheDocument();
  });
});

describe("LoRA picker", () => {
  it("narrows LoRAs to the base model's type, follows a base model change, and shows all on request", async () => {
    const fetchMock = mockFetch({
      "GET /api/auth/me": CURATOR,
      "GET /api/generator/settings": settingsFixture,
      "GET /api/generator/queue": QUEUE,
      "GET /api/models": modelsRoute,
      "GET /api/generator/requests": () => envelope([], { cursor: null }),
    });
    setToken("t");
    const user = userEvent.setup();
    renderWithProviders(<GeneratorPage />, { route: "/generator" });

    // Default base model: SDXL — SDXL and Pony LoRAs, asked for with the API's baseModel filter.
    const results = await screen.findByRole("list", { name: "LoRA search results" });
    await waitFor(() => expect(within(results).getAllByRole("button").map((b) => b.textContent))
      .toEqual(["Neon XLSDXL 1.0", "Pony InkPony"]));
    const asked = requestsTo(fetchMock, "GET", "/api/models").map((r) => new URL(r.url).searchParams.get("baseModel"));
    expect(asked).toEqual(expect.arrayContaining(["SDXL", "SDXL 1.0", "Pony"]));
    expect(asked).not.toContain(null);
    expect(screen.getByText("Showing LoRAs for SDXL")).toBeInTheDocument();

    await user.click(within(results).getByRole("button", { name: "Add Neon XL" }));
    await user.selectOptions(screen.getByLabelText("Base model"), "sd15");
    expect(await screen.findByRole("button", { name: "Add Retro 15" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add Pony Ink" })).not.toBeInTheDocument();
    // The LoRA picked for SDXL stays, flagged.
    const picked = screen.getByRole("list", { name: "Selected LoRAs" });
    expect(within(picked).getByText("Made for SDXL 1.0: may not suit SD1.5")).toBeInTheDocument();

    await user.click(screen.getByRole("checkbox", { name: "Show all LoRAs" }));
    expect(await screen.findByRole("button", { name: "Add Mystery" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add Pony Ink" })).toBeInTheDocument();
    expect(screen.queryByText(/Showing LoRAs for/)).not.toBeInTheDocument();
    const last = requestsTo(fetchMock, "GET", "/api/models").at(-1)!;
    expect(new URL(last.url).searchParams.has("baseModel")).toBe(false);
  });
});
