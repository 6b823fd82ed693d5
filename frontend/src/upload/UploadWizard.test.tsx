import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { setToken } from "../auth/tokenStore";
import UploadPage from "../pages/UploadPage";
import { envelope, mockFetch, renderWithProviders } from "../test/utils";
import { UploadWizard } from "./UploadWizard";
import { loadPending, savePending } from "./resumeStore";
import type { UploadPlan, UploadSession, UploadTransport } from "./uploadClient";

const CURATOR = {
  id: "c1", email: "cora@example.test", displayName: "Cora", role: "CURATOR", bio: "", showAdultContent: false,
  isActive: true, createdAt: "2026-01-01T00:00:00Z", lastLoginAt: null,
};

function openSession(files: UploadSession["files"]): UploadSession {
  return {
    id: "s1", kind: "images", status: "open", createdAt: "", expiresAt: "", modelId: null, versionId: null,
    galleryId: "g1", files,
  };
}

/** A transport whose PUTs stop halfway until `release()` is called, so progress can be observed. */
function gatedTransport(created: UploadSession) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const transport: UploadTransport = {
    createSession: vi.fn(async () => created),
    describeSession: vi.fn(async () => created),
    partUrls: vi.fn(async (): Promise<UploadPlan> => ({ method: "PUT", url: "put://fresh", headers: {} })),
    completeSession: vi.fn(async () => ({ ...created, status: "completed" as const })),
    abortSession: vi.fn(async () => undefined),
    put: vi.fn(async (_url: string, body: Blob, _h: Record<string, string>, onProgress: (n: number) => void) => {
      onProgress(body.size / 2);
      await gate;
      onProgress(body.size);
    }),
  };
  return { transport, release };
}

const png = (name: string, text = "pngdata!") => new File([text], name, { type: "image/png", lastModified: 5 });

function renderWizard(transport: UploadTransport, route = "/upload") {
  return renderWithProviders(
    <Routes>
      <Route path="/upload" element={<UploadWizard userId="c1" transport={transport} />} />
    </Routes>,
    { route },
  );
}

describe("UploadWizard", () => {
  beforeEach(() => {
    // jsdom has no object URLs; the local previews only need a string.
    URL.createObjectURL = vi.fn(() => "blob:local-preview");
    URL.revokeObjectURL = vi.fn();
  });

  it("uploads an image batch into a preselected gallery with progress, then follows processing", async () => {
    mockFetch({
      "GET /api/galleries": () => envelope([{ id: "g1", title: "Holiday" }], { cursor: null }),
      "GET /api/images/i1/status": { id: "i1", title: "Beach", status: "ready", error: null, previews: { grid: "https://cdn/g.webp" } },
    });
    const session = openSession([
      { index: 0, name: "beach.png", role: "image", size: 8, assetId: "i1", multipart: false,
        upload: { method: "PUT", url: "put://0", headers: { "Content-Type": "image/png" } } },
    ]);
    const { transport, release } = gatedTransport(session);
    const user = userEvent.setup();
    renderWizard(transport, "/upload?galleryId=g1");

    expect(await screen.findByRole("option", { name: "Holiday" })).toBeInTheDocument();
    expect(screen.getByLabelText("Gallery")).toHaveValue("g1");
    expect(screen.getByRole("radio", { name: "Image batch" })).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" }));

    expect(screen.getByRole("heading", { name: "Files" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Add at least one image");
    await user.upload(screen.getByLabelText("Choose files"), png("beach.png"));
    expect(within(screen.getByRole("list", { name: "Selected files" })).getByText("beach.png")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    expect(screen.getByRole("heading", { name: "Review" })).toBeInTheDocument();
    expect(screen.getByText("Holiday")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Upload" }));

    const bar = await screen.findByRole("progressbar", { name: "Upload progress beach.png" });
    await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "50"));
    expect(transport.createSession).toHaveBeenCalledWith(expect.objectContaining({
      kind: "images", galleryId: "g1", files: [{ name: "beach.png", size: 8, contentType: "image/png", role: "image" }],
    }));
    // While bytes are on their way the session is remembered for a resume after a reload.
    expect(loadPending("c1")).toMatchObject({ sessionId: "s1", files: [{ name: "beach.png", size: 8, lastModified: 5 }] });

    release();
    expect(await screen.findByRole("link", { name: "Open Beach" })).toHaveAttribute("href", "/images/i1");
    expect(screen.getByRole("img", { name: "Beach" })).toHaveAttribute("src", "https://cdn/g.webp");
    expect(screen.getByRole("link", { name: "Open gallery" })).toHaveAttribute("href", "/galleries/g1");
    expect(transport.completeSession).toHaveBeenCalledWith("s1");
    expect(loadPending("c1")).toBeNull();
  });

  it("asks a model for title and trigger words before moving on", async () => {
    mockFetch({ "GET /api/galleries": () => envelope([], { cursor: null }) });
    const user = userEvent.setup();
    renderWizard(gatedTransport(openSession([])).transport);
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByText("A model needs a title")).toBeInTheDocument();
    expect(screen.getByText("A model needs at least one trigger word")).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveAttribute("aria-invalid", "true");
    await user.type(screen.getByLabelText("Title"), "Neon Glow");
    await user.type(screen.getByLabelText("Trigger words"), "neon glow, synthwave");
    expect(within(screen.getByRole("list", { name: "Trigger words entered" })).getAllByRole("listitem")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByRole("heading", { name: "Files" })).toBeInTheDocument();
  });

  it("shows the API's limit message when it refuses the session", async () => {
    mockFetch({ "GET /api/galleries": () => envelope([{ id: "g1", title: "Holiday" }], { cursor: null }) });
    const { transport } = gatedTransport(openSession([]));
    transport.createSession = vi.fn(async () => {
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", "Images are limited to 64 MiB (67108864 bytes)", "files.0.size");
    });
    const user = userEvent.setup();
    renderWizard(transport, "/upload?galleryId=g1");
    await screen.findByRole("option", { name: "Holiday" });
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.upload(screen.getByLabelText("Choose files"), png("a.png"));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(screen.getByRole("button", { name: "Upload" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Images are limited to 64 MiB");
    await user.click(screen.getByRole("button", { name: "Back to review" }));
    expect(screen.getByRole("heading", { name: "Review" })).toBeInTheDocument();
  });

  it("resumes an interrupted upload after a reload when the missing file is chosen again", async () => {
    mockFetch({
      "GET /api/galleries": () => envelope([], { cursor: null }),
      "GET /api/images/i1/status": { id: "i1", title: "One", status: "ready", error: null, previews: {} },
      "GET /api/images/i2/status": { id: "i2", title: "Two", status: "processing", error: null, previews: {} },
    });
    savePending("c1", {
      sessionId: "s1", kind: "images", label: "Two photos", savedAt: Date.now(),
      files: [{ name: "one.png", size: 8, lastModified: 5 }, { name: "two.png", size: 8, lastModified: 5 }],
    });
    const state = openSession([
      { index: 0, name: "one.png", role: "image", size: 8, assetId: "i1", multipart: false, uploaded: true },
      { index: 1, name: "two.png", role: "image", size: 8, assetId: "i2", multipart: false, uploaded: false },
    ]);
    const { transport, release } = gatedTransport(state);
    release();
    const user = userEvent.setup();
    renderWizard(transport);

    const panel = screen.getByRole("region", { name: "Interrupted upload" });
    expect(panel).toHaveTextContent("Two photos");
    await user.click(within(panel).getByRole("button", { name: "Resume" }));
    const files = await within(panel).findByRole("list", { name: "Files of the interrupted upload" });
    expect(within(files).getByText("Arrived")).toBeInTheDocument();
    expect(within(files).getByText("Missing")).toBeInTheDocument();

    await user.upload(within(panel).getByLabelText("Choose files"), png("elsewhere.png"));
    expect(await within(panel).findByRole("alert")).toHaveTextContent("elsewhere.png is not part of this upload");
    await user.upload(within(panel).getByLabelText("Choose files"), png("two.png"));

    expect(await screen.findByText("Upload complete.")).toBeInTheDocument();
    expect(transport.partUrls).toHaveBeenCalledWith("s1", 1, [1]);
    expect(transport.put).toHaveBeenCalledTimes(1);
    expect(loadPending("c1")).toBeNull();
    expect(await screen.findByRole("link", { name: "Open One" })).toHaveAttribute("href", "/images/i1");
  });
});

describe("UploadPage", () => {
  it("tells members that uploads are for curators", async () => {
    setToken("member-token");
    mockFetch({ "GET /api/auth/me": { ...CURATOR, role: "USER" } });
    renderWithProviders(<UploadPage />, { route: "/upload" });
    expect(await screen.findByText(/open to curators/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Choose files")).not.toBeInTheDocument();
    setToken(null);
  });
});
