/**
 * Shapes of the administration responses. The OpenAPI document types every request (query, path,
 * body) but declares response bodies as free-form, so the payloads the presenters in
 * `chalicelib/presenters.py` produce are written down here once and shared by the admin screens.
 */

export type Role = 'USER' | 'CURATOR' | 'ADMIN';
export type Visibility = 'public' | 'private';
export type AssetKind = 'model' | 'image';
export type ContentMode = 'reassign' | 'remove';

export type PageMeta = {
  cursor: string | null;
  pageSize?: number;
  total?: number | null;
};

export interface Page<T> {
  data: T[];
  meta: PageMeta;
}

export interface AccountDeletion {
  status: string;
  content: ContentMode;
  to: string | null;
  counts: Record<string, number> | null;
  error: string | null;
  requestedBy: string | null;
  requestedAt: string | null;
  updatedAt: string | null;
  finishedAt: string | null;
}

export interface AdminUser {
  id: string;
  displayName: string;
  role: Role;
  bio: string;
  createdAt: string | null;
  email: string;
  showAdultContent: boolean;
  isActive: boolean;
  lastLoginAt: string | null;
  avatarImageId: string | null;
  updatedAt: string | null;
  deletion: AccountDeletion | null;
}

export interface CreatedUser {
  user: AdminUser;
  generatedPassword: string | null;
}

export interface UserDeletionReceipt {
  id: string;
  deletion: AccountDeletion | null;
}

export type ApplicationStatus = 'pending' | 'approved' | 'rejected';

export interface CuratorApplication {
  id: string;
  status: ApplicationStatus;
  message: string;
  createdAt: string | null;
  decidedAt: string | null;
  reason: string | null;
  decidedBy?: string | null;
  applicant: {
    id: string;
    displayName: string | null;
    role: Role | null;
    email?: string;
    isActive?: boolean;
    joinedAt?: string | null;
  };
}

/** Thumbnail URLs by size name (`grid` 256 px, `preview` 1024 px); empty while processing. */
export type Previews = Partial<Record<'grid' | 'preview', string>> & Record<string, string>;

export interface OwnerRef {
  id: string;
  displayName: string | null;
}

/** What the owner (or an admin, for a moment) sees of an asset under review. */
export interface InAuditPlaceholder {
  id: string;
  title: string;
  kind: AssetKind;
  moderation: 'flagged';
  inAudit: true;
  placeholder: true;
}

export interface AssetCard {
  id: string;
  title: string;
  tags: string[];
  owner: OwnerRef;
  previews: Previews;
  isAdult: boolean;
  status: string;
  likes: number;
  createdAt: string | null;
  updatedAt: string | null;
  visibility: Visibility;
  moderation?: string;
  inAudit?: boolean;
  placeholder?: false;
  /** Models only. */
  type?: string;
  baseModel?: string | null;
  downloads?: number;
}

export type AssetListItem = AssetCard | InAuditPlaceholder;

export type MetadataFieldType = 'text' | 'number' | 'boolean' | 'date' | 'url' | 'enum' | 'multi_enum';

// A type alias, not an interface: the generated schema types config as an open object (index signature).
export type MetadataFieldConfig = {
  enumOptions?: string[];
  /** Text fields only: values must match it in full when written. */
  validationPattern?: string;
  displayHint?: string;
};

export interface MetadataField {
  id: string;
  name: string;
  slug: string;
  type: MetadataFieldType;
  isFilterable: boolean;
  isBrowsable: boolean;
  config: MetadataFieldConfig | null;
  sortOrder: number;
  createdAt?: string | null;
  updatedAt?: string | null;
}

/** Create and edit share it; the type is only sent on create (the server keeps it fixed). */
export interface MetadataFieldInput {
  name: string;
  type: MetadataFieldType;
  isFilterable: boolean;
  isBrowsable: boolean;
  config: MetadataFieldConfig;
  sortOrder: number;
}

export type MetadataValue = string | number | boolean | string[];

export interface MetadataOperation {
  fieldSlug: string;
  action: 'set' | 'remove';
  value?: MetadataValue;
}

export type FlagReason = 'adult-unmarked' | 'illegal' | 'copyright' | 'spam' | 'harassment' | 'other';

export interface ModerationCase {
  kind: AssetKind;
  assetId: string;
  state: string;
  asset: {
    id: string;
    title: string;
    kind: AssetKind;
    type: string | null;
    owner: OwnerRef;
    thumbnail: Previews;
    visibility: Visibility;
    moderation: string;
    isAdult: boolean;
    status: string;
  } | null;
  reporterCount: number;
  reasons: Record<string, number>;
  latestDetails: {
    reason: string | null;
    details: string | null;
    reportedAt: string | null;
    reporter: { id: string | null; displayName: string | null };
  }[];
  autoReasons: string[];
  openedAt: string | null;
  firstReportedAt: string | null;
  lastReportedAt: string | null;
  hiddenAt: string | null;
  previousVisibility: Visibility | null;
  decision: { by: string | null; at: string | null; note: string | null; purgedAt: string | null } | null;
}

export type KeywordCategory = 'adult' | 'illegal';

export interface SafetyKeyword {
  id: string;
  label: string;
  category: KeywordCategory;
  createdAt: string | null;
}

export interface KeywordList {
  items: SafetyKeyword[];
  counts: Record<KeywordCategory, number>;
  limit: number;
}

export interface Recalculation {
  id: string;
  status: string;
  trigger: string | null;
  phase: string | null;
  scanned: number;
  total: number | null;
  percent: number;
  adultMarked: number;
  adultCleared: number;
  flagged: number;
  cleared: number;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  supersedes: string | null;
  error: string | null;
}

export interface Thresholds {
  adult: number;
  illegal: number;
}

export type AccessMode = 'admins' | 'members';
export type BaseModelType = 'SD1.5' | 'SDXL' | 'PonyXL' | 'SD3' | 'Flux' | 'Other';
export type BaseModelSource = 'catalog' | 'bucket';

export interface BaseModelEntry {
  id: string;
  label: string;
  type: BaseModelType;
  source: BaseModelSource;
  modelId: string | null;
  key: string | null;
  sha256: string | null;
  default: boolean;
}

export interface Size {
  width: number;
  height: number;
}

export interface GeneratorQueueSwitch {
  paused: boolean;
  declineNew: boolean;
  reason: string | null;
  changedAt?: string | null;
  changedBy?: string | null;
}

export interface GeneratorSettings {
  accessMode: AccessMode;
  enabled: boolean;
  canGenerate: boolean;
  baseModels: BaseModelEntry[];
  sizes: { presets: Size[]; default: Size; minSide: number; maxSide: number; maxPixels: number };
  samplers: string[];
  defaultSampler: string;
  schedulers: string[];
  defaultScheduler: string;
  steps: { default: number; max: number };
  cfg: { default: number; min: number; max: number };
  maxBatch: number;
  limits: { maxConcurrentPerUser: number; dailyPerUser: number; apply: boolean; adminsExempt?: boolean };
  queue: GeneratorQueueSwitch;
  version?: string;
}

/** A partial change of the generator settings (only the given keys change). */
export interface GeneratorSettingsChange {
  accessMode?: AccessMode;
  enabled?: boolean;
  baseModels?: BaseModelEntry[];
  sizes?: Partial<GeneratorSettings['sizes']>;
  samplers?: string[];
  defaultSampler?: string;
  schedulers?: string[];
  defaultScheduler?: string;
  steps?: Partial<GeneratorSettings['steps']>;
  cfg?: Partial<GeneratorSettings['cfg']>;
  maxBatch?: number;
  limits?: { maxConcurrentPerUser?: number; dailyPerUser?: number; adminsExempt?: boolean };
  version?: string;
}

export interface QueueTelemetry {
  paused: boolean;
  declineNew: boolean;
  counts: { pending: number; queued: number; running: number };
  agents: { online: number; busy: number };
}

export interface GeneratorBlock {
  userId: string;
  user: OwnerRef | null;
  reason: string;
  createdAt: string | null;
  updatedAt: string | null;
  createdBy: string | null;
  updatedBy: string | null;
}

export interface GpuAgent {
  id: string;
  name: string;
  enabled: boolean;
  createdAt: string | null;
  lastSeenAt: string | null;
  mode: 'push' | 'pull';
  busy: boolean;
  online?: boolean;
}

export interface RegisteredAgent {
  agent: GpuAgent;
  token: string;
}

/** What the admin lists show of a generation job and the request behind it. */
interface JobSummary {
  id: string;
  kind: string;
  attempt: number;
  createdAt: string | null;
  updatedAt: string | null;
  error: string | null;
  agentError?: string | null;
  ownerId: string;
  stage: string | null;
  request?: {
    prompt: string | null;
    baseModel: { id: string | null; label: string | null };
    width: number | null;
    height: number | null;
    batchSize?: number | null;
  };
}

export interface FailedJob extends JobSummary {
  status: string;
}

export type JobStatus =
  | 'pending'
  | 'queued'
  | 'dispatched'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled';

/** A generation request as GET /api/generator/requests lists it (summary form, admin view). */
export interface GenerationRequest extends JobSummary {
  status: JobStatus;
  progress: number | null;
  retryOf: string | null;
  renderIds: string[];
}

export interface ModerationSettings {
  /** Reports by distinct members that hide an asset until it is reviewed. */
  flagThreshold: number;
  /** Reports one member may file per hour. */
  flagsPerHour: number;
}

export interface RankingSettings {
  modelWeight: number;
  galleryWeight: number;
  imageWeight: number;
  isFallback: boolean;
  recompute: { status?: string; processed?: number; startedAt?: string | null; finishedAt?: string | null };
}

export interface RankTier {
  id: string;
  label: string;
  description: string;
  minimumScore: number;
  position: number;
  isActive: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface TierInput {
  label: string;
  description: string;
  minimumScore: number;
  position?: number;
  isActive: boolean;
}

export interface UserRank {
  user: { id: string; displayName: string; role: Role };
  rank: {
    score: number;
    label: string;
    nextLabel: string | null;
    nextScore: number | null;
    isBlocked: boolean;
    counts: Record<string, number>;
  };
  ranking?: {
    isBlocked: boolean;
    lastResetAt: string | null;
    resetCounts: Record<string, number> | null;
    listed: boolean;
    storedScore: number;
  };
}

export interface ServiceEndpoint {
  label: string;
  url: string;
  kind?: string | null;
}

export interface SiteSettings {
  siteTitle: string;
  allowRegistration: boolean;
  maintenanceMode: boolean;
  serviceEndpoints: ServiceEndpoint[];
}

export interface AuditEntry {
  id: string;
  action: string;
  target: { kind: string; id: string };
  actor: OwnerRef;
  details: Record<string, unknown> | null;
  createdAt: string | null;
}
