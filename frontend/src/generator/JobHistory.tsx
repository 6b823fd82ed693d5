import { useState } from "react";
import { useCursorList } from "../api/hooks";
import { ErrorState } from "../components/ErrorState";
import { InfiniteSentinel } from "../components/InfiniteSentinel";
import { Spinner } from "../components/Spinner";
import { JobCard } from "./JobCard";
import { fetchRequestsPage, generatorKeys } from "./generatorApi";
import type { GenerationJob } from "./types";

interface JobHistoryProps {
  userId: string;
  isAdmin: boolean;
  isCurator: boolean;
}

/** Requests newest first, paged with the API's cursor; each card follows its own job live. */
export function JobHistory({ userId, isAdmin, isCurator }: JobHistoryProps) {
  const [scope, setScope] = useState<"mine" | "all">("mine");
  const list = useCursorList<GenerationJob>([...generatorKeys.requests(scope)], (cursor) => fetchRequestsPage(scope, cursor));

  return (
    <section className="gen-history" aria-labelledby="gen-history-heading">
      <div className="gen-history__head">
        <h2 id="gen-history-heading">{scope === "all" ? "Everyone's requests" : "Your requests"}</h2>
        {isAdmin && (
          <div className="gen-field gen-field--inline">
            <label htmlFor="gen-history-scope">Show</label>
            <select id="gen-history-scope" value={scope} onChange={(e) => setScope(e.target.value as "mine" | "all")}>
              <option value="mine">My requests</option>
              <option value="all">Everyone's requests</option>
            </select>
          </div>
        )}
        <button type="button" className="vs-button" onClick={() => void list.refetch()}>Refresh</button>
      </div>
      {list.isLoading && <Spinner label="Loading requests" />}
      {list.error && <ErrorState error={list.error} onRetry={() => void list.refetch()} />}
      {!list.isLoading && !list.error && list.items.length === 0 && (
        <p className="gen-hint">No requests yet. Your renders will appear here.</p>
      )}
      {list.items.length > 0 && (
        <ul className="gen-history__list" aria-label="Generation requests">
          {list.items.map((job) => (
            <li key={job.id}>
              {/* Only the owner's renders can be published, into the owner's galleries. */}
              <JobCard summary={job} userId={userId} canImport={isCurator && job.ownerId === userId}
                       isAdmin={isAdmin} />
            </li>
          ))}
        </ul>
      )}
      <InfiniteSentinel hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage}
                        fetchNextPage={list.fetchNextPage} label="Load older requests" />
    </section>
  );
}
