import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useLocation } from "react-router-dom";
import HomePage from "./HomePage";
import { setToken } from "../auth/tokenStore";
import { AuthDialogsProvider } from "../components/AuthDialogs";
import { envelope, errorEnvelope, mockFetch, renderWithProviders, requestsTo } from "../test/utils";

const owner = { id: "cur-1", displayName: "Demo Curator" };
const MODEL = {
  id: "m1", title: "Demo Gradient LoRA", type: "lora", baseModel: "SD1.5", tags: ["demo"], triggerWords: ["gradient"], owner,
  previews: { grid: "http://127.0.0.1:9/m1-grid.webp?X-Amz-Signature=abc", preview: null }, isAdult: false, status: "ready",
  primaryVersionId: "v1", downloads: 0, likes: 0, createdAt: "", updatedAt: "", visibility: "public",
};
const IMAGE = {
  id: "i1", title: "Gradient study #3", tags: [], owner, previews: { grid: "http://127.0.0.1:9/i1-grid.webp" }, width: 64, height: 64,
  isAdult: false, status: "ready", likes: 0, createdAt: "", updatedAt: "", visibility: "public",
};
const FLAGGED = { id: "m2", title: "My flagged model", kind: "model", moderation: "flagged", inAudit: true, placeholder: true };

function LocationProbe() {
  const location = useLocation();
  return <output aria-label="Current location">{location.pathname + location.search}</output>;
}

function renderHome() {
  return renderWithProviders(
    <AuthDialogsProvider>
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route path="*" element={null} />
      </Routes>
      <LocationProbe />
    </AuthDialogsProvider>,
  );
}

function routes(extra: Record<string, unknown> = {}) {
  return {
    "GET /api/meta/config": { siteTitle: "VisionSuit", allowRegistration: true, maintenanceMode: false, serviceEndpoints: [] },
    "GET /api/meta/stats": { models: 12, images: 345, galleries: 6 },
    "GET /api/models": () => envelope([MODEL, FLAGGED], { cursor: null }),
    "GET /api/images": () => envelope([IMAGE], { cursor: null }),
    "GET /api/tags": [{ slug: "demo", label: "demo", category: null, count: 4 }],
    "GET /api/users/me/curator-application": () => errorEnvelope(404, "NOT_FOUND", "none"),
    ...extra,
  };
}

describe("HomePage", () => {
  it("shows the newest models and images as tiles, In Audit placeholders and trust metrics", async () => {
    const mock = mockFetch(routes());
    renderHome();
    const models = within(await screen.findByRole("list", { name: "Newest models" }));
    const modelLink = models.getByRole("link", { name: /Demo Gradient LoRA/ });
    expect(modelLink).toHaveAttribute("href", "/models/m1");
    expect(within(modelLink).getByRole("img", { name: "Preview of Demo Gradient LoRA" })).toHaveAttribute("src", MODEL.previews.grid);
    expect(models.getByLabelText("My flagged model (In Audit)")).toBeInTheDocument();
    expect(models.getByRole("link", { name: "by Demo Curator" })).toHaveAttribute("href", "/users/cur-1");

    const images = within(await screen.findByRole("list", { name: "Newest images" }));
    expect(images.getByRole("link", { name: /Gradient study #3/ })).toHaveAttribute("href", "/images/i1");

    const metrics = within(screen.getByLabelText("Platform numbers"));
    expect(await metrics.findByText("345")).toBeInTheDocument();

    const [modelsRequest] = requestsTo(mock, "GET", "/api/models");
    const query = new URL(modelsRequest.url).searchParams;
    expect(query.get("sort")).toBe("newest");
    expect(query.get("pageSize")).toBe("10");
  });

  it("navigates to the models explorer filtered by a tag chip", async () => {
    const user = userEvent.setup();
    mockFetch(routes());
    renderHome();
    await user.click(await screen.findByRole("button", { name: /demo/ }));
    expect(screen.getByLabelText("Current location")).toHaveTextContent("/models?tags=demo");
  });

  it("invites guests to register", async () => {
    mockFetch(routes());
    renderHome();
    expect(await screen.findByRole("button", { name: "Create your account" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Upload" })).not.toBeInTheDocument();
  });

  it("offers members the generator and the curator application, not upload", async () => {
    setToken("t");
    mockFetch(routes({ "GET /api/auth/me": { id: "u1", displayName: "Mia", role: "USER", email: "m@x.y", bio: "", showAdultContent: false, isActive: true, createdAt: "", lastLoginAt: null } }));
    renderHome();
    expect(await screen.findByRole("button", { name: "Apply as curator" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open the generator" })).toHaveAttribute("href", "/generator");
    expect(screen.queryByRole("link", { name: "Upload" })).not.toBeInTheDocument();
  });

  it("offers curators the upload wizard", async () => {
    setToken("t");
    mockFetch(routes({ "GET /api/auth/me": { id: "c1", displayName: "Cora", role: "CURATOR", email: "c@x.y", bio: "", showAdultContent: false, isActive: true, createdAt: "", lastLoginAt: null } }));
    renderHome();
    expect(await screen.findByRole("link", { name: "Upload" })).toHaveAttribute("href", "/upload");
    expect(screen.queryByRole("button", { name: "Apply as curator" })).not.toBeInTheDocument();
  });

  it("shows the API's message when a list fails", async () => {
    mockFetch(routes({ "GET /api/images": () => errorEnvelope(400, "VALIDATION_ERROR", "Invalid sort order") }));
    renderHome();
    expect(await screen.findByText("Invalid sort order")).toBeInTheDocument();
  });
});
