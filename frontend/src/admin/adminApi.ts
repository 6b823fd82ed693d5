/**
 * Every administration request the admin workspace makes, typed by the generated OpenAPI schema
 * (paths, query, body) and by `./types` for the responses.
 */
import { api, unwrap } from '../api/client';
import type {
  AdminUser,
  AssetKind,
  AssetListItem,
  AuditEntry,
  ContentMode,
  CreatedUser,
  CuratorApplication,
  ApplicationStatus,
  FailedJob,
  GenerationRequest,
  GeneratorBlock,
  JobStatus,
  GeneratorQueueSwitch,
  GeneratorSettings,
  GeneratorSettingsChange,
  GpuAgent,
  KeywordCategory,
  KeywordList,
  MetadataField,
  MetadataFieldInput,
  MetadataOperation,
  ModerationCase,
  ModerationSettings,
  Page,
  QueueTelemetry,
  RankingSettings,
  RankTier,
  Recalculation,
  RegisteredAgent,
  Role,
  SafetyKeyword,
  SiteSettings,
  ServiceEndpoint,
  Thresholds,
  TierInput,
  UserDeletionReceipt,
  UserRank,
  Visibility,
} from './types';

type ApiCall = Parameters<typeof unwrap>[0];

async function data<T>(request: ApiCall): Promise<T> {
  return (await unwrap<T>(request)).data;
}

async function page<T>(request: ApiCall): Promise<Page<T>> {
  const { data: items, meta } = await unwrap<T[]>(request);
  return { data: items, meta: { cursor: meta?.cursor ?? null, pageSize: meta?.pageSize, total: meta?.total } };
}

// -- users -------------------------------------------------------------------------------------

export interface UserFilter {
  q?: string;
  role?: Role | '';
  active?: boolean | null;
}

export function listUsers(filter: UserFilter, cursor?: string, pageSize = 50): Promise<Page<AdminUser>> {
  return page<AdminUser>(
    api.GET('/api/users', {
      params: {
        query: {
          q: filter.q || undefined,
          role: filter.role || undefined,
          active: filter.active ?? undefined,
          cursor: cursor || undefined,
          pageSize,
        },
      },
    }),
  );
}

export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  password?: string;
  bio?: string;
}

export function createUser(user: NewUser): Promise<CreatedUser> {
  return data<CreatedUser>(
    api.POST('/api/users', {
      body: {
        email: user.email,
        displayName: user.displayName,
        role: user.role,
        bio: user.bio ?? '',
        // Left out, the server generates a password and returns it once.
        ...(user.password ? { password: user.password } : {}),
      },
    }),
  );
}

export interface UserChanges {
  email?: string;
  displayName?: string;
  role?: Role;
  bio?: string;
  isActive?: boolean;
  password?: string;
}

export function updateUser(userId: string, changes: UserChanges): Promise<AdminUser> {
  return data<AdminUser>(api.PATCH('/api/users/{user_id}', { params: { path: { user_id: userId } }, body: changes }));
}

export function deleteUser(userId: string, content: ContentMode, to?: string): Promise<UserDeletionReceipt> {
  return data<UserDeletionReceipt>(
    api.DELETE('/api/users/{user_id}', {
      params: { path: { user_id: userId }, query: { content, to: content === 'reassign' ? to : undefined } },
    }),
  );
}

export function bulkDeleteUsers(
  ids: string[],
  content: ContentMode,
  to?: string,
): Promise<{ deletions: UserDeletionReceipt[] }> {
  return data(
    api.POST('/api/users/bulk-delete', {
      body: { ids, content, ...(content === 'reassign' ? { to } : {}) },
    }),
  );
}

// -- curator applications ---------------------------------------------------------------------

export function listApplications(status: ApplicationStatus, cursor?: string): Promise<Page<CuratorApplication>> {
  return page<CuratorApplication>(
    api.GET('/api/curator-applications', { params: { query: { status, cursor: cursor || undefined } } }),
  );
}

export function approveApplication(applicationId: string, reason?: string): Promise<CuratorApplication> {
  return data<CuratorApplication>(
    api.POST('/api/curator-applications/{application_id}/approve', {
      params: { path: { application_id: applicationId } },
      body: reason ? { reason } : {},
    }),
  );
}

export function rejectApplication(applicationId: string, reason: string): Promise<CuratorApplication> {
  return data<CuratorApplication>(
    api.POST('/api/curator-applications/{application_id}/reject', {
      params: { path: { application_id: applicationId } },
      body: { reason },
    }),
  );
}

// -- models and images ------------------------------------------------------------------------

export interface AssetFilter {
  q?: string;
  visibility?: Visibility | '';
}

export function listAssets(kind: AssetKind, filter: AssetFilter, cursor?: string): Promise<Page<AssetListItem>> {
  const query = {
    q: filter.q || undefined,
    visibility: filter.visibility || undefined,
    cursor: cursor || undefined,
    pageSize: 40,
  };
  return page<AssetListItem>(
    kind === 'model' ? api.GET('/api/models', { params: { query } }) : api.GET('/api/images', { params: { query } }),
  );
}

export function setAssetVisibility(kind: AssetKind, id: string, visibility: Visibility): Promise<unknown> {
  return kind === 'model'
    ? data(api.PATCH('/api/models/{model_id}', { params: { path: { model_id: id } }, body: { visibility } }))
    : data(api.PATCH('/api/images/{image_id}', { params: { path: { image_id: id } }, body: { visibility } }));
}

export function bulkDeleteAssets(kind: AssetKind, ids: string[]): Promise<{ deletedCount: number; deletedIds: string[] }> {
  return data(api.POST('/api/bulk/delete', { body: { kind, ids } }));
}

export function bulkSetMetadata(
  modelIds: string[],
  operations: MetadataOperation[],
): Promise<{ updatedCount: number; updatedIds: string[] }> {
  return data(api.POST('/api/bulk/metadata', { body: { modelIds, operations } }));
}

export function listMetadataFields(): Promise<MetadataField[]> {
  return data<MetadataField[]>(api.GET('/api/metadata/fields', {}));
}

export function createMetadataField(field: MetadataFieldInput): Promise<MetadataField> {
  return data<MetadataField>(api.POST('/api/metadata/fields', { body: field }));
}

/** The type and slug of a field never change, so only the rest is sent. */
export function updateMetadataField(
  fieldId: string,
  changes: Omit<MetadataFieldInput, 'type'>,
): Promise<MetadataField> {
  return data<MetadataField>(
    api.PATCH('/api/metadata/fields/{field_id}', { params: { path: { field_id: fieldId } }, body: changes }),
  );
}

export async function deleteMetadataField(fieldId: string): Promise<void> {
  await unwrap(api.DELETE('/api/metadata/fields/{field_id}', { params: { path: { field_id: fieldId } } }));
}

// -- moderation -------------------------------------------------------------------------------

export interface ModerationFilter {
  kind?: AssetKind | '';
  state?: 'open' | 'hidden' | '';
}

export function moderationQueue(filter: ModerationFilter, cursor?: string): Promise<Page<ModerationCase>> {
  return page<ModerationCase>(
    api.GET('/api/moderation/queue', {
      params: {
        query: { kind: filter.kind || undefined, state: filter.state || undefined, cursor: cursor || undefined },
      },
    }),
  );
}

export function approveCase(kind: AssetKind, assetId: string, note?: string): Promise<ModerationCase> {
  return data<ModerationCase>(
    api.POST('/api/moderation/{kind}/{asset_id}/approve', {
      params: { path: { kind, asset_id: assetId } },
      body: note ? { note } : {},
    }),
  );
}

export function removeCase(kind: AssetKind, assetId: string, note: string): Promise<ModerationCase> {
  return data<ModerationCase>(
    api.POST('/api/moderation/{kind}/{asset_id}/remove', {
      params: { path: { kind, asset_id: assetId } },
      body: { note },
    }),
  );
}

export function getModerationSettings(): Promise<ModerationSettings> {
  return data<ModerationSettings>(api.GET('/api/moderation/settings', {}));
}

export function putModerationSettings(settings: ModerationSettings): Promise<ModerationSettings> {
  return data<ModerationSettings>(api.PUT('/api/moderation/settings', { body: settings }));
}

// -- safety -----------------------------------------------------------------------------------

export function listKeywords(): Promise<KeywordList> {
  return data<KeywordList>(api.GET('/api/safety/keywords', { params: { query: {} } }));
}

export function addKeyword(
  category: KeywordCategory,
  label: string,
): Promise<{ keyword: SafetyKeyword; recalculation: Recalculation }> {
  return data(api.POST('/api/safety/keywords', { body: { category, label } }));
}

export function removeKeyword(
  category: KeywordCategory,
  keywordId: string,
): Promise<{ keyword: SafetyKeyword; recalculation: Recalculation }> {
  return data(
    api.DELETE('/api/safety/keywords/{category}/{keyword}', { params: { path: { category, keyword: keywordId } } }),
  );
}

export function getThresholds(): Promise<{ thresholds: Thresholds }> {
  return data(api.GET('/api/safety/thresholds', {}));
}

export function putThresholds(thresholds: Thresholds): Promise<{ thresholds: Thresholds; recalculation: Recalculation | null }> {
  return data(api.PUT('/api/safety/thresholds', { body: thresholds }));
}

export function latestRecalculation(): Promise<{ recalculation: Recalculation | null }> {
  return data(api.GET('/api/safety/recalculations/latest', {}));
}

export function startRecalculation(): Promise<{ recalculation: Recalculation }> {
  return data(api.POST('/api/safety/recalculate', {}));
}

// -- generator --------------------------------------------------------------------------------

export function getGeneratorSettings(): Promise<GeneratorSettings> {
  return data<GeneratorSettings>(api.GET('/api/generator/settings', {}));
}

export function putGeneratorSettings(change: GeneratorSettingsChange): Promise<GeneratorSettings> {
  return data<GeneratorSettings>(api.PUT("/api/generator/settings", { body: change }));
}

export function getQueue(): Promise<QueueTelemetry> {
  return data<QueueTelemetry>(api.GET('/api/generator/queue', {}));
}

export function pauseQueue(declineNew: boolean, reason?: string): Promise<{ queue: GeneratorQueueSwitch }> {
  return data(api.POST('/api/generator/queue/pause', { body: { declineNew, ...(reason ? { reason } : {}) } }));
}

export function resumeQueue(): Promise<{ queue: GeneratorQueueSwitch }> {
  return data(api.POST('/api/generator/queue/resume', {}));
}

export function clearQueue(): Promise<{ cleared: number; remaining: number }> {
  return data(api.POST('/api/generator/queue/clear', {}));
}

export async function listBlocks(cursor?: string): Promise<Page<GeneratorBlock>> {
  const { data: body, meta } = await unwrap<{ items: GeneratorBlock[] }>(
    api.GET('/api/generator/blocks', { params: { query: { cursor: cursor || undefined } } }) ,
  );
  return { data: body.items, meta: { cursor: meta?.cursor ?? null } };
}

export function blockUser(userId: string, reason: string): Promise<GeneratorBlock> {
  return data<GeneratorBlock>(
    api.PUT('/api/generator/blocks/{user_id}', { params: { path: { user_id: userId } }, body: { reason } }),
  );
}

export async function unblockUser(userId: string): Promise<void> {
  await unwrap(api.DELETE('/api/generator/blocks/{user_id}', { params: { path: { user_id: userId } } }));
}

export function listAgents(): Promise<GpuAgent[]> {
  return data<GpuAgent[]>(api.GET('/api/generator/agents', {}));
}

export function registerAgent(name: string, endpoint?: string): Promise<RegisteredAgent> {
  return data<RegisteredAgent>(
    api.POST('/api/generator/agents', { body: { name, ...(endpoint ? { endpoint } : {}) } }),
  );
}

export function setAgentEnabled(agentId: string, enabled: boolean): Promise<GpuAgent> {
  return data<GpuAgent>(
    api.PATCH('/api/generator/agents/{agent_id}', { params: { path: { agent_id: agentId } }, body: { enabled } }),
  );
}

export function listFailures(cursor?: string): Promise<Page<FailedJob>> {
  return page<FailedJob>(api.GET('/api/generator/failures', { params: { query: { cursor: cursor || undefined } } }));
}

/** Everyone's generation requests, newest first; `statuses` empty = every status. */
export function listAllRequests(statuses: JobStatus[], cursor?: string): Promise<Page<GenerationRequest>> {
  return page<GenerationRequest>(
    api.GET('/api/generator/requests', {
      params: {
        query: {
          scope: 'all',
          status: statuses.length ? statuses.join(',') : undefined,
          cursor: cursor || undefined,
        },
      },
    }),
  );
}

export function cancelRequest(jobId: string): Promise<GenerationRequest> {
  return data<GenerationRequest>(
    api.POST('/api/generator/requests/{job_id}/cancel', { params: { path: { job_id: jobId } } }),
  );
}

/** Queues a copy of a failed, timed-out or cancelled request for the same member (a new request id). */
export function retryRequest(jobId: string): Promise<GenerationRequest> {
  return data<GenerationRequest>(
    api.POST('/api/generator/requests/{job_id}/retry', { params: { path: { job_id: jobId } } }),
  );
}

/** One account; a deleted one only as its tombstone (`deleted: true`, no name). */
export function getUser(userId: string): Promise<{ id: string; displayName?: string; deleted?: boolean }> {
  return data(api.GET('/api/users/{user_id}', { params: { path: { user_id: userId } } }));
}

// -- rankings ---------------------------------------------------------------------------------

export function getRankingSettings(): Promise<RankingSettings> {
  return data<RankingSettings>(api.GET('/api/rankings/settings', {}));
}

export function putRankingWeights(weights: {
  modelWeight: number;
  galleryWeight: number;
  imageWeight: number;
}): Promise<RankingSettings> {
  return data<RankingSettings>(api.PUT('/api/rankings/settings', { body: weights }));
}

export function listTiers(): Promise<{ items: RankTier[]; isFallback: boolean }> {
  return data(api.GET('/api/rankings/tiers', {}));
}

export function createTier(tier: TierInput): Promise<RankTier> {
  return data<RankTier>(api.POST('/api/rankings/tiers', { body: tier }));
}

export function updateTier(tierId: string, changes: Partial<TierInput>): Promise<RankTier> {
  return data<RankTier>(
    api.PATCH('/api/rankings/tiers/{tier_id}', { params: { path: { tier_id: tierId } }, body: changes }),
  );
}

export async function deleteTier(tierId: string): Promise<void> {
  await unwrap(api.DELETE('/api/rankings/tiers/{tier_id}', { params: { path: { tier_id: tierId } } }));
}

export function getUserRank(userId: string): Promise<UserRank> {
  return data<UserRank>(api.GET('/api/rankings/users/{user_id}', { params: { path: { user_id: userId } } }));
}

export type RankAction = 'reset' | 'block' | 'unblock';

export function rankAction(userId: string, action: RankAction): Promise<UserRank> {
  const options = { params: { path: { user_id: userId } } };
  if (action === 'reset') return data<UserRank>(api.POST('/api/rankings/users/{user_id}/reset', options));
  if (action === 'block') return data<UserRank>(api.POST('/api/rankings/users/{user_id}/block', options));
  return data<UserRank>(api.POST('/api/rankings/users/{user_id}/unblock', options));
}

// -- site settings and audit ------------------------------------------------------------------

export function getSiteSettings(): Promise<SiteSettings> {
  return data<SiteSettings>(api.GET('/api/settings', {}));
}

export interface SiteSettingsChange {
  siteTitle?: string;
  allowRegistration?: boolean;
  maintenanceMode?: boolean;
  serviceEndpoints?: ServiceEndpoint[];
}

export function patchSiteSettings(change: SiteSettingsChange): Promise<SiteSettings> {
  return data<SiteSettings>(api.PATCH('/api/settings', { body: change }));
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
}

export function listAudit(filter: AuditFilter, cursor?: string): Promise<Page<AuditEntry>> {
  return page<AuditEntry>(
    api.GET('/api/admin/audit', {
      params: {
        query: {
          action: filter.action || undefined,
          actorId: filter.actorId || undefined,
          targetId: filter.targetId || undefined,
          cursor: cursor || undefined,
        },
      },
    }),
  );
}

