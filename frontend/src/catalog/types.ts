/**
 * Shapes of the catalog detail responses (models, images, galleries, comments), building on the list
 * shapes in `api/types.ts`. The OpenAPI document types every request but declares response bodies as
 * free-form, so these mirror `chalicelib/presenters.py`.
 */
import type { AuditPlaceholder, GallerySummary, ImageSummary, ModelSummary, Owner, Previews } from '../api/types';

export { isPlaceholder } from '../api/types';

export type Visibility = 'public' | 'private';
export type ModelType = ModelSummary['type'];
export type AssetKind = 'model' | 'image';

// Type aliases (not interfaces) so they fit the hooks' CursorPage, which has an index signature.
export type PageMeta = {
  cursor: string | null;
  pageSize?: number;
  total?: number | null;
};

export type Page<T> = {
  data: T[];
  meta: PageMeta;
};

export type OwnerRef = Owner;
export type InAuditPlaceholder = AuditPlaceholder;
export type ModelCard = ModelSummary;
export type ImageCard = ImageSummary;

export interface VersionSummary {
  baseModel?: string | null;
  kind?: string | null;
  network?: { module?: string; dim?: number; alpha?: number } | null;
  resolution?: string | null;
  trainingImages?: number | null;
  outputName?: string | null;
  tensorCount?: number | null;
}

export interface ModelVersion {
  id: string;
  name: string;
  status: string;
  error: string | null;
  isPrimary: boolean;
  filename: string | null;
  size: number | null;
  hashes: Record<string, string | null> | null;
  downloads: number;
  createdAt: string;
  summary: VersionSummary;
  headerAvailable: boolean;
}

export interface MetadataValue {
  fieldSlug: string;
  fieldName: string;
  type: string;
  value: unknown;
  displayValue: string;
}

export interface GalleryRef {
  id: string;
  title: string;
}

export interface ModelDetail extends ModelCard {
  description: string;
  trigger: { words: string[]; copyText: string };
  versions: ModelVersion[];
  metadata: MetadataValue[];
  datasetTags: { tag: string; count: number }[];
  galleries: GalleryRef[];
  counts: { downloads: number; likes: number; versions: number; galleries: number };
  canEdit: boolean;
}

export interface LinkedResource {
  modelId: string;
  modelTitle: string;
  versionId: string;
  versionName: string;
}

export interface ImageDetail extends ImageCard {
  description: string;
  mime: string | null;
  size: number | null;
  prompt: string | null;
  negativePrompt: string | null;
  parameters: Record<string, unknown>;
  source: string | null;
  resources: LinkedResource[];
  galleries: GalleryRef[];
  canEdit: boolean;
}

export interface GalleryCard extends GallerySummary {
  coverImageId: string | null;
  parentId: string | null;
  heldForReview?: boolean;
}

export interface EntryAsset {
  id: string;
  title: string;
  previews?: Previews;
  isAdult?: boolean;
  owner?: OwnerRef;
  moderation?: string;
  inAudit?: boolean;
  placeholder?: boolean;
}

export interface GalleryEntry {
  kind: AssetKind;
  assetId: string;
  position: number;
  note: string | null;
  addedAt: string;
  asset: EntryAsset;
}

export interface GalleryDetailData extends GalleryCard {
  entries: GalleryEntry[];
  entriesCursor: string | null;
  children: GalleryRef[];
  parent: GalleryRef | null;
  canEdit: boolean;
}

export interface CommentAuthor {
  id: string;
  displayName: string | null;
  role?: string;
  avatar?: string | null;
}

export interface CommentData {
  id: string;
  parentId: string | null;
  content: string;
  author: CommentAuthor | null;
  authorName: string | null;
  createdAt: string;
  editedAt: string | null;
  likeCount: number;
  viewerHasLiked: boolean;
  replyCount: number;
  deleted: boolean;
  canEdit: boolean;
  canDelete: boolean;
  replies?: CommentData[];
}

export interface LikeState {
  liked: boolean;
  likeCount: number;
}

export interface MetadataField {
  id: string;
  name: string;
  slug: string;
  type: 'text' | 'number' | 'boolean' | 'date' | 'url' | 'enum' | 'multi_enum';
  isFilterable: boolean;
  isBrowsable: boolean;
  config: { enumOptions?: string[]; validationPattern?: string; displayHint?: string } | null;
  sortOrder: number;
}

export interface TagCount {
  slug: string;
  label: string;
  category: string | null;
  count: number;
}

export type FlagReason = 'adult-unmarked' | 'illegal' | 'copyright' | 'spam' | 'harassment' | 'other';
