import { useMemo, useRef } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { useApi, useCursorList } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { ErrorState } from '../components/ErrorState';
import { InAuditCard } from '../components/InAuditCard';
import { InfiniteSentinel } from '../components/InfiniteSentinel';
import { Spinner } from '../components/Spinner';
import { Tile } from '../components/Tile';
import { UserLink } from '../components/UserLink';
import { usePageTitle } from '../components/usePageTitle';
import { TileGrid } from '../components/TileGrid';
import FiltersBar from '../catalog/FiltersBar';
import ModelDialog from '../catalog/ModelDialog';
import { listMetadataFields, listModels, listTags } from '../catalog/catalogApi';
import {
  MODEL_SORTS,
  MODEL_TYPES,
  activeModelFilters,
  clearFilters,
  modelQueryFromParams,
  removeFilter,
  splitTags,
  withParam,
} from '../catalog/filters';
import { isPlaceholder, type InAuditPlaceholder, type ModelCard } from '../catalog/types';
import { catalogKeys } from '../catalog/useCatalogAction';
import '../styles/catalog.css';

/** The LoRA library: server-side search and filters kept in the URL, infinite tiles, the model dialog. */
export default function ModelsPage() {
  const { modelId } = useParams();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  usePageTitle('Models');
  const search = params.toString();
  const query = useMemo(() => modelQueryFromParams(new URLSearchParams(search)), [search]);
  const list = useCursorList<ModelCard | InAuditPlaceholder>([...catalogKeys.models, query], (cursor) =>
    listModels(query, cursor),
  );
  const tags = useApi(['catalog', 'tags', 'model'], () => listTags('model'));
  const fields = useApi(['catalog', 'metadata-fields'], listMetadataFields);
  // Typed metadata fields with fixed choices become filter selects (metadata.<slug>=<value>).
  const choiceFields = (fields.data ?? []).filter((f) => f.isFilterable && f.type === 'enum' && f.config?.enumOptions?.length);

  // Filter choices come from what the catalog has shown so far: the API has no facet endpoint for
  // curators and base models, and a choice stays offered once seen even when the filter narrows.
  const curators = useRef(new Map<string, string>());
  const baseModels = useRef(new Set<string>());
  for (const item of list.items) {
    if (isPlaceholder(item)) continue;
    if (item.owner?.id) curators.current.set(item.owner.id, item.owner.displayName ?? item.owner.id);
    if (item.baseModel) baseModels.current.add(item.baseModel);
  }

  const update = (next: URLSearchParams) => setParams(next, { replace: true });
  const keepQuery = search ? `?${search}` : '';

  return (
    <div className="catalog-page">
      <header className="catalog-page__header">
        <h1>Models</h1>
        <p className="catalog-muted">LoRAs and checkpoints shared by the curators.</p>
      </header>
      <FiltersBar
        searchLabel="Search models"
        searchText={query.q ?? ''}
        onSearch={(text) => update(withParam(params, 'q', text.trim()))}
        sortValue={query.sort ?? 'newest'}
        sortOptions={MODEL_SORTS}
        selects={[
          { param: 'type', label: 'Type', anyLabel: 'Any type', value: query.type ?? '', options: MODEL_TYPES },
          {
            param: 'baseModel',
            label: 'Base model',
            anyLabel: 'Any base model',
            value: query.baseModel ?? '',
            options: [...baseModels.current].sort().map((b) => ({ value: b, label: b })),
          },
          {
            param: 'curator',
            label: 'Curator',
            anyLabel: 'Any curator',
            value: query.curator ?? '',
            options: [...curators.current].map(([id, name]) => ({ value: id, label: name })),
          },
          ...choiceFields.map((field) => ({
            param: `metadata.${field.slug}`,
            label: field.name,
            anyLabel: `Any ${field.name.toLowerCase()}`,
            value: query.metadata?.[field.slug] ?? '',
            options: (field.config?.enumOptions ?? []).map((o) => ({ value: o, label: o })),
          })),
        ]}
        suggestedTags={(tags.data ?? []).map((t) => t.label)}
        activeFilters={activeModelFilters(
          query,
          (id) => curators.current.get(id),
          (slug) => fields.data?.find((f) => f.slug === slug)?.name,
        )}
        onSet={(param, value) => update(withParam(params, param, value))}
        onAddTag={(tag) => update(withParam(params, 'tags', [...splitTags(params.get('tags')), tag]))}
        onRemove={(filter) => update(removeFilter(params, filter))}
        onClear={() => update(clearFilters(params))}
      />

      {list.error ? <ErrorState error={list.error} /> : null}
      {list.isLoading ? <Spinner /> : null}
      {!list.isLoading && !list.error && list.items.length === 0 ? (
        <EmptyState title="No models found">Try another search or remove a filter.</EmptyState>
      ) : null}

      <TileGrid label="Models">
        {list.items.map((item) =>
          isPlaceholder(item) ? (
            <InAuditCard key={item.id} title={item.title} />
          ) : (
            <Tile
              key={item.id}
              image={item.previews?.grid}
              title={item.title}
              subtitle={
                <>
                  <UserLink user={item.owner} />
                  {item.baseModel ? ` · ${item.baseModel}` : ''}
                </>
              }
              badges={modelBadges(item)}
              href={`/models/${item.id}${keepQuery}`}
            />
          ),
        )}
      </TileGrid>
      <InfiniteSentinel
        hasNextPage={list.hasNextPage}
        isFetchingNextPage={list.isFetchingNextPage}
        fetchNextPage={list.fetchNextPage}
        label="Load more models"
      />

      {modelId && (
        <ModelDialog
          key={modelId}
          modelId={modelId}
          onClose={() => navigate(`/models${keepQuery}`)}
          onDeleted={() => {
            queryClient.removeQueries({ queryKey: catalogKeys.model(modelId) });
            navigate(`/models${keepQuery}`, { replace: true });
          }}
        />
      )}
    </div>
  );
}

function modelBadges(item: ModelCard): string[] {
  const badges: string[] = [MODEL_TYPES.find((t) => t.value === item.type)?.label ?? item.type];
  if (item.status !== 'ready') badges.push(item.status === 'processing' ? 'Processing' : item.status);
  if (item.visibility === 'private') badges.push('Private');
  if (item.isAdult) badges.push('Adult');
  if (item.inAudit) badges.push('In Audit');
  return badges;
}
