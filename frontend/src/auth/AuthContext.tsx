// Who is signed in. The token comes from tokenStore; the user from GET /api/auth/me. Changing the
// identity resets every cached query, because lists and details depend on the viewer.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, unwrap } from "../api/client";
import type { Me, Role, Session } from "../api/types";
import { getToken, onTokenChange, setToken } from "./tokenStore";

export interface RegisterInput {
  email: string;
  displayName: string;
  password: string;
}

export interface MePatch {
  displayName?: string;
  bio?: string;
  showAdultContent?: boolean;
  currentPassword?: string;
  newPassword?: string;
}

export interface AuthState {
  user: Me | null;
  token: string | null;
  /** True while the stored token is being checked on start-up. */
  loading: boolean;
  login(email: string, password: string): Promise<Me>;
  register(input: RegisterInput): Promise<Me>;
  logout(): Promise<void>;
  refresh(): Promise<Me | null>;
  updateMe(patch: MePatch): Promise<Me>;
  isAdmin: boolean;
  isCurator: boolean;
}

const AuthContext = createContext<AuthState | null>(null);

const ROLE_ORDER: Record<Role, number> = { USER: 1, CURATOR: 2, ADMIN: 3 };

export function hasRole(user: Me | null, role: Role): boolean {
  return !!user && ROLE_ORDER[user.role] >= ROLE_ORDER[role];
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const [user, setUser] = useState<Me | null>(null);
  const [loading, setLoading] = useState<boolean>(() => getToken() !== null);

  const fetchMe = useCallback(async (): Promise<Me | null> => {
    if (!getToken()) {
      setUser(null);
      return null;
    }
    try {
      const { data } = await unwrap<Me>(api.GET("/api/auth/me"));
      setUser(data);
      return data;
    } catch (e) {
      // 401 already cleared the token (client middleware); other errors keep it for a retry.
      if (e instanceof ApiError && e.status === 401) setUser(null);
      throw e;
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    fetchMe().catch(() => undefined);
    return onTokenChange((next) => {
      setTokenState(next);
      if (!next) setUser(null);
    });
  }, [fetchMe]);

  const startSession = useCallback(
    (session: Session) => {
      setToken(session.token);
      setUser(session.user);
      void queryClient.resetQueries();
      return session.user;
    },
    [queryClient],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      const { data } = await unwrap<Session>(api.POST("/api/auth/login", { body: { email, password } }));
      return startSession(data);
    },
    [startSession],
  );

  const register = useCallback(
    async (input: RegisterInput) => {
      const { data } = await unwrap<Session>(api.POST("/api/auth/register", { body: input }));
      return startSession(data);
    },
    [startSession],
  );

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/auth/logout", { body: { allDevices: false } }));
    } catch {
      // Signing out locally must work even when the server cannot be reached.
    }
    setToken(null);
    setUser(null);
    queryClient.clear();
  }, [queryClient]);

  const updateMe = useCallback(
    async (patch: MePatch) => {
      const { data } = await unwrap<{ user: Me; session?: Session }>(api.PATCH("/api/auth/me", { body: patch }));
      // A password change revokes every token, this one included, and hands back its successor.
      if (data.session) setToken(data.session.token);
      setUser(data.user);
      if (patch.showAdultContent !== undefined) void queryClient.invalidateQueries();
      return data.user;
    },
    [queryClient],
  );

  const value = useMemo<AuthState>(
    () => ({
      user,
      token,
      loading,
      login,
      register,
      logout,
      refresh: fetchMe,
      updateMe,
      isAdmin: hasRole(user, "ADMIN"),
      isCurator: hasRole(user, "CURATOR"),
    }),
    [user, token, loading, login, register, logout, fetchMe, updateMe],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth must be used inside <AuthProvider>");
  return ctx;
}

/** Shows its children only to a signed-in user with at least `role`; others get an explanation
 * (the API enforces the rule either way; this only avoids showing controls that cannot work). */
export function RequireRole({ role, children, fallback }: { role: Role; children: ReactNode; fallback?: ReactNode }) {
  const { user, loading } = useAuth();
  if (loading) return null;
  if (hasRole(user, role)) return <>{children}</>;
  if (fallback !== undefined) return <>{fallback}</>;
  const needed = role === "ADMIN" ? "an administrator" : role === "CURATOR" ? "a curator" : "a signed-in member";
  return (
    <section className="vs-empty" role="alert">
      <h2>Not available</h2>
      <p>{user ? `This page is for ${needed}.` : `Sign in as ${needed} to see this page.`}</p>
    </section>
  );
}
