// Data hooks every screen uses: plain queries, cursor-paged lists and mutations, all over TanStack
// Query with ApiError as the error type.
import { useMemo } from "react";
import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryKey,
  type UseQueryOptions,
} from "@tanstack/react-query";
import type { ApiError } from "./client";

export type ApiQueryOptions<T> = Omit<UseQueryOptions<T, ApiError, T, QueryKey>, "queryKey" | "queryFn">;

/** One request as a cached query. `fn` usually is `() => unwrap<X>(api.GET(...)).then(r => r.data)`. */
export function useApi<T>(key: unknown[], fn: () => Promise<T>, opts?: ApiQueryOptions<T>) {
  return useQuery<T, ApiError, T, QueryKey>({ queryKey: key, queryFn: fn, ...opts });
}

export interface CursorPage<T> {
  data: T[];
  meta: { cursor?: string | null; [key: string]: unknown } | null;
}

/** A list the API pages with its opaque `cursor` (meta.cursor null = last page). `fetchPage` gets
 * undefined for the first page; pass it to the API's `cursor` query parameter. */
export function useCursorList<T>(
  key: unknown[],
  fetchPage: (cursor?: string) => Promise<CursorPage<T>>,
  opts?: { enabled?: boolean; refetchInterval?: number | false },
) {
  const query = useInfiniteQuery<CursorPage<T>, ApiError, InfiniteData<CursorPage<T>, string | undefined>, QueryKey, string | undefined>({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.meta?.cursor ?? undefined,
    enabled: opts?.enabled,
    refetchInterval: opts?.refetchInterval,
  });
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.data) ?? [], [query.data]);
  return {
    items,
    fetchNextPage: query.fetchNextPage,
    hasNextPage: query.hasNextPage,
    isFetchingNextPage: query.isFetchingNextPage,
    isLoading: query.isLoading,
    error: query.error,
    refetch: query.refetch,
  };
}

export interface ApiMutationOptions<TResult, TVars> {
  /** Query keys (prefixes) to refetch after success. */
  invalidate?: unknown[][];
  onSuccess?: (result: TResult, vars: TVars) => void;
  onError?: (error: ApiError, vars: TVars) => void;
}

/** A write call; on success the listed query keys are invalidated so the screens refetch. */
export function useApiMutation<TVars = void, TResult = unknown>(
  fn: (vars: TVars) => Promise<TResult>,
  opts: ApiMutationOptions<TResult, TVars> = {},
) {
  const client = useQueryClient();
  return useMutation<TResult, ApiError, TVars>({
    mutationFn: fn,
    onSuccess: async (result, vars) => {
      await Promise.all((opts.invalidate ?? []).map((queryKey) => client.invalidateQueries({ queryKey })));
      opts.onSuccess?.(result, vars);
    },
    onError: (error, vars) => opts.onError?.(error, vars),
  });
}
