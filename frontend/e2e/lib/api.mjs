// Direct API calls for test setup and for checking what the UI did (never a replacement for the
// UI step a spec is about). Tokens go in the Authorization header only.
export class ApiClient {
  constructor(baseUrl, token = null) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(this.baseUrl + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual",
    });
    const text = await response.text();
    const envelope = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = envelope.errors?.[0];
      throw new Error(`${method} ${path} -> ${response.status} ${error?.code ?? ""}: ${error?.message ?? text.slice(0, 200)}`);
    }
    return envelope;
  }

  async data(method, path, body) {
    return (await this.call(method, path, body)).data;
  }

  get(path) { return this.data("GET", path); }
  post(path, body = {}) { return this.data("POST", path, body); }

  async login(email, password) {
    const { token, user } = await this.post("/api/auth/login", { email, password });
    return { client: new ApiClient(this.baseUrl, token), user, token };
  }

  /** An upload session sent through its presigned PUTs, as the wizard and seed do it. */
  async upload(kind, files, fields) {
    const session = await this.post("/api/uploads", {
      kind, files: files.map((f) => ({ name: f.name, size: f.buffer.length, contentType: f.mimeType })), ...fields,
    });
    for (const [i, described] of session.files.entries()) {
      const { method, url, headers } = described.upload;
      if (method !== "PUT") throw new Error(`test files are small; got a ${method} upload`);
      const put = await fetch(url, { method: "PUT", headers, body: files[i].buffer });
      if (!put.ok) throw new Error(`presigned PUT of ${files[i].name} -> ${put.status}`);
    }
    await this.post(`/api/uploads/${session.id}/complete`);
    return session;
  }

  /** Polls a `/status` endpoint until processing is over; throws unless the asset is ready. */
  async waitReady(kind, id, timeoutMs = 60_000) {
    return waitFor(async () => {
      const status = await this.get(`/api/${kind}/${id}/status`);
      if (status.status === "error") throw Object.assign(new Error(`${kind} ${id} failed processing: ${status.error}`), { fatal: true });
      return status.status === "ready" ? status : null;
    }, { timeoutMs, what: `${kind} ${id} to be ready` });
  }
}

export async function waitFor(probe, { timeoutMs = 30_000, intervalMs = 400, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error?.fatal) throw error;
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ""}`);
}
