// The typed API client. Request paths, parameters and bodies are checked against the generated
// `schema.d.ts`; the API documents its responses only as the {data, meta, errors} envelope, so
// callers name the payload type when unwrapping (see ./types.ts).
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { getToken, setToken } from "../auth/tokenStore";
import { emitMaintenance } from "./events";

/** Empty means same origin (the default: `make dev` and CloudFront serve the SPA and /api together).
 * A build for a separate API origin sets VITE_API_BASE, e.g. https://api.example.com. */
const API_BASE: string = (import.meta.env.VITE_API_BASE as string | undefined)?.replace(/\/$/, "") ?? "";

export interface ApiErrorItem {
  code: string;
  field: string | null;
  message: string;
}

export interface Envelope<T = unknown> {
  data: T;
  meta: any;
  errors: ApiErrorItem[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly errors: ApiErrorItem[];

  constructor(status: number, code: string, message: string, field: string | null = null, errors: ApiErrorItem[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.errors = errors.length ? errors : [{ code, field, message }];
  }

  /** The message for one form field, if the API rejected that field. */
  messageFor(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  static fromBody(status: number, body: unknown): ApiError {
    const errors = (body as Partial<Envelope> | null)?.errors;
    if (Array.isArray(errors) && errors.length) {
      const first = errors[0];
      return new ApiError(status, first.code, first.message, first.field ?? null, errors);
    }
    return new ApiError(status, status >= 500 ? "INTERNAL_ERROR" : "HTTP_ERROR", `The server answered ${status}`);
  }
}

/** An absolute-path URL for an API path, for <a href>, <img src> and the like. Never put the token
 * in it: the API does not accept tokens from query strings. */
export function apiUrl(path: string): string {
  return `${API_BASE}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The Authorization header for code that cannot go through `api` (XMLHttpRequest progress, say).
 * Only for API origins: presigned storage URLs must be called without it. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has("Authorization")) {
      // The token expired or was revoked (password change, logout elsewhere): drop it so the UI
      // shows the signed-out state instead of failing every call.
      const sent = request.headers.get("Authorization");
      if (sent === `Bearer ${getToken()}`) setToken(null);
    }
    if (response.status === 503) {
      const body = await response.clone().json().catch(() => null);
      if (ApiError.fromBody(503, body).code === "MAINTENANCE") emitMaintenance();
    }
    return response;
  },
};

// Resolved per call (not captured once) so tests can replace global fetch.
const callFetch = (input: Request) => globalThis.fetch(input);

export const api = createClient<paths>({
  baseUrl: API_BASE || (typeof location !== "undefined" ? location.origin : ""),
  fetch: callFetch,
});
api.use(authMiddleware);

interface FetchResultLike {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Awaits an `api.GET/POST/...` call and returns the envelope's data and meta, or throws ApiError
 * (status, code, field and message from the envelope; code NETWORK_ERROR when nothing answered). */
export async function unwrap<T = unknown>(call: Promise<FetchResultLike>): Promise<{ data: T; meta: any }> {
  let result: FetchResultLike;
  try {
    result = await call;
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new ApiError(502, "BAD_RESPONSE", "The server sent a response that is not JSON");
    }
    throw new ApiError(0, "NETWORK_ERROR", "The server could not be reached. Check your connection and try again.");
  }
  const { response } = result;
  if (!response.ok) throw ApiError.fromBody(response.status, result.error);
  const body = result.data as Partial<Envelope<T>> | undefined;
  return { data: (body?.data ?? null) as T, meta: body?.meta ?? null };
}
