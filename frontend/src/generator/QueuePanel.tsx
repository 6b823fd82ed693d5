import type { GeneratorSettingsView, QueueView } from "./types";

/** Live queue telemetry: what waits, what runs, which GPU agents are there, and my own usage. */
export function QueuePanel({ queue, settings }: { queue: QueueView | undefined; settings: GeneratorSettingsView }) {
  if (!queue) return null;
  const waiting = queue.counts.pending + queue.counts.queued;
  const limits = settings.limits;
  return (
    <section className="gen-queue" aria-labelledby="gen-queue-heading">
      <h2 id="gen-queue-heading">Queue</h2>
      <dl className="gen-queue__stats">
        <div><dt>Waiting</dt><dd>{waiting}</dd></div>
        <div><dt>Rendering</dt><dd>{queue.counts.running}</dd></div>
        <div><dt>GPU agents online</dt><dd>{queue.agents.online}</dd></div>
        <div><dt>GPU agents busy</dt><dd>{queue.agents.busy}</dd></div>
        <div>
          <dt>Your active requests</dt>
          <dd>{queue.mine.active}{limits.apply && limits.maxConcurrentPerUser ? ` of ${limits.maxConcurrentPerUser}` : ""}</dd>
        </div>
        <div>
          <dt>Your requests today</dt>
          <dd>{queue.mine.today}{limits.apply && limits.dailyPerUser ? ` of ${limits.dailyPerUser}` : ""}</dd>
        </div>
      </dl>
      {queue.agents.online === 0 && !queue.paused && (
        <p className="gen-hint">No GPU agent is online right now; requests wait until one connects.</p>
      )}
    </section>
  );
}

export interface Notice {
  kind: "blocked" | "off" | "admins" | "paused";
  text: string;
}

/**
 * Why the generator may not take a request from this person now, from the settings view (access
 * mode, switch, block) and the queue (pause). Several can apply at once.
 */
export function generatorNotices(settings: GeneratorSettingsView, queue: QueueView | undefined, isAdmin: boolean): Notice[] {
  const notices: Notice[] = [];
  if (!settings.enabled) notices.push({ kind: "off", text: "The generator is switched off at the moment. Please try again later." });
  if (settings.accessMode === "admins" && !isAdmin) {
    notices.push({ kind: "admins", text: "The generator is currently open to administrators only." });
  }
  const blockReason = settings.block?.reason ?? (queue?.blocked ? queue.blockReason : null);
  if (settings.block || queue?.blocked) {
    notices.push({ kind: "blocked", text: `Your generator access is suspended${blockReason ? `: ${blockReason}` : "."}` });
  }
  const paused = queue?.paused ?? settings.queue.paused;
  const declines = queue?.declineNew ?? settings.queue.declineNew;
  if (paused || declines) {
    const reason = settings.queue.reason ? ` Reason: ${settings.queue.reason}` : "";
    notices.push({
      kind: "paused",
      text: declines
        ? `The queue is paused and not taking new requests.${reason}`
        : `The queue is paused: new requests wait until it resumes.${reason}`,
    });
  }
  return notices;
}

export function GeneratorNotices({ notices }: { notices: Notice[] }) {
  if (!notices.length) return null;
  return (
    <div className="gen-notices" role="status">
      {notices.map((n) => (
        <p key={n.kind} className="gen-notice" data-kind={n.kind}>{n.text}</p>
      ))}
    </div>
  );
}
