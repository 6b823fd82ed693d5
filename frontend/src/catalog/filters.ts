/**
 * The explorers keep their filters in the URL query (so links like /models?tags=x from Home work and a
 * reload keeps the view); these helpers translate between URLSearchParams and the API queries.
 */
import type { ImageQuery, ImageSort, ModelQuery, ModelSort } from './catalogApi';
import type { ModelType } from './types';

export const MODEL_TYPES: { value: ModelType; label: string }[] = [
  { value: 'lora', label: 'LoRA' },
  { value: 'checkpoint', label: 'Checkpoint' },
  { value: 'textual-inversion', label: 'Textual inversion' },
  { value: 'unknown', label: 'Unknown' },
];

export const MODEL_SORTS: { value: ModelSort; label: string }[] = [
  { value: 'newest', label: 'Newest' },
  { value: 'liked', label: 'Most liked' },
  { value: 'downloads', label: 'Most downloaded' },
  { value: 'name', label: 'Name' },
];

export const IMAGE_SORTS: { value: ImageSort; label: string }[] = [
  { value: 'newest', label: 'Newest' },
  { value: 'liked', label: 'Most liked' },
  { value: 'name', label: 'Name' },
];

const METADATA_PREFIX = 'metadata.';

export function splitTags(value: string | null): string[] {
  if (!value) return [];
  const seen = new Set<string>();
  for (const raw of value.split(',')) {
    const tag = raw.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

export function modelQueryFromParams(params: URLSearchParams): ModelQuery {
  const type = params.get('type');
  const sort = params.get('sort');
  const metadata: Record<string, string> = {};
  params.forEach((value, key) => {
    if (key.startsWith(METADATA_PREFIX) && value) metadata[key.slice(METADATA_PREFIX.length)] = value;
  });
  return {
    q: params.get('q') ?? '',
    tags: splitTags(params.get('tags')),
    curator: params.get('curator') ?? undefined,
    type: MODEL_TYPES.some((t) => t.value === type) ? (type as ModelType) : undefined,
    baseModel: params.get('baseModel') ?? undefined,
    sort: MODEL_SORTS.some((s) => s.value === sort) ? (sort as ModelSort) : 'newest',
    metadata,
  };
}

export function imageQueryFromParams(params: URLSearchParams): ImageQuery {
  const sort = params.get('sort');
  return {
    q: params.get('q') ?? '',
    tags: splitTags(params.get('tags')),
    curator: params.get('curator') ?? undefined,
    sort: IMAGE_SORTS.some((s) => s.value === sort) ? (sort as ImageSort) : 'newest',
  };
}

/**
 * A copy of `params` with `key` set (or removed when the value is empty). The default sort is left
 * out of the URL so the plain explorer address stays /models.
 */
export function withParam(params: URLSearchParams, key: string, value: string | string[] | undefined | null) {
  const next = new URLSearchParams(params);
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  if (!text || (key === 'sort' && text === 'newest')) next.delete(key);
  else next.set(key, text);
  return next;
}

export interface ActiveFilter {
  /** The URL parameter the chip removes (tags are removed one by one). */
  key: string;
  value: string;
  label: string;
}

/** The chips shown above the results; the text search and the sort are not filters. */
export function activeModelFilters(
  query: ModelQuery,
  curatorName?: (id: string) => string | undefined,
  fieldName?: (slug: string) => string | undefined,
): ActiveFilter[] {
  const chips: ActiveFilter[] = [];
  if (query.type) {
    const label = MODEL_TYPES.find((t) => t.value === query.type)?.label ?? query.type;
    chips.push({ key: 'type', value: query.type, label: `Type: ${label}` });
  }
  if (query.baseModel) chips.push({ key: 'baseModel', value: query.baseModel, label: `Base model: ${query.baseModel}` });
  if (query.curator) {
    chips.push({ key: 'curator', value: query.curator, label: `Curator: ${curatorName?.(query.curator) ?? query.curator}` });
  }
  for (const tag of query.tags ?? []) chips.push({ key: 'tags', value: tag, label: `Tag: ${tag}` });
  for (const [slug, value] of Object.entries(query.metadata ?? {})) {
    chips.push({ key: METADATA_PREFIX + slug, value, label: `${fieldName?.(slug) ?? slug}: ${value}` });
  }
  return chips;
}

export function activeImageFilters(
  query: ImageQuery,
  curatorName?: (id: string) => string | undefined,
): ActiveFilter[] {
  const chips: ActiveFilter[] = [];
  if (query.curator) {
    chips.push({ key: 'curator', value: query.curator, label: `Curator: ${curatorName?.(query.curator) ?? query.curator}` });
  }
  for (const tag of query.tags ?? []) chips.push({ key: 'tags', value: tag, label: `Tag: ${tag}` });
  return chips;
}

/** The URL query after removing one chip. */
export function removeFilter(params: URLSearchParams, chip: ActiveFilter): URLSearchParams {
  if (chip.key === 'tags') {
    return withParam(params, 'tags', splitTags(params.get('tags')).filter((t) => t !== chip.value));
  }
  return withParam(params, chip.key, null);
}

/** The URL query without any filter (text search and sort are kept). */
export function clearFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams();
  const q = params.get('q');
  const sort = params.get('sort');
  if (q) next.set('q', q);
  if (sort) next.set('sort', sort);
  return next;
}

export function formatBytes(size: number | null | undefined): string {
  if (size == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
