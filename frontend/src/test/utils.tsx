// Helpers for component tests: a fetch double that answers like the API, and a render wrapper with
// the app's providers (router, query client, auth, toasts).
import type { ReactElement, ReactNode } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import { createQueryClient } from "../api/queryClient";
import { AuthProvider } from "../auth/AuthContext";
import { ToastProvider } from "../components/Toast";

export type Route = (request: Request, url: URL) => Response | Promise<Response> | undefined;

export function envelope(data: unknown, meta: unknown = null, status = 200): Response {
  return new Response(JSON.stringify({ data, meta, errors: null }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function errorEnvelope(status: number, code: string, message: string, field: string | null = null): Response {
  return new Response(JSON.stringify({ data: null, meta: null, errors: [{ code, field, message }] }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** Replaces global fetch; `routes` maps "METHOD /api/path" (no query) to an answer. Unknown calls
 * answer 404 so a test sees them fail rather than hang. Returns the mock to inspect calls. */
export function mockFetch(routes: Record<string, Route | unknown>) {
  const mock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url, "http://localhost");
    const route = routes[`${request.method} ${url.pathname}`];
    if (route === undefined) return errorEnvelope(404, "NOT_FOUND", `No mock for ${request.method} ${url.pathname}`);
    if (typeof route === "function") {
      const answer = await (route as Route)(request, url);
      return answer ?? errorEnvelope(404, "NOT_FOUND", "Route declined");
    }
    return envelope(route);
  });
  vi.stubGlobal("fetch", mock);
  return mock;
}

export function requestsTo(mock: ReturnType<typeof mockFetch>, method: string, pathname: string): Request[] {
  return mock.mock.calls
    .map(([input]) => input as Request)
    .filter((r) => r instanceof Request && r.method === method && new URL(r.url).pathname === pathname);
}

export function renderWithProviders(ui: ReactElement, { route = "/" }: { route?: string } = {}) {
  const client = createQueryClient();
  function Wrapper({ children }: { children: ReactNode }) {
    return (
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[route]}>
          <ToastProvider>
            <AuthProvider>{children}</AuthProvider>
          </ToastProvider>
        </MemoryRouter>
      </QueryClientProvider>
    );
  }
  return { client, ...render(ui, { wrapper: Wrapper }) };
}
