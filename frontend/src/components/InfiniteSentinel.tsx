// Placed after a cursor list: loads the next page when it scrolls into view, and offers a
// "Load more" button for keyboards and for browsers without IntersectionObserver.
import { useEffect, useRef } from "react";

export interface InfiniteSentinelProps {
  hasNextPage: boolean | undefined;
  isFetchingNextPage?: boolean;
  fetchNextPage: () => unknown;
  label?: string;
}

export function InfiniteSentinel({ hasNextPage, isFetchingNextPage, fetchNextPage, label = "Load more" }: InfiniteSentinelProps) {
  const ref = useRef<HTMLDivElement>(null);
  const fetchRef = useRef(fetchNextPage);
  fetchRef.current = fetchNextPage;
  const busyRef = useRef(isFetchingNextPage);
  busyRef.current = isFetchingNextPage;

  useEffect(() => {
    const node = ref.current;
    if (!node || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !busyRef.current) fetchRef.current();
      },
      { rootMargin: "400px 0px" },
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasNextPage]);

  if (!hasNextPage) return null;
  return (
    <div ref={ref} className="vs-sentinel">
      <button type="button" className="vs-button" onClick={() => fetchNextPage()} disabled={isFetchingNextPage}>
        {isFetchingNextPage ? "Loading…" : label}
      </button>
    </div>
  );
}
