// Curator spotlight /users/:userId: avatar, bio, rank card, stats, models and galleries.
import { useState } from "react";
import { useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useApi } from "../api/hooks";
import { isPlaceholder, type Profile } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { AccountSettingsDialog } from "../components/AccountSettingsDialog";
import { Avatar } from "../components/Avatar";
import { EmptyState } from "../components/EmptyState";
import { ErrorState } from "../components/ErrorState";
import { InAuditCard } from "../components/InAuditCard";
import { Spinner } from "../components/Spinner";
import { Tile } from "../components/Tile";
import { TileGrid } from "../components/TileGrid";
import { usePageTitle } from "../components/usePageTitle";
import "../styles/profile.css";

const ROLE_LABEL = { USER: "Member", CURATOR: "Curator", ADMIN: "Administrator" } as const;

export default function ProfilePage() {
  const { userId = "" } = useParams();
  const { user } = useAuth();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const profile = useApi<Profile>(["users", userId, "profile", user?.id ?? "guest"], () =>
    unwrap<Profile>(api.GET("/api/users/{user_id}/profile", { params: { path: { user_id: userId } } })).then((r) => r.data),
  );
  usePageTitle(profile.data?.displayName ?? "Profile");

  if (profile.isLoading) return <Spinner label="Loading profile" />;
  if (profile.error || !profile.data) {
    return (
      <div className="vs-page">
        <ErrorState title="Profile unavailable" error={profile.error} onRetry={() => profile.refetch()} />
      </div>
    );
  }
  const p = profile.data;
  const isMe = user?.id === p.id;
  const galleries = p.galleries?.items ?? [];
  const models = p.models?.items ?? [];
  const joined = new Date(p.joinedAt ?? p.createdAt).toLocaleDateString(undefined, { year: "numeric", month: "long" });

  return (
    <div className="vs-page vs-profile">
      <header className="vs-profile__header">
        <Avatar name={p.displayName} previews={p.avatar} size={96} />
        <div className="vs-profile__who">
          <h1>{p.displayName}</h1>
          <p className="vs-profile__role">
            <span className="vs-badge">{ROLE_LABEL[p.role] ?? p.role}</span> <span className="vs-muted">Joined {joined}</span>
          </p>
          {p.bio ? <p className="vs-profile__bio">{p.bio}</p> : <p className="vs-muted">No bio yet.</p>}
          {isMe && (
            <button type="button" className="vs-button" onClick={() => setSettingsOpen(true)}>
              Edit profile
            </button>
          )}
        </div>
      </header>

      <div className="vs-profile__cards">
        {p.rank && (
          <section className="vs-card vs-rank" aria-labelledby="vs-rank-title">
            <h2 id="vs-rank-title">Rank</h2>
            <p className="vs-rank__label">{p.rank.label}</p>
            {p.rank.isBlocked ? (
              <p className="vs-rank__blocked">Ranking paused by an administrator</p>
            ) : (
              <>
                <p className="vs-muted">{p.rank.description}</p>
                <p>
                  Score <strong>{p.rank.score}</strong>
                  {p.rank.nextLabel && p.rank.nextScore !== null && (
                    <>
                      {" "}
                      · {Math.max(0, p.rank.nextScore - p.rank.score)} to {p.rank.nextLabel}
                    </>
                  )}
                </p>
                {p.rank.nextScore !== null && (
                  <progress
                    className="vs-rank__progress"
                    aria-label={`Progress to ${p.rank.nextLabel ?? "next rank"}`}
                    max={Math.max(1, p.rank.nextScore - p.rank.minimumScore)}
                    value={Math.max(0, p.rank.score - p.rank.minimumScore)}
                  />
                )}
              </>
            )}
          </section>
        )}
        <section className="vs-card" aria-labelledby="vs-stats-title">
          <h2 id="vs-stats-title">Stats</h2>
          <dl className="vs-metrics vs-metrics--compact">
            <div>
              <dt>Models</dt>
              <dd>{p.stats.modelCount}</dd>
            </div>
            <div>
              <dt>Images</dt>
              <dd>{p.stats.imageCount}</dd>
            </div>
            <div>
              <dt>Galleries</dt>
              <dd>{p.stats.galleryCount}</dd>
            </div>
            <div>
              <dt>Likes received</dt>
              <dd>{p.stats.receivedLikeCount}</dd>
            </div>
          </dl>
        </section>
      </div>

      <section className="vs-home__section" aria-labelledby="vs-profile-models">
        <h2 id="vs-profile-models">Models</h2>
        {models.length === 0 ? (
          <EmptyState title="No models to show" />
        ) : (
          <TileGrid label={`Models by ${p.displayName}`}>
            {models.map((m) =>
              isPlaceholder(m) ? (
                <InAuditCard key={m.id} title={m.title} />
              ) : (
                <Tile
                  key={m.id}
                  title={m.title}
                  image={m.previews?.grid ?? m.previews?.preview}
                  imageAlt={`Preview of ${m.title}`}
                  href={`/models/${m.id}`}
                  badges={[m.baseModel].filter(Boolean) as string[]}
                />
              ),
            )}
          </TileGrid>
        )}
      </section>

      <section className="vs-home__section" aria-labelledby="vs-profile-galleries">
        <h2 id="vs-profile-galleries">Galleries</h2>
        {galleries.length === 0 ? (
          <EmptyState title="No galleries to show" />
        ) : (
          <TileGrid label={`Galleries by ${p.displayName}`}>
            {galleries.map((g) =>
              isPlaceholder(g) ? (
                <InAuditCard key={g.id} title={g.title} />
              ) : (
                <Tile
                  key={g.id}
                  title={g.title}
                  image={g.cover?.grid ?? g.cover?.preview}
                  imageAlt={`Cover of ${g.title}`}
                  href={`/galleries/${g.id}`}
                  badges={g.visibility === "private" ? ["Private"] : undefined}
                />
              ),
            )}
          </TileGrid>
        )}
      </section>
      {isMe && <AccountSettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />}
    </div>
  );
}
