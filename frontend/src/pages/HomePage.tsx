// Home: newest models and images, popular tags, role-aware calls to action and trust metrics.
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useApi } from "../api/hooks";
import { useSiteConfig, useSiteStats } from "../api/site";
import { isPlaceholder, type AuditPlaceholder, type ImageSummary, type ModelSummary } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { useAuthDialogs } from "../components/AuthDialogs";
import { Chip } from "../components/Chip";
import { CuratorApplicationDialog, useMyCuratorApplication } from "../components/CuratorApplicationDialog";
import { EmptyState } from "../components/EmptyState";
import { ErrorState } from "../components/ErrorState";
import { InAuditCard } from "../components/InAuditCard";
import { Spinner } from "../components/Spinner";
import { Tile } from "../components/Tile";
import { TileGrid } from "../components/TileGrid";
import { UserLink } from "../components/UserLink";
import { usePageTitle } from "../components/usePageTitle";
import "../styles/home.css";

const SPOTLIGHT_SIZE = 10;

interface TagCount {
  slug: string;
  label: string;
  category: string | null;
  count: number;
}

const MODEL_TYPE_LABEL: Record<string, string> = {
  lora: "LoRA",
  checkpoint: "Checkpoint",
  "textual-inversion": "Embedding",
  unknown: "Model",
};

export default function HomePage() {
  const config = useSiteConfig();
  usePageTitle(null, config.data?.siteTitle);
  const { user } = useAuth();
  const navigate = useNavigate();

  const models = useApi<(ModelSummary | AuditPlaceholder)[]>(["models", "spotlight", user?.id ?? "guest"], () =>
    unwrap<(ModelSummary | AuditPlaceholder)[]>(
      api.GET("/api/models", { params: { query: { sort: "newest", pageSize: SPOTLIGHT_SIZE } } }),
    ).then((r) => r.data),
  );
  const images = useApi<(ImageSummary | AuditPlaceholder)[]>(["images", "spotlight", user?.id ?? "guest"], () =>
    unwrap<(ImageSummary | AuditPlaceholder)[]>(
      api.GET("/api/images", { params: { query: { sort: "newest", pageSize: SPOTLIGHT_SIZE } } }),
    ).then((r) => r.data),
  );
  const tags = useApi<TagCount[]>(["tags", "model", "popular"], () =>
    unwrap<TagCount[]>(api.GET("/api/tags", { params: { query: { kind: "model", pageSize: 18 } } })).then((r) => r.data),
  );

  return (
    <div className="vs-home">
      <section className="vs-home__hero" aria-labelledby="vs-home-title">
        <h1 id="vs-home-title">{config.data?.siteTitle ?? "VisionSuit"}</h1>
        <p className="vs-home__lead">
          Curated LoRA models and AI image galleries, with an on-site generator for trying them out.
        </p>
        <TrustMetrics />
      </section>

      <CallsToAction />

      <section className="vs-home__section" aria-labelledby="vs-home-tags">
        <h2 id="vs-home-tags">Popular tags</h2>
        {tags.isLoading ? (
          <Spinner label="Loading tags" />
        ) : tags.error ? (
          <ErrorState error={tags.error} onRetry={() => tags.refetch()} />
        ) : tags.data && tags.data.length > 0 ? (
          <ul className="vs-chip-row" aria-label="Popular tags">
            {tags.data.map((tag) => (
              <li key={tag.slug}>
                <Chip
                  label={tag.label}
                  count={tag.count}
                  onClick={() => navigate(`/models?tags=${encodeURIComponent(tag.slug)}`)}
                />
              </li>
            ))}
          </ul>
        ) : (
          <p className="vs-muted">No tags yet.</p>
        )}
      </section>

      <section className="vs-home__section" aria-labelledby="vs-home-models">
        <div className="vs-section-head">
          <h2 id="vs-home-models">Newest models</h2>
          <Link to="/models">All models</Link>
        </div>
        {models.isLoading ? (
          <Spinner label="Loading models" />
        ) : models.error ? (
          <ErrorState error={models.error} onRetry={() => models.refetch()} />
        ) : models.data && models.data.length > 0 ? (
          <TileGrid label="Newest models">
            {models.data.map((model) =>
              isPlaceholder(model) ? (
                <InAuditCard key={model.id} title={model.title} />
              ) : (
                <Tile
                  key={model.id}
                  title={model.title}
                  image={model.previews?.grid ?? model.previews?.preview}
                  imageAlt={`Preview of ${model.title}`}
                  href={`/models/${model.id}`}
                  badges={[MODEL_TYPE_LABEL[model.type] ?? model.type, model.baseModel].filter(Boolean) as string[]}
                  subtitle={<UserLink user={model.owner} prefix="by " />}
                />
              ),
            )}
          </TileGrid>
        ) : (
          <EmptyState title="No models yet">Models appear here as soon as curators publish them.</EmptyState>
        )}
      </section>

      <section className="vs-home__section" aria-labelledby="vs-home-images">
        <div className="vs-section-head">
          <h2 id="vs-home-images">Newest images</h2>
          <Link to="/images">All images</Link>
        </div>
        {images.isLoading ? (
          <Spinner label="Loading images" />
        ) : images.error ? (
          <ErrorState error={images.error} onRetry={() => images.refetch()} />
        ) : images.data && images.data.length > 0 ? (
          <TileGrid label="Newest images">
            {images.data.map((image) =>
              isPlaceholder(image) ? (
                <InAuditCard key={image.id} title={image.title} />
              ) : (
                <Tile
                  key={image.id}
                  title={image.title}
                  image={image.previews?.grid ?? image.previews?.preview}
                  imageAlt={image.title}
                  href={`/images/${image.id}`}
                  badges={image.isAdult ? ["NSFW"] : undefined}
                  subtitle={<UserLink user={image.owner} prefix="by " />}
                />
              ),
            )}
          </TileGrid>
        ) : (
          <EmptyState title="No images yet">Image galleries appear here once they are published.</EmptyState>
        )}
      </section>
    </div>
  );
}

function TrustMetrics() {
  const stats = useSiteStats();
  if (stats.error) return null; // the rest of the page still works without the numbers
  const value = (n: number | undefined) => (n === undefined ? "…" : n.toLocaleString());
  return (
    <dl className="vs-metrics" aria-label="Platform numbers">
      <div>
        <dt>Models</dt>
        <dd>{value(stats.data?.models)}</dd>
      </div>
      <div>
        <dt>Images</dt>
        <dd>{value(stats.data?.images)}</dd>
      </div>
      <div>
        <dt>Galleries</dt>
        <dd>{value(stats.data?.galleries)}</dd>
      </div>
    </dl>
  );
}

function CallsToAction() {
  const { user, isCurator, isAdmin, loading } = useAuth();
  const { openRegister, openLogin } = useAuthDialogs();
  const config = useSiteConfig();
  const [applyOpen, setApplyOpen] = useState(false);
  const application = useMyCuratorApplication(user?.role === "USER");
  if (loading) return null;

  if (!user) {
    return (
      <section className="vs-cta" aria-labelledby="vs-cta-title">
        <h2 id="vs-cta-title">Join the community</h2>
        <div className="vs-cta__panels">
          <article className="vs-cta__panel">
            <h3>Create an account</h3>
            <p>Members download models, like and comment, and render images with the on-site generator.</p>
            {config.data?.allowRegistration !== false ? (
              <button type="button" className="vs-button vs-button--primary" onClick={openRegister}>
                Create your account
              </button>
            ) : (
              <p className="vs-muted">Registration is closed at the moment.</p>
            )}
          </article>
          <article className="vs-cta__panel">
            <h3>Already a member?</h3>
            <p>Sign in to pick up where you left off.</p>
            <button type="button" className="vs-button" onClick={openLogin}>
              Sign in to your account
            </button>
          </article>
        </div>
      </section>
    );
  }

  const pending = application.data?.status === "pending";
  return (
    <section className="vs-cta" aria-labelledby="vs-cta-title">
      <h2 id="vs-cta-title">Take action</h2>
      <div className="vs-cta__panels">
        {isCurator && (
          <article className="vs-cta__panel">
            <h3>Share your work</h3>
            <p>Publish a LoRA with its previews, or an image batch as a gallery.</p>
            <Link className="vs-button vs-button--primary" to="/upload">
              Upload
            </Link>
          </article>
        )}
        <article className="vs-cta__panel">
          <h3>Render with the generator</h3>
          <p>Combine a base model with LoRAs from the library and queue a render.</p>
          <Link className="vs-button" to="/generator">
            Open the generator
          </Link>
        </article>
        {user.role === "USER" && (
          <article className="vs-cta__panel">
            <h3>Become a curator</h3>
            {pending ? (
              <p>Your curator application is waiting for review.</p>
            ) : (
              <>
                <p>
                  Curators upload models and galleries.
                  {application.data?.status === "rejected" ? " Your last application was declined; you may apply again." : ""}
                </p>
                <button type="button" className="vs-button" onClick={() => setApplyOpen(true)}>
                  Apply as curator
                </button>
              </>
            )}
          </article>
        )}
        {isAdmin && (
          <article className="vs-cta__panel">
            <h3>Moderation</h3>
            <p>Review flagged content, curator applications and the generator queue.</p>
            <Link className="vs-button" to="/admin">
              Open the admin workspace
            </Link>
          </article>
        )}
      </div>
      <CuratorApplicationDialog open={applyOpen} onClose={() => setApplyOpen(false)} />
    </section>
  );
}
