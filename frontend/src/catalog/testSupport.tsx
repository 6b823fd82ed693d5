// Shared by the catalog component tests: people, API payloads shaped like chalicelib/presenters.py,
// and the catalog pages mounted on their real routes (with the current location shown for asserts).
import { Route, Routes, useLocation } from 'react-router-dom';
import { setToken } from '../auth/tokenStore';
import ImagesPage from '../pages/ImagesPage';
import ModelsPage from '../pages/ModelsPage';
import { renderWithProviders } from '../test/utils';

function person(id: string, displayName: string, role: 'USER' | 'CURATOR' | 'ADMIN') {
  return {
    id,
    email: `${id}@visionsuit.test`,
    displayName,
    role,
    bio: '',
    showAdultContent: false,
    isActive: true,
    createdAt: '2026-01-01T00:00:00Z',
    lastLoginAt: null,
  };
}

export const CURATOR = person('cur1', 'Cora Curator', 'CURATOR');
export const MEMBER = person('mem1', 'Milo Member', 'USER');

export function modelCard(id: string, title: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title,
    type: 'lora',
    baseModel: 'SDXL',
    tags: ['lantern'],
    triggerWords: ['lnt style'],
    owner: { id: CURATOR.id, displayName: CURATOR.displayName },
    previews: { grid: `https://storage.test/${id}-grid.webp`, preview: `https://storage.test/${id}-preview.webp` },
    isAdult: false,
    status: 'ready',
    primaryVersionId: 'v2',
    downloads: 3,
    likes: 2,
    createdAt: '2026-03-01T00:00:00Z',
    updatedAt: '2026-03-01T00:00:00Z',
    visibility: 'public',
    ...extra,
  };
}

function version(id: string, name: string, isPrimary: boolean) {
  return {
    id,
    name,
    status: 'ready',
    error: null,
    isPrimary,
    filename: `lantern-${name}.safetensors`,
    size: 2048,
    hashes: { sha256: `SHA-${id}`, autov2: null },
    downloads: 1,
    createdAt: '2026-03-01T00:00:00Z',
    summary: { baseModel: 'SDXL', kind: 'lora', network: { module: 'networks.lora', dim: 8, alpha: 4 }, resolution: '1024x1024' },
    headerAvailable: false,
  };
}

export function modelDetail(extra: Record<string, unknown> = {}) {
  return {
    ...modelCard('m1', 'Lantern Glow'),
    description: 'Warm lantern light.',
    trigger: { words: ['lnt style', 'warm glow'], copyText: 'lnt style, warm glow' },
    versions: [version('v1', '1.0', false), version('v2', '2.0', true)],
    metadata: [{ fieldSlug: 'epochs', fieldName: 'Epochs', type: 'number', value: 10, displayValue: '10' }],
    datasetTags: [
      { tag: 'lantern', count: 12 },
      { tag: 'night', count: 4 },
    ],
    galleries: [{ id: 'g1', title: 'Night Walks' }],
    counts: { downloads: 3, likes: 2, versions: 2, galleries: 1 },
    canEdit: false,
    ...extra,
  };
}

export function comment(id: string, content: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    parentId: null,
    content,
    author: { id: MEMBER.id, displayName: MEMBER.displayName, role: 'USER', avatar: null },
    authorName: MEMBER.displayName,
    createdAt: '2026-03-02T10:00:00Z',
    editedAt: null,
    likeCount: 0,
    viewerHasLiked: false,
    replyCount: 0,
    deleted: false,
    canEdit: false,
    canDelete: false,
    replies: [],
    ...extra,
  };
}

export function imageDetail(id: string, title: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title,
    tags: ['harbour'],
    owner: { id: CURATOR.id, displayName: CURATOR.displayName },
    previews: { grid: `https://storage.test/${id}-grid.webp`, preview: `https://storage.test/${id}-preview.webp` },
    width: 832,
    height: 1216,
    isAdult: false,
    status: 'ready',
    likes: 0,
    createdAt: '2026-03-01T00:00:00Z',
    updatedAt: '2026-03-01T00:00:00Z',
    visibility: 'public',
    description: '',
    mime: 'image/png',
    size: 4096,
    prompt: `${title} at dusk`,
    negativePrompt: 'blurry',
    parameters: { steps: 28, sampler: 'euler' },
    source: 'comfyui',
    resources: [{ modelId: 'm1', modelTitle: 'Lantern Glow', versionId: 'v2', versionName: '2.0' }],
    galleries: [{ id: 'g1', title: 'Night Walks' }],
    canEdit: false,
    ...extra,
  };
}

export function signIn() {
  setToken('test-token');
}

function CurrentLocation() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

/** The catalog routes as App.tsx declares them. */
export function renderCatalog(route: string) {
  return renderWithProviders(
    <>
      <Routes>
        <Route path="/models" element={<ModelsPage />} />
        <Route path="/models/:modelId" element={<ModelsPage />} />
        <Route path="/images" element={<ImagesPage />} />
        <Route path="/images/:imageId" element={<ImagesPage />} />
        <Route path="/galleries/:galleryId" element={<ImagesPage />} />
        <Route path="*" element={<p>Elsewhere</p>} />
      </Routes>
      <CurrentLocation />
    </>,
    { route },
  );
}

export async function jsonBody(request: Request): Promise<unknown> {
  return JSON.parse(await request.clone().text());
}
