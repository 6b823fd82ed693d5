// Site-wide queries the shell and several pages share.
import { api, unwrap } from "./client";
import { useApi } from "./hooks";
import type { Health, SiteConfig, SiteStats } from "./types";

export const HEALTH_POLL_MS = 15_000;

export function useSiteConfig() {
  return useApi<SiteConfig>(["meta", "config"], () => unwrap<SiteConfig>(api.GET("/api/meta/config")).then((r) => r.data), {
    staleTime: 60_000,
  });
}

export function useHealth() {
  return useApi<Health>(["health"], () => unwrap<Health>(api.GET("/api/health")).then((r) => r.data), {
    refetchInterval: HEALTH_POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
    staleTime: 0,
  });
}

export function useSiteStats() {
  return useApi<SiteStats>(["meta", "stats"], () => unwrap<SiteStats>(api.GET("/api/meta/stats")).then((r) => r.data));
}
