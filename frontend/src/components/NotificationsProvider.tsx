// Unread notification counts for the sidebar, kept fresh by long-polling
// /api/notifications/poll (the server holds the request up to `wait` seconds and says how long to
// pause before the next one). New items refresh the notification lists.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { NotificationPoll, UnreadCounts } from "../api/types";
import { useAuth } from "../auth/AuthContext";

const WAIT_SECONDS = 20;
const ERROR_BACKOFF_SECONDS = 30;

interface NotificationState {
  unread: UnreadCounts | null;
  totalUnread: number;
  /** Sets counts from a fresher answer (the notifications page after marking read). */
  setCounts(unread: UnreadCounts, total: number): void;
}

const NotificationContext = createContext<NotificationState>({ unread: null, totalUnread: 0, setCounts: () => undefined });

function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const [unread, setUnread] = useState<UnreadCounts | null>(null);
  const [totalUnread, setTotal] = useState(0);
  const userId = user?.id;

  useEffect(() => {
    setUnread(null);
    setTotal(0);
    if (!userId) return;
    const controller = new AbortController();
    const { signal } = controller;
    (async () => {
      let cursor: string | null = null;
      let first = true;
      while (!signal.aborted) {
        try {
          const query: { wait: number; since?: string } = { wait: first ? 0 : WAIT_SECONDS };
          if (cursor) query.since = cursor;
          const { data } = await unwrap<NotificationPoll>(
            api.GET("/api/notifications/poll", { params: { query }, signal }),
          );
          if (signal.aborted) return;
          setUnread(data.unread);
          setTotal(data.totalUnread);
          if (data.items.length > 0) void queryClient.invalidateQueries({ queryKey: ["notifications"] });
          cursor = data.cursor ?? cursor;
          first = false;
          await sleep(Math.max(1, data.pollAfterSeconds ?? 10), signal);
        } catch {
          if (signal.aborted) return;
          await sleep(ERROR_BACKOFF_SECONDS, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [userId, queryClient]);

  const setCounts = useCallback((counts: UnreadCounts, total: number) => {
    setUnread(counts);
    setTotal(total);
  }, []);

  return <NotificationContext.Provider value={{ unread, totalUnread, setCounts }}>{children}</NotificationContext.Provider>;
}

export function useNotificationCounts(): NotificationState {
  return useContext(NotificationContext);
}
