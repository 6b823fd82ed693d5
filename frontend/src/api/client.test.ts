import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, apiUrl, unwrap } from "./client";
import { onMaintenance } from "./events";
import { getToken, setToken } from "../auth/tokenStore";
import { envelope, errorEnvelope, mockFetch } from "../test/utils";

afterEach(() => setToken(null));

function lastRequest(mock: ReturnType<typeof mockFetch>): Request {
  return mock.mock.calls.at(-1)![0] as Request;
}

describe("unwrap", () => {
  it("returns the envelope's data and meta", async () => {
    mockFetch({ "GET /api/models": () => envelope([{ id: "m1" }], { cursor: "next", pageSize: 1 }) });
    const result = await unwrap<{ id: string }[]>(api.GET("/api/models", { params: { query: { pageSize: 1 } } }));
    expect(result.data).toEqual([{ id: "m1" }]);
    expect(result.meta).toEqual({ cursor: "next", pageSize: 1 });
  });

  it("throws ApiError with status, code, field and message from the envelope", async () => {
    mockFetch({
      "POST /api/auth/register": () => errorEnvelope(400, "VALIDATION_ERROR", "Too short", "password"),
    });
    const error = await unwrap(
      api.POST("/api/auth/register", { body: { email: "a@b.c", displayName: "Ab", password: "x" } }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: "VALIDATION_ERROR", field: "password", message: "Too short" });
    expect((error as ApiError).messageFor("password")).toBe("Too short");
  });

  it("turns a network failure into a NETWORK_ERROR ApiError", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const error = await unwrap(api.GET("/api/health")).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.status).toBe(0);
  });

  it("gives a generic error for a non-envelope error body", async () => {
    mockFetch({ "GET /api/health": () => new Response("<html>Bad gateway</html>", { status: 502 }) });
    const error = await unwrap(api.GET("/api/health")).catch((e) => e);
    expect(error).toMatchObject({ status: 502, code: "INTERNAL_ERROR" });
  });

  it("accepts 204 responses without a body", async () => {
    mockFetch({ "POST /api/auth/logout": () => new Response(null, { status: 204 }) });
    await expect(unwrap(api.POST("/api/auth/logout", { body: {} }))).resolves.toEqual({ data: null, meta: null });
  });
});

describe("authentication", () => {
  it("sends the token as a bearer header and never in the URL", async () => {
    const mock = mockFetch({ "GET /api/auth/me": { id: "u1" } });
    setToken("secret-token-123");
    await unwrap(api.GET("/api/auth/me"));
    const request = lastRequest(mock);
    expect(request.headers.get("Authorization")).toBe("Bearer secret-token-123");
    expect(request.url).not.toContain("secret-token-123");
    expect(new URL(request.url).search).toBe("");
  });

  it("sends no Authorization header when signed out", async () => {
    const mock = mockFetch({ "GET /api/health": { status: "ok" } });
    await unwrap(api.GET("/api/health"));
    expect(lastRequest(mock).headers.has("Authorization")).toBe(false);
  });

  it("drops a token the API rejects with 401", async () => {
    mockFetch({ "GET /api/auth/me": () => errorEnvelope(401, "UNAUTHORIZED", "Token expired") });
    setToken("expired");
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toMatchObject({ status: 401 });
    expect(getToken()).toBeNull();
    expect(localStorage.getItem("visionsuit.accessToken")).toBeNull();
  });

  it("keeps the token after a 403 (signed in, just not allowed)", async () => {
    mockFetch({ "GET /api/users": () => errorEnvelope(403, "FORBIDDEN", "Administrators only") });
    setToken("member-token");
    await expect(unwrap(api.GET("/api/users"))).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(getToken()).toBe("member-token");
  });
});

describe("maintenance", () => {
  it("signals the shell when the API answers 503 MAINTENANCE", async () => {
    mockFetch({ "GET /api/models": () => errorEnvelope(503, "MAINTENANCE", "The site is in maintenance mode") });
    const seen = vi.fn();
    const stop = onMaintenance(seen);
    await expect(unwrap(api.GET("/api/models"))).rejects.toMatchObject({ code: "MAINTENANCE" });
    stop();
    expect(seen).toHaveBeenCalledTimes(1);
  });
});

describe("apiUrl", () => {
  it("builds same-origin API paths", () => {
    expect(apiUrl("/api/openapi.json")).toBe("/api/openapi.json");
    expect(apiUrl("api/health")).toBe("/api/health");
  });
});
