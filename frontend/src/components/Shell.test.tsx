import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import App from "../App";
import { setToken } from "../auth/tokenStore";
import { envelope, errorEnvelope, mockFetch, renderWithProviders, requestsTo } from "../test/utils";

const HEALTH = { status: "ok", components: { api: "ok", storage: "ok", database: "ok", queue: "ok", gpuAgent: "online" }, time: 1 };
const CONFIG = { siteTitle: "VisionSuit", allowRegistration: true, maintenanceMode: false, serviceEndpoints: [] };
const POLL = { items: [], cursor: null, pollAfterSeconds: 10, unread: { announcements: 2, moderation: 1, likes: 0, comments: 0 }, totalUnread: 3 };

function me(role: "USER" | "CURATOR" | "ADMIN") {
  return { id: `${role.toLowerCase()}-1`, email: "x@example.test", displayName: `${role} person`, role, bio: "", showAdultContent: false, isActive: true, createdAt: "", lastLoginAt: null };
}

function routes(extra: Record<string, unknown> = {}) {
  return {
    "GET /api/health": HEALTH,
    "GET /api/meta/config": CONFIG,
    "GET /api/meta/stats": { models: 0, images: 0, galleries: 0 },
    "GET /api/models": () => envelope([], { cursor: null }),
    "GET /api/images": () => envelope([], { cursor: null }),
    "GET /api/tags": [],
    "GET /api/notifications/poll": POLL,
    "GET /api/users/me/curator-application": () => errorEnvelope(404, "NOT_FOUND", "none"),
    ...extra,
  };
}

function sidebar() {
  return within(screen.getByRole("navigation", { name: "Main" }));
}

describe("Shell", () => {
  it("shows the Admin link to administrators, with the unread count on Notifications", async () => {
    setToken("admin-token");
    mockFetch(routes({ "GET /api/auth/me": me("ADMIN") }));
    renderWithProviders(<App />);
    expect(await sidebar().findByRole("link", { name: /Admin/ })).toHaveAttribute("href", "/admin");
    expect(await sidebar().findByRole("link", { name: "Notifications 3 unread" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Account menu for ADMIN person" })).toBeInTheDocument();
  });

  it.each(["USER", "CURATOR"] as const)("hides the Admin link from a %s", async (role) => {
    setToken("token");
    mockFetch(routes({ "GET /api/auth/me": me(role) }));
    renderWithProviders(<App />);
    await screen.findByRole("button", { name: `Account menu for ${role} person` });
    for (const name of ["Home", "Models", "Images", "Generator", /Notifications/]) {
      expect(sidebar().getByRole("link", { name })).toBeInTheDocument();
    }
    expect(sidebar().queryByRole("link", { name: /Admin/ })).not.toBeInTheDocument();
  });

  it("offers Sign in and Register to guests and no Admin link", async () => {
    mockFetch(routes());
    renderWithProviders(<App />);
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Register" })).toBeInTheDocument();
    expect(sidebar().queryByRole("link", { name: /Admin/ })).not.toBeInTheDocument();
  });

  it("shows the service LEDs from /api/health", async () => {
    mockFetch(routes({ "GET /api/health": { ...HEALTH, components: { ...HEALTH.components, gpuAgent: "offline" } } }));
    renderWithProviders(<App />);
    const leds = within(screen.getByRole("list", { name: "Service status" }));
    await waitFor(() => expect(leds.getByText(/GPU agent/).parentElement).toHaveTextContent("GPU agent: offline"));
    expect(leds.getByText(/^API$/).parentElement).toHaveTextContent("API: online");
    expect(leds.getByText(/^Storage$/).parentElement).toHaveTextContent("Storage: online");
    expect(leds.getByText(/Front end/).parentElement).toHaveTextContent("Front end: online");
  });

  it("signs in through the dialog and stores the token", async () => {
    const user = userEvent.setup();
    const mock = mockFetch(
      routes({
        "POST /api/auth/login": async (request: Request) => {
          const body = await request.json();
          if (body.password !== "right password") return errorEnvelope(401, "UNAUTHORIZED", "Wrong email or password");
          return envelope({ token: "new-token", tokenType: "Bearer", expiresAt: "", user: me("CURATOR") });
        },
      }),
    );
    renderWithProviders(<App />);
    await user.click(await screen.findByRole("button", { name: "Sign in" }));
    const dialog = within(screen.getByRole("dialog", { name: "Sign in" }));
    await user.type(dialog.getByLabelText("Email"), "c@example.test");
    await user.type(dialog.getByLabelText("Password"), "wrong password");
    await user.click(dialog.getByRole("button", { name: "Sign in" }));
    expect(await dialog.findByRole("alert")).toHaveTextContent("Wrong email or password");

    await user.clear(dialog.getByLabelText("Password"));
    await user.type(dialog.getByLabelText("Password"), "right password");
    await user.click(dialog.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("button", { name: "Account menu for CURATOR person" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog", { name: "Sign in" })).not.toBeInTheDocument();
    expect(localStorage.getItem("visionsuit.accessToken")).toBe("new-token");
    expect(requestsTo(mock, "POST", "/api/auth/login")).toHaveLength(2);
  });

  it("toggles NSFW through PATCH /api/auth/me", async () => {
    const user = userEvent.setup();
    setToken("token");
    const patches: unknown[] = [];
    mockFetch(
      routes({
        "GET /api/auth/me": me("USER"),
        "PATCH /api/auth/me": async (request: Request) => {
          const body = await request.json();
          patches.push(body);
          return envelope({ user: { ...me("USER"), showAdultContent: body.showAdultContent } });
        },
      }),
    );
    renderWithProviders(<App />);
    const toggle = await screen.findByRole("switch", { name: "Show adult content" });
    expect(toggle).toHaveAttribute("aria-checked", "false");
    await user.click(toggle);
    await waitFor(() => expect(toggle).toHaveAttribute("aria-checked", "true"));
    expect(patches).toEqual([{ showAdultContent: true }]);
  });

  it("shows the maintenance screen to non-admins", async () => {
    mockFetch(routes({ "GET /api/meta/config": { ...CONFIG, maintenanceMode: true } }));
    renderWithProviders(<App />);
    expect(await screen.findByRole("heading", { name: "VisionSuit is under maintenance" })).toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
  });

  it("lets administrators work during maintenance", async () => {
    setToken("admin-token");
    mockFetch(routes({ "GET /api/meta/config": { ...CONFIG, maintenanceMode: true }, "GET /api/auth/me": me("ADMIN") }));
    renderWithProviders(<App />);
    expect(await screen.findByText(/Maintenance mode is on/)).toBeInTheDocument();
    expect(sidebar().getByRole("link", { name: /Admin/ })).toBeInTheDocument();
  });
});
