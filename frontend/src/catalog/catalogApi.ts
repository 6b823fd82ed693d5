/**
 * Every catalog request the screens make, in one place: the components stay free of URL details and
 * the tests replace this module instead of a network layer.
 */
import { api, unwrap } from '../api/client';
import type {
  CommentData,
  FlagReason,
  GalleryCard,
  GalleryDetailData,
  GalleryEntry,
  ImageCard,
  ImageDetail,
  InAuditPlaceholder,
  LikeState,
  MetadataField,
  ModelCard,
  ModelDetail,
  ModelType,
  ModelVersion,
  Page,
  TagCount,
  Visibility,
} from './types';

export type ModelSort = 'newest' | 'liked' | 'downloads' | 'name';
export type ImageSort = 'newest' | 'liked' | 'name';
export type GallerySort = 'newest' | 'name';

export interface ModelQuery {
  q?: string;
  tags?: string[];
  curator?: string;
  type?: ModelType;
  baseModel?: string;
  sort?: ModelSort;
  /** Typed metadata filters, by field slug. */
  metadata?: Record<string, string>;
}

export interface ImageQuery {
  q?: string;
  tags?: string[];
  curator?: string;
  sort?: ImageSort;
}

const PAGE_SIZE = 30;

function tagsParam(tags: string[] | undefined): string | undefined {
  return tags && tags.length ? tags.join(',') : undefined;
}

function page<T>(p: Promise<{ data: unknown; meta: unknown }>): Promise<Page<T>> {
  return p.then(({ data, meta }) => ({
    data: (data as T[]) ?? [],
    meta: { ...(meta as Partial<Page<T>['meta']> | null), cursor: (meta as Page<T>['meta'] | null)?.cursor ?? null },
  }));
}

// -- models -----------------------------------------------------------------------------------------
export function listModels(query: ModelQuery, cursor?: string): Promise<Page<ModelCard | InAuditPlaceholder>> {
  const metadataParams: Record<string, string> = {};
  for (const [slug, value] of Object.entries(query.metadata ?? {})) metadataParams[`metadata.${slug}`] = value;
  const params = {
    q: query.q || undefined,
    tags: tagsParam(query.tags),
    curator: query.curator || undefined,
    type: query.type || undefined,
    baseModel: query.baseModel || undefined,
    sort: query.sort || undefined,
    cursor,
    pageSize: PAGE_SIZE,
    ...metadataParams,
  };
  return page(unwrap(api.GET('/api/models', { params: { query: params as never } })));
}

export function getModel(id: string): Promise<ModelDetail | InAuditPlaceholder> {
  return unwrap<ModelDetail | InAuditPlaceholder>(
    api.GET('/api/models/{model_id}', { params: { path: { model_id: id } } }),
  ).then((r) => r.data);
}

export interface ModelChanges {
  title?: string;
  description?: string;
  triggerWords?: string[];
  tags?: string[];
  visibility?: Visibility;
  ownerId?: string;
  metadata?: Record<string, unknown>;
}

export function updateModel(id: string, changes: ModelChanges): Promise<ModelDetail> {
  return unwrap<ModelDetail>(
    api.PATCH('/api/models/{model_id}', { params: { path: { model_id: id } }, body: changes as never }),
  ).then((r) => r.data);
}

export function deleteModel(id: string): Promise<unknown> {
  return unwrap(api.DELETE('/api/models/{model_id}', { params: { path: { model_id: id } } }));
}

export function downloadUrl(modelId: string, versionId: string): Promise<string> {
  return unwrap<{ url: string }>(
    api.GET('/api/models/{model_id}/versions/{version_id}/download', {
      params: { path: { model_id: modelId, version_id: versionId } },
    }),
  ).then((r) => r.data.url);
}

export function renameVersion(modelId: string, versionId: string, name: string): Promise<ModelVersion> {
  return unwrap<ModelVersion>(
    api.PATCH('/api/models/{model_id}/versions/{version_id}', {
      params: { path: { model_id: modelId, version_id: versionId } },
      body: { name },
    }),
  ).then((r) => r.data);
}

export function promoteVersion(modelId: string, versionId: string): Promise<unknown> {
  return unwrap(
    api.POST('/api/models/{model_id}/versions/{version_id}/promote', {
      params: { path: { model_id: modelId, version_id: versionId } },
    }),
  );
}

export function deleteVersion(modelId: string, versionId: string): Promise<unknown> {
  return unwrap(
    api.DELETE('/api/models/{model_id}/versions/{version_id}', {
      params: { path: { model_id: modelId, version_id: versionId } },
    }),
  );
}

export function linkModelToGallery(modelId: string, galleryId: string, note: string): Promise<unknown> {
  return unwrap(
    api.POST('/api/models/{model_id}/galleries', {
      params: { path: { model_id: modelId } },
      body: { galleryId, note: note.trim() || null },
    }),
  );
}

export function listMetadataFields(): Promise<MetadataField[]> {
  return unwrap<MetadataField[]>(api.GET('/api/metadata/fields')).then((r) => r.data);
}

export function listTags(kind: 'model' | 'image', q?: string): Promise<TagCount[]> {
  return unwrap<TagCount[]>(
    api.GET('/api/tags', { params: { query: { kind, q: q || undefined, pageSize: 24 } as never } }),
  ).then((r) => r.data);
}

// -- images -----------------------------------------------------------------------------------------
export function listImages(query: ImageQuery, cursor?: string): Promise<Page<ImageCard | InAuditPlaceholder>> {
  const params = {
    q: query.q || undefined,
    tags: tagsParam(query.tags),
    curator: query.curator || undefined,
    sort: query.sort || undefined,
    cursor,
    pageSize: PAGE_SIZE,
  };
  return page(unwrap(api.GET('/api/images', { params: { query: params as never } })));
}

export function getImage(id: string): Promise<ImageDetail | InAuditPlaceholder> {
  return unwrap<ImageDetail | InAuditPlaceholder>(
    api.GET('/api/images/{image_id}', { params: { path: { image_id: id } } }),
  ).then((r) => r.data);
}

export interface ImageChanges {
  title?: string;
  description?: string;
  tags?: string[];
  visibility?: Visibility;
  ownerId?: string;
  prompt?: string;
  negativePrompt?: string;
}

export function updateImage(id: string, changes: ImageChanges): Promise<ImageDetail> {
  return unwrap<ImageDetail>(
    api.PATCH('/api/images/{image_id}', { params: { path: { image_id: id } }, body: changes as never }),
  ).then((r) => r.data);
}

export function deleteImage(id: string): Promise<unknown> {
  return unwrap(api.DELETE('/api/images/{image_id}', { params: { path: { image_id: id } } }));
}

// -- galleries --------------------------------------------------------------------------------------
export function listGalleries(
  query: { q?: string; curator?: string; sort?: GallerySort },
  cursor?: string,
): Promise<Page<GalleryCard>> {
  const params = {
    q: query.q || undefined,
    curator: query.curator || undefined,
    sort: query.sort || undefined,
    cursor,
    pageSize: PAGE_SIZE,
  };
  return page(unwrap(api.GET('/api/galleries', { params: { query: params as never } })));
}

export function getGallery(id: string): Promise<GalleryDetailData> {
  return unwrap<GalleryDetailData>(
    api.GET('/api/galleries/{gallery_id}', { params: { path: { gallery_id: id } } }),
  ).then((r) => r.data);
}

export function listGalleryEntries(id: string, cursor?: string): Promise<Page<GalleryEntry>> {
  return page(
    unwrap(
      api.GET('/api/galleries/{gallery_id}/entries', {
        params: { path: { gallery_id: id }, query: { cursor, pageSize: PAGE_SIZE } as never },
      }),
    ),
  );
}

export interface GalleryChanges {
  title?: string;
  description?: string;
  visibility?: Visibility;
  coverImageId?: string;
  entries?: { kind: 'image' | 'model'; assetId: string; position?: number; note?: string | null }[];
  removeEntries?: { kind: 'image' | 'model'; assetId: string }[];
}

export function updateGallery(id: string, changes: GalleryChanges): Promise<GalleryDetailData> {
  return unwrap<GalleryDetailData>(
    api.PATCH('/api/galleries/{gallery_id}', { params: { path: { gallery_id: id } }, body: changes as never }),
  ).then((r) => r.data);
}

/** The viewer's own galleries by name, a full API page at a time (targets for adding and nesting). */
export function listMyGalleries(userId: string, cursor?: string): Promise<Page<GalleryCard>> {
  const params = { curator: userId, sort: 'name', cursor, pageSize: 100 };
  return page(unwrap(api.GET('/api/galleries', { params: { query: params as never } })));
}

export interface NewGallery {
  title: string;
  description: string;
  visibility: Visibility;
  parentId: string | null;
}

export function createGallery(gallery: NewGallery): Promise<GalleryDetailData> {
  return unwrap<GalleryDetailData>(api.POST('/api/galleries', { body: gallery })).then((r) => r.data);
}

/** Per item: `added`, `exists` (already in the gallery) or `duplicate` (repeated in the request). */
export interface EntryReportItem {
  kind: 'image' | 'model';
  id: string;
  status: 'added' | 'exists' | 'duplicate';
}

export interface AddEntriesReport {
  added: number;
  items: EntryReportItem[];
}

export function addGalleryEntries(
  galleryId: string,
  items: { kind: 'image' | 'model'; id: string; note?: string | null }[],
): Promise<AddEntriesReport> {
  return unwrap<AddEntriesReport>(
    api.POST('/api/galleries/{gallery_id}/entries', { params: { path: { gallery_id: galleryId } }, body: { items } }),
  ).then((r) => r.data);
}

export interface ImageProcessingStatus {
  id: string;
  status: 'processing' | 'ready' | 'error';
  error: string | null;
  placeholder?: boolean;
}

export function getImageStatus(id: string): Promise<ImageProcessingStatus> {
  return unwrap<ImageProcessingStatus>(
    api.GET('/api/images/{image_id}/status', { params: { path: { image_id: id } } }),
  ).then((r) => r.data);
}

export function deleteGallery(id: string): Promise<unknown> {
  return unwrap(api.DELETE('/api/galleries/{gallery_id}', { params: { path: { gallery_id: id } } }));
}

// -- community --------------------------------------------------------------------------------------
/** Comments, likes and flags share one route shape for models and images. */
export function getLike(kind: 'model' | 'image', id: string): Promise<LikeState> {
  const p =
    kind === 'model'
      ? api.GET('/api/models/{model_id}/like', { params: { path: { model_id: id } } })
      : api.GET('/api/images/{image_id}/like', { params: { path: { image_id: id } } });
  return unwrap<LikeState>(p).then((r) => r.data);
}

export function setLike(kind: 'model' | 'image', id: string, liked: boolean): Promise<LikeState> {
  const model = { params: { path: { model_id: id } } };
  const image = { params: { path: { image_id: id } } };
  const call =
    kind === 'model'
      ? liked
        ? api.POST('/api/models/{model_id}/like', model)
        : api.DELETE('/api/models/{model_id}/like', model)
      : liked
        ? api.POST('/api/images/{image_id}/like', image)
        : api.DELETE('/api/images/{image_id}/like', image);
  return unwrap<LikeState>(call).then((r) => r.data);
}

export function flagAsset(kind: 'model' | 'image', id: string, reason: FlagReason, details: string): Promise<unknown> {
  const body = { reason, details };
  return unwrap(
    kind === 'model'
      ? api.POST('/api/models/{model_id}/flags', { params: { path: { model_id: id } }, body })
      : api.POST('/api/images/{image_id}/flags', { params: { path: { image_id: id } }, body }),
  );
}

export function listComments(kind: 'model' | 'image', id: string, cursor?: string): Promise<Page<CommentData>> {
  const query = { cursor, pageSize: 20, replies: 10 } as never;
  return page(
    unwrap(
      kind === 'model'
        ? api.GET('/api/models/{model_id}/comments', { params: { path: { model_id: id }, query } })
        : api.GET('/api/images/{image_id}/comments', { params: { path: { image_id: id }, query } }),
    ),
  );
}

export function listReplies(
  kind: 'model' | 'image',
  id: string,
  commentId: string,
  cursor?: string,
): Promise<Page<CommentData>> {
  const query = { cursor, pageSize: 50 } as never;
  return page(
    unwrap(
      kind === 'model'
        ? api.GET('/api/models/{model_id}/comments/{comment_id}/replies', {
            params: { path: { model_id: id, comment_id: commentId }, query },
          })
        : api.GET('/api/images/{image_id}/comments/{comment_id}/replies', {
            params: { path: { image_id: id, comment_id: commentId }, query },
          }),
    ),
  );
}

export function postComment(
  kind: 'model' | 'image',
  id: string,
  content: string,
  parentId?: string,
): Promise<CommentData> {
  const body = { content, parentId: parentId ?? null };
  return unwrap<CommentData>(
    kind === 'model'
      ? api.POST('/api/models/{model_id}/comments', { params: { path: { model_id: id } }, body })
      : api.POST('/api/images/{image_id}/comments', { params: { path: { image_id: id } }, body }),
  ).then((r) => r.data);
}

export function editComment(kind: 'model' | 'image', id: string, commentId: string, content: string) {
  const body = { content };
  return unwrap<CommentData>(
    kind === 'model'
      ? api.PATCH('/api/models/{model_id}/comments/{comment_id}', {
          params: { path: { model_id: id, comment_id: commentId } },
          body,
        })
      : api.PATCH('/api/images/{image_id}/comments/{comment_id}', {
          params: { path: { image_id: id, comment_id: commentId } },
          body,
        }),
  ).then((r) => r.data);
}

export function deleteComment(kind: 'model' | 'image', id: string, commentId: string): Promise<unknown> {
  return unwrap(
    kind === 'model'
      ? api.DELETE('/api/models/{model_id}/comments/{comment_id}', {
          params: { path: { model_id: id, comment_id: commentId } },
        })
      : api.DELETE('/api/images/{image_id}/comments/{comment_id}', {
          params: { path: { image_id: id, comment_id: commentId } },
        }),
  );
}

export function setCommentLike(
  kind: 'model' | 'image',
  id: string,
  commentId: string,
  liked: boolean,
): Promise<LikeState> {
  const model = { params: { path: { model_id: id, comment_id: commentId } } };
  const image = { params: { path: { image_id: id, comment_id: commentId } } };
  const call =
    kind === 'model'
      ? liked
        ? api.POST('/api/models/{model_id}/comments/{comment_id}/like', model)
        : api.DELETE('/api/models/{model_id}/comments/{comment_id}/like', model)
      : liked
        ? api.POST('/api/images/{image_id}/comments/{comment_id}/like', image)
        : api.DELETE('/api/images/{image_id}/comments/{comment_id}/like', image);
  return unwrap<LikeState>(call).then((r) => r.data);
}

// -- people (for ownership transfer and the curator filter) -----------------------------------------
export interface UserSummary {
  id: string;
  displayName: string;
  email?: string;
  role: string;
}

/** Administrators only (the API answers 403 to others). */
export function searchUsers(q: string): Promise<UserSummary[]> {
  return unwrap<UserSummary[]>(
    api.GET('/api/users', { params: { query: { q, pageSize: 10 } as never } }),
  ).then((r) => r.data);
}
