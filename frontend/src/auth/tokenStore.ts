// The only secret the SPA keeps: the API access token. It lives in localStorage so a reload or a
// second tab stays signed in for the token's lifetime (hours); the strict Content-Security-Policy
// the server sends (no inline or third-party script) is what keeps it out of other code's reach.
// It is sent only as an Authorization header, never in a URL.

const STORAGE_KEY = "visionsuit.accessToken";
type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled: the session lasts as long as the page
  }
}

let memoryToken: string | null = storage()?.getItem(STORAGE_KEY) ?? null;

export function getToken(): string | null {
  return memoryToken;
}

export function setToken(token: string | null): void {
  memoryToken = token;
  const store = storage();
  if (store) {
    if (token) store.setItem(STORAGE_KEY, token);
    else store.removeItem(STORAGE_KEY);
  }
  listeners.forEach((listener) => listener(token));
}

/** Reads the stored token again (tests and other tabs change storage behind this module's back). */
export function reloadToken(): string | null {
  memoryToken = storage()?.getItem(STORAGE_KEY) ?? null;
  return memoryToken;
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
