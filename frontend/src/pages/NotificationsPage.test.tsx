import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import NotificationsPage from "./NotificationsPage";
import { setToken } from "../auth/tokenStore";
import { AuthDialogsProvider } from "../components/AuthDialogs";
import { envelope, mockFetch, renderWithProviders, requestsTo } from "../test/utils";

const ME = { id: "u1", displayName: "Mia", role: "USER", email: "m@x.y", bio: "", showAdultContent: false, isActive: true, createdAt: "", lastLoginAt: null };

function item(id: string, category: string, title: string, read: boolean, link: unknown = null) {
  return { id, category, type: "x", title, body: `${title} body`, link, actorId: null, read, createdAt: "2026-11-21T10:00:00Z" };
}

describe("NotificationsPage", () => {
  it("lists notifications with unread counts per category and marks one and all read", async () => {
    const user = userEvent.setup();
    setToken("t");
    let read = new Set<string>();
    const items = [
      item("n1", "announcements", "Maintenance tonight", false),
      item("n2", "comments", "New comment on Sunset LoRA", false, { kind: "model", id: "m9" }),
      item("n3", "likes", "Someone liked your image", true),
    ];
    const mock = mockFetch({
      "GET /api/auth/me": ME,
      "GET /api/meta/config": { siteTitle: "VisionSuit", allowRegistration: true, maintenanceMode: false, serviceEndpoints: [] },
      "GET /api/notifications": (_req: Request, url: URL) => {
        const category = url.searchParams.get("category");
        const current = items.map((n) => ({ ...n, read: n.read || read.has(n.id) }));
        const unread = { announcements: 0, moderation: 0, likes: 0, comments: 0 } as Record<string, number>;
        current.filter((n) => !n.read).forEach((n) => (unread[n.category] += 1));
        const listed = current.filter((n) => !category || n.category === category);
        return envelope({ items: listed, unread, totalUnread: Object.values(unread).reduce((a, b) => a + b, 0) }, { cursor: null });
      },
      "POST /api/notifications/n1/read": () => {
        read.add("n1");
        return envelope({ id: "n1", read: true });
      },
      "POST /api/notifications/read-all": () => {
        read = new Set(items.map((n) => n.id));
        return envelope({ updated: 2 });
      },
    });
    renderWithProviders(
      <AuthDialogsProvider>
        <NotificationsPage />
      </AuthDialogsProvider>,
    );

    const list = within(await screen.findByRole("list", { name: "All notifications" }));
    expect(list.getAllByRole("listitem")).toHaveLength(3);
    expect(list.getByRole("link", { name: "New comment on Sunset LoRA" })).toHaveAttribute("href", "/models/m9");
    expect(screen.getByRole("tab", { name: "All 2 unread" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tab", { name: "Comments 1 unread" })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Likes" })).toBeInTheDocument();

    await user.click(list.getByRole("button", { name: "Mark “Maintenance tonight” read" }));
    await waitFor(() => expect(screen.getByRole("tab", { name: "All 1 unread" })).toBeInTheDocument());
    expect(requestsTo(mock, "POST", "/api/notifications/n1/read")).toHaveLength(1);

    await user.click(screen.getByRole("tab", { name: /Comments/ }));
    const comments = within(await screen.findByRole("list", { name: "Comments notifications" }));
    expect(comments.getAllByRole("listitem")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(screen.getByRole("tab", { name: "All" })).toBeInTheDocument());
    const [readAll] = requestsTo(mock, "POST", "/api/notifications/read-all");
    expect(readAll).toBeDefined();
    expect(screen.getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });

  it("asks guests to sign in", async () => {
    mockFetch({ "GET /api/meta/config": { siteTitle: "VisionSuit", allowRegistration: true, maintenanceMode: false, serviceEndpoints: [] } });
    renderWithProviders(
      <AuthDialogsProvider>
        <NotificationsPage />
      </AuthDialogsProvider>,
    );
    expect(await screen.findByRole("heading", { name: "Sign in to see your notifications" })).toBeInTheDocument();
  });
});
