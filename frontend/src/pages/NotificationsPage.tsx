// Notification centre: categories with unread counts, the list (cursor-paged), mark one or all read.
// The shell's long-poll refreshes this list when something new arrives.
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useApiMutation, useCursorList } from "../api/hooks";
import type { AppNotification, NotificationCategory, NotificationList, UnreadCounts } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { useAuthDialogs } from "../components/AuthDialogs";
import { EmptyState } from "../components/EmptyState";
import { ErrorState } from "../components/ErrorState";
import { InfiniteSentinel } from "../components/InfiniteSentinel";
import { useNotificationCounts } from "../components/NotificationsProvider";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toast";
import { usePageTitle } from "../components/usePageTitle";
import "../styles/notifications.css";

const CATEGORIES: { key: NotificationCategory | "all"; label: string }[] = [
  { key: "all", label: "All" },
  { key: "announcements", label: "Announcements" },
  { key: "moderation", label: "Moderation" },
  { key: "likes", label: "Likes" },
  { key: "comments", label: "Comments" },
];

export function notificationTarget(n: AppNotification, isAdmin: boolean): string | null {
  const link = n.link;
  if (!link) return null;
  switch (link.kind) {
    case "model":
      return `/models/${encodeURIComponent(link.id)}`;
    case "image":
      return `/images/${encodeURIComponent(link.id)}`;
    case "gallery":
      return `/galleries/${encodeURIComponent(link.id)}`;
    case "generator":
      return "/generator";
    case "moderation":
      return isAdmin ? "/admin/moderation" : null;
    case "curator-application":
      return isAdmin ? "/admin/applications" : null;
    default:
      return null;
  }
}

export default function NotificationsPage() {
  usePageTitle("Notifications");
  const { user, loading } = useAuth();
  const { openLogin } = useAuthDialogs();
  if (loading) return <Spinner />;
  if (!user) {
    return (
      <div className="vs-page">
        <h1>Notifications</h1>
        <EmptyState
          title="Sign in to see your notifications"
          action={
            <button type="button" className="vs-button vs-button--primary" onClick={openLogin}>
              Sign in to continue
            </button>
          }
        >
          Likes, comments, moderation decisions and announcements collect here.
        </EmptyState>
      </div>
    );
  }
  return <NotificationCentre />;
}

function NotificationCentre() {
  const { isAdmin } = useAuth();
  const toast = useToast();
  const counts = useNotificationCounts();
  const [category, setCategory] = useState<NotificationCategory | "all">("all");
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [listCounts, setListCounts] = useState<{ unread: UnreadCounts; total: number } | null>(null);

  const list = useCursorList<AppNotification>(["notifications", category, unreadOnly], async (cursor) => {
    const query: { category?: NotificationCategory; unread?: boolean; cursor?: string; pageSize: number } = { pageSize: 30 };
    if (category !== "all") query.category = category;
    if (unreadOnly) query.unread = true;
    if (cursor) query.cursor = cursor;
    const { data, meta } = await unwrap<NotificationList>(api.GET("/api/notifications", { params: { query } }));
    setListCounts({ unread: data.unread, total: data.totalUnread });
    counts.setCounts(data.unread, data.totalUnread);
    return { data: data.items, meta };
  });

  const unread = listCounts?.unread ?? counts.unread;
  const totalUnread = listCounts?.total ?? counts.totalUnread;

  const markRead = useApiMutation(
    (id: string) =>
      unwrap(api.POST("/api/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    { invalidate: [["notifications"]], onError: (e) => toast.error(e) },
  );
  const markAll = useApiMutation(
    () => unwrap(api.POST("/api/notifications/read-all", { body: category === "all" ? {} : { category } })),
    {
      invalidate: [["notifications"]],
      onSuccess: () => toast.success(category === "all" ? "All notifications marked read" : "Category marked read"),
      onError: (e) => toast.error(e),
    },
  );

  const countFor = (key: NotificationCategory | "all") => (key === "all" ? totalUnread : (unread?.[key] ?? 0));
  const activeLabel = CATEGORIES.find((c) => c.key === category)?.label ?? "All";

  return (
    <div className="vs-page vs-notifications">
      <div className="vs-section-head">
        <h1>Notifications</h1>
        <div className="vs-notifications__actions">
          <label className="vs-switch">
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} />
            <span>Unread only</span>
          </label>
          <button
            type="button"
            className="vs-button"
            onClick={() => markAll.mutate()}
            disabled={markAll.isPending || countFor(category) === 0}
          >
            Mark all read
          </button>
        </div>
      </div>

      <div className="vs-tabs" role="tablist" aria-label="Notification categories">
        {CATEGORIES.map((c) => {
          const n = countFor(c.key);
          return (
            <button
              key={c.key}
              type="button"
              role="tab"
              id={`vs-tab-${c.key}`}
              aria-selected={category === c.key}
              aria-controls="vs-notification-panel"
              className={`vs-tab${category === c.key ? " vs-tab--active" : ""}`}
              onClick={() => setCategory(c.key)}
            >
              {c.label}
              {n > 0 && (
                <span className="vs-count" aria-label={`${n} unread`}>
                  {n}
                </span>
              )}
            </button>
          );
        })}
      </div>

      <section id="vs-notification-panel" role="tabpanel" aria-labelledby={`vs-tab-${category}`}>
        {list.isLoading ? (
          <Spinner label="Loading notifications" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={() => list.refetch()} />
        ) : list.items.length === 0 ? (
          <EmptyState title={unreadOnly ? "Nothing unread" : "No notifications yet"}>
            {category === "all" ? "You are all caught up." : `Nothing in ${activeLabel}.`}
          </EmptyState>
        ) : (
          <ul className="vs-notification-list" aria-label={`${activeLabel} notifications`}>
            {list.items.map((n) => {
              const target = notificationTarget(n, isAdmin);
              return (
                <li key={n.id} className={`vs-notification${n.read ? "" : " vs-notification--unread"}`}>
                  <div className="vs-notification__body">
                    <p className="vs-notification__meta">
                      <span className="vs-notification__category">{CATEGORIES.find((c) => c.key === n.category)?.label}</span>
                      <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
                      {!n.read && <span className="vs-badge vs-badge--accent">Unread</span>}
                    </p>
                    <h2 className="vs-notification__title">
                      {target ? (
                        <Link to={target} onClick={() => !n.read && markRead.mutate(n.id)}>
                          {n.title}
                        </Link>
                      ) : (
                        n.title
                      )}
                    </h2>
                    {n.body && <p className="vs-notification__text">{n.body}</p>}
                  </div>
                  {!n.read && (
                    <button
                      type="button"
                      className="vs-button vs-button--small"
                      aria-label={`Mark “${n.title}” read`}
                      onClick={() => markRead.mutate(n.id)}
                      disabled={markRead.isPending && markRead.variables === n.id}
                    >
                      Mark read
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <InfiniteSentinel hasNextPage={list.hasNextPage} isFetchingNextPage={list.isFetchingNextPage} fetchNextPage={list.fetchNextPage} />
      </section>
    </div>
  );
}
