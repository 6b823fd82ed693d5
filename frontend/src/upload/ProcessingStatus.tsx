import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import type { UploadSession } from "./uploadClient";
import { fetchImageStatus, fetchModelStatus, type AssetStatus, type InAuditPlaceholder } from "./uploadApi";

const POLL_MS = 2000;

type Shown = { status: AssetStatus | "in-audit"; error: string | null; title: string; thumbnail?: string };

function isPlaceholder(value: unknown): value is InAuditPlaceholder {
  return Boolean((value as InAuditPlaceholder | undefined)?.placeholder);
}

const LABELS: Record<Shown["status"], string> = {
  processing: "Processing…",
  ready: "Ready",
  error: "Failed",
  "in-audit": "In audit",
};

function StatusLine({ shown, link, linkLabel }: { shown: Shown | null; link: string; linkLabel: string }) {
  if (!shown) return <span className="processing__state">Checking…</span>;
  return (
    <>
      {shown.thumbnail && <img className="processing__thumb" src={shown.thumbnail} alt={shown.title} />}
      <span className="processing__state" data-status={shown.status}>{LABELS[shown.status]}</span>
      {shown.status === "error" && shown.error && <span className="processing__error" role="alert">{shown.error}</span>}
      {shown.status === "in-audit" && (
        <span className="processing__note">A moderator is reviewing it; it stays hidden until then.</span>
      )}
      {shown.status === "ready" && <Link to={link}>{linkLabel}</Link>}
    </>
  );
}

// A model can be ready a moment before its cover's thumbnails: keep looking for them a little longer.
const COVER_GRACE_POLLS = 15;

function pollWhileProcessing(q: { state: { data?: Shown; dataUpdateCount: number } }): number | false {
  const shown = q.state.data;
  if (!shown || shown.status === "processing") return POLL_MS;
  if (shown.status === "ready" && !shown.thumbnail && q.state.dataUpdateCount < COVER_GRACE_POLLS) return POLL_MS;
  return false;
}

/** The model (or the uploaded version of it) until ingest has finished with it. */
function ModelProcessing({ session }: { session: UploadSession }) {
  const modelId = session.modelId!;
  const query = useQuery({
    queryKey: ["upload", "model-status", modelId, session.versionId],
    queryFn: async (): Promise<Shown> => {
      const status = await fetchModelStatus(modelId);
      if (isPlaceholder(status)) return { status: "in-audit", error: null, title: status.title };
      if (session.kind === "model-version") {
        const version = status.versions.find((v) => v.id === session.versionId);
        if (!version) return { status: "processing", error: null, title: status.title };
        return { status: version.status, error: version.error, title: `${status.title} · ${version.name}`,
                 thumbnail: status.cover?.grid };
      }
      return { status: status.status, error: status.error, title: status.title, thumbnail: status.cover?.grid };
    },
    refetchInterval: pollWhileProcessing,
  });
  const shown = query.data ?? null;
  return (
    <li className="processing__item">
      <span className="processing__title">{shown?.title ?? "Model"}</span>
      <StatusLine shown={shown} link={`/models/${modelId}`} linkLabel="Open model" />
    </li>
  );
}

function ImageProcessing({ imageId, name }: { imageId: string; name: string }) {
  const query = useQuery({
    queryKey: ["upload", "image-status", imageId],
    queryFn: async (): Promise<Shown> => {
      const status = await fetchImageStatus(imageId);
      if (isPlaceholder(status)) return { status: "in-audit", error: null, title: status.title };
      return { status: status.status, error: status.error, title: status.title, thumbnail: status.previews?.grid };
    },
    refetchInterval: pollWhileProcessing,
  });
  const shown = query.data ?? null;
  return (
    <li className="processing__item">
      <span className="processing__title">{shown?.title ?? name}</span>
      <StatusLine shown={shown} link={`/images/${imageId}`} linkLabel={`Open ${shown?.title ?? name}`} />
    </li>
  );
}

/** After the bytes are in: what ingest makes of them, polled until ready or failed. */
export function ProcessingStatus({ session }: { session: UploadSession }) {
  const isModel = session.kind === "model" || session.kind === "model-version";
  const images = session.files.filter((f) => f.role === "image" || f.role === "avatar" || f.role === "gallery-cover");
  return (
    <section className="processing" aria-labelledby="processing-heading">
      <h2 id="processing-heading">Processing</h2>
      <p className="processing__hint">
        The files are uploaded. Hashes, metadata and thumbnails are being prepared; this page updates by itself.
      </p>
      <ul className="processing__list" aria-label="Processing status">
        {isModel && session.modelId && <ModelProcessing session={session} />}
        {!isModel && images.map((f) => <ImageProcessing key={f.assetId} imageId={f.assetId} name={f.name} />)}
      </ul>
      {session.galleryId && session.kind === "images" && (
        <p><Link to={`/galleries/${session.galleryId}`}>Open gallery</Link></p>
      )}
    </section>
  );
}
