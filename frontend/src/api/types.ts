// Payload shapes of API responses. The OpenAPI document types requests fully but describes
// responses only as the {data, meta, errors} envelope, so these mirror chalicelib/presenters.py.
// Keep fields optional where the API omits them for some viewers.

export type Role = "USER" | "CURATOR" | "ADMIN";

export interface Me {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  bio: string;
  showAdultContent: boolean;
  isActive: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface Session {
  token: string;
  tokenType: "Bearer";
  expiresAt: string;
  user: Me;
}

export interface Owner {
  id: string;
  displayName: string;
}

/** Signed, short-lived URLs of the WebP renditions. */
export interface Previews {
  grid?: string | null;
  preview?: string | null;
  [size: string]: string | null | undefined;
}

export interface ModelSummary {
  id: string;
  title: string;
  type: "lora" | "checkpoint" | "textual-inversion" | "unknown";
  baseModel: string | null;
  tags: string[];
  triggerWords: string[];
  owner: Owner | null;
  previews: Previews | null;
  isAdult: boolean;
  status: string;
  primaryVersionId: string | null;
  downloads: number;
  likes: number;
  createdAt: string;
  updatedAt: string;
  visibility: "public" | "private";
  moderation?: string;
  inAudit?: boolean;
}

export interface ImageSummary {
  id: string;
  title: string;
  tags: string[];
  owner: Owner | null;
  previews: Previews | null;
  width: number | null;
  height: number | null;
  isAdult: boolean;
  status: string;
  likes: number;
  createdAt: string;
  updatedAt: string;
  visibility: "public" | "private";
  moderation?: string;
  inAudit?: boolean;
}

/** What a list returns instead of an item the viewer may not see in full (flagged, "In Audit"). */
export interface AuditPlaceholder {
  id: string;
  title: string;
  kind: string;
  moderation: "flagged";
  inAudit: true;
  placeholder: true;
}

export function isPlaceholder(item: unknown): item is AuditPlaceholder {
  return typeof item === "object" && item !== null && (item as { placeholder?: unknown }).placeholder === true;
}

export interface GallerySummary {
  id: string;
  title: string;
  description?: string;
  owner: Owner | null;
  cover?: Previews | null;
  visibility: "public" | "private";
  entryCount?: number;
  createdAt: string;
  updatedAt?: string;
  inAudit?: boolean;
}

export type ComponentState = "ok" | "degraded" | "down" | "online" | "offline" | "busy" | "disabled" | string;

export interface Health {
  status: string;
  components: {
    api?: ComponentState;
    storage?: ComponentState;
    database?: ComponentState;
    queue?: ComponentState;
    gpuAgent?: ComponentState;
    [name: string]: ComponentState | undefined;
  };
  time: number;
}

export interface SiteConfig {
  siteTitle: string;
  allowRegistration: boolean;
  maintenanceMode: boolean;
  serviceEndpoints: { name?: string; label?: string; url?: string }[];
}

export interface SiteStats {
  models: number;
  images: number;
  galleries: number;
}

export type NotificationCategory = "announcements" | "moderation" | "likes" | "comments";

export interface AppNotification {
  id: string;
  category: NotificationCategory;
  type: string;
  title: string;
  body: string;
  link: { kind: string; id: string; [key: string]: string } | null;
  actorId: string | null;
  read: boolean;
  createdAt: string;
}

export type UnreadCounts = Record<NotificationCategory, number>;

export interface NotificationList {
  items: AppNotification[];
  unread: UnreadCounts;
  totalUnread: number;
}

export interface NotificationPoll extends NotificationList {
  cursor: string | null;
  pollAfterSeconds: number;
}

export interface Rank {
  score: number;
  label: string;
  description: string;
  minimumScore: number;
  nextLabel: string | null;
  nextScore: number | null;
  isBlocked: boolean;
  counts: { models: number; galleries: number; images: number };
}

export interface Profile {
  id: string;
  displayName: string;
  role: Role;
  bio: string;
  createdAt: string;
  joinedAt: string;
  avatar: Previews | null;
  rank: Rank | null;
  stats: { modelCount: number; imageCount: number; galleryCount: number; receivedLikeCount: number };
  models: { items: (ModelSummary | AuditPlaceholder)[]; cursor: string | null };
  images?: { items: (ImageSummary | AuditPlaceholder)[]; cursor: string | null };
  galleries: { items: (GallerySummary | AuditPlaceholder)[]; cursor: string | null };
}

export interface UploadFileTicket {
  index: number;
  name: string;
  role: string;
  size: number;
  assetId: string;
  multipart: boolean;
  upload?: { method: "PUT"; url: string; headers: Record<string, string> };
  parts?: { partNumber: number; url: string }[];
  uploaded?: boolean;
  status?: string;
  error?: string | null;
}

export interface UploadSession {
  id: string;
  kind: "model" | "model-version" | "images" | "avatar" | "gallery-cover";
  status: string;
  createdAt: string;
  expiresAt: string;
  modelId: string | null;
  versionId: string | null;
  galleryId: string | null;
  files: UploadFileTicket[];
}

export interface CuratorApplication {
  id: string;
  status: "pending" | "approved" | "rejected" | string;
  message: string;
  createdAt: string;
  decidedAt: string | null;
  /** The administrator's note when deciding. */
  reason: string | null;
}

// -- operations: the admin system view (GET /api/admin/system) -------------------------------

export interface QueueDepth {
  name: string;
  /** false: the queue could not be read (its counts are null). */
  reachable: boolean;
  visible: number | null;
  inFlight: number | null;
  delayed: number | null;
  deadLetter: { visible: number; inFlight: number } | null;
}

/** The last report of a scheduled job; `report` is the job's own summary (counts, ids, limits). */
export interface ScheduledRun {
  name: string;
  ranAt: string | null;
  report: Record<string, unknown> | null;
}

export interface SystemOverview {
  queues: QueueDepth[];
  schedules: ScheduledRun[];
  health: Health;
}

export interface RedriveResult {
  queue: string;
  moved: number;
  failed: number;
  /** Messages still in the dead-letter queue afterwards. */
  deadLetter: number;
}
