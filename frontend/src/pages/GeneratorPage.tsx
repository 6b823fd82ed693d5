import { useQuery } from "@tanstack/react-query";
import { useAuth } from "../auth/AuthContext";
import { ErrorState } from "../components/ErrorState";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toast";
import { GeneratorFormPanel } from "../generator/GeneratorFormPanel";
import { JobHistory } from "../generator/JobHistory";
import { GeneratorNotices, QueuePanel, generatorNotices } from "../generator/QueuePanel";
import { fetchQueue, fetchSettings, generatorKeys } from "../generator/generatorApi";
import "../styles/generator.css";

const QUEUE_POLL_MS = 5000;

/** /generator — render with a base model and LoRAs on the GPU agents, follow the queue, import renders. */
export default function GeneratorPage() {
  const { user, loading } = useAuth();
  return (
    <div className="gen-page">
      <h1>Generator</h1>
      {loading ? <Spinner label="Checking your account" />
        : user ? <GeneratorHub />
        : <p className="gen-notice" role="status">Sign in to use the generator.</p>}
    </div>
  );
}

function GeneratorHub() {
  const { user, isAdmin, isCurator } = useAuth();
  const toast = useToast();
  const settings = useQuery({ queryKey: generatorKeys.settings, queryFn: fetchSettings });
  const queue = useQuery({ queryKey: generatorKeys.queue, queryFn: fetchQueue, refetchInterval: QUEUE_POLL_MS });

  if (settings.isLoading) return <Spinner label="Loading the generator" />;
  if (settings.error || !settings.data) {
    return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} title="The generator could not be loaded" />;
  }
  const view = settings.data;
  const notices = generatorNotices(view, queue.data, isAdmin);
  const declines = queue.data?.declineNew ?? view.queue.declineNew;

  return (
    <div className="gen-layout">
      <GeneratorNotices notices={notices} />
      <div className="gen-main">
        {view.canGenerate ? (
          <GeneratorFormPanel
            settings={view}
            canSubmit={!declines && view.baseModels.length > 0}
            onSubmitted={(job) => toast.success(job.status === "pending" ? "Request queued" : "Request sent")}
          />
        ) : null}
      </div>
      <aside className="gen-side" aria-label="Queue and history">
        <QueuePanel queue={queue.data} settings={view} />
        <JobHistory userId={user!.id} isAdmin={isAdmin} isCurator={isCurator} />
      </aside>
    </div>
  );
}
