import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { setToken } from '../auth/tokenStore';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { CURATOR, imageDetail, jsonBody, renderCatalog, signIn } from './testSupport';

afterEach(() => setToken(null));

function galleryEntry(assetId: string, title: string, position: number) {
  return {
    kind: 'image',
    assetId,
    position,
    note: null,
    addedAt: '2026-03-01T00:00:00Z',
    asset: { id: assetId, title, previews: { grid: `https://storage.test/${assetId}-grid.webp` }, isAdult: false },
  };
}

const GALLERY = {
  id: 'g1',
  title: 'Night Walks',
  description: 'Lanterns after dark.',
  visibility: 'public',
  owner: { id: CURATOR.id, displayName: CURATOR.displayName },
  coverImageId: null,
  cover: {},
  parentId: null,
  entryCount: 2,
  createdAt: '2026-03-01T00:00:00Z',
  updatedAt: '2026-03-01T00:00:00Z',
  heldForReview: false,
  entries: [],
  entriesCursor: null,
  children: [],
  parent: null,
  canEdit: false,
};

function routes(extra: Record<string, unknown> = {}) {
  return {
    'GET /api/galleries/g1': GALLERY,
    'GET /api/galleries/g1/entries': () =>
      envelope([galleryEntry('i1', 'Harbour', 10), galleryEntry('i2', 'Quay', 20)], { cursor: null }),
    'GET /api/images/i1': imageDetail('i1', 'Harbour'),
    'GET /api/images/i2': imageDetail('i2', 'Quay'),
    'GET /api/images/i1/like': { liked: false, likeCount: 0 },
    'GET /api/images/i2/like': { liked: false, likeCount: 0 },
    'GET /api/images/i1/comments': () => envelope([], { cursor: null }),
    'GET /api/images/i2/comments': () => envelope([], { cursor: null }),
    ...extra,
  };
}

describe('gallery detail and lightbox', () => {
  it('opens an image over its gallery, steps with the arrow keys and closes with Escape', async () => {
    mockFetch(routes());
    renderCatalog('/galleries/g1');
    expect(await screen.findByRole('heading', { name: 'Night Walks' })).toBeInTheDocument();
    const grid = await screen.findByRole('list', { name: 'Images in Night Walks' });
    await userEvent.click(within(grid).getByRole('button', { name: /Harbour/ }));

    const lightbox = await screen.findByRole('dialog', { name: 'Harbour' });
    expect(screen.getByTestId('location')).toHaveTextContent('/images/i1');
    expect(await within(lightbox).findByRole('img', { name: 'Harbour' })).toHaveAttribute(
      'src',
      'https://storage.test/i1-preview.webp',
    );
    const data = within(lightbox).getByRole('region', { name: 'Generation data' });
    expect(data).toHaveTextContent('Harbour at dusk');
    expect(data).toHaveTextContent('blurry');
    expect(within(data).getByRole('row', { name: 'steps 28' })).toBeInTheDocument();
    expect(within(lightbox).getByRole('link', { name: 'Lantern Glow' })).toHaveAttribute('href', '/models/m1');
    expect(within(lightbox).getByRole('button', { name: /Previous image/ })).toBeDisabled();

    await userEvent.keyboard('{ArrowRight}');
    expect(await screen.findByRole('dialog', { name: 'Quay' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/images/i2');
    await userEvent.keyboard('{ArrowLeft}');
    expect(await screen.findByRole('dialog', { name: 'Harbour' })).toBeInTheDocument();

    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/galleries\/g1$/);
  });

  it('gives the gallery owner upload, reorder and cover tools', async () => {
    signIn();
    const fetchMock = mockFetch(
      routes({
        'GET /api/auth/me': CURATOR,
        'GET /api/galleries/g1': { ...GALLERY, canEdit: true },
        'PATCH /api/galleries/g1': { ...GALLERY, canEdit: true },
      }),
    );
    renderCatalog('/galleries/g1');
    const tools = await screen.findByRole('group', { name: 'Gallery tools' });
    expect(within(tools).getByRole('link', { name: 'Upload to this gallery' })).toHaveAttribute(
      'href',
      '/upload?galleryId=g1',
    );
    await screen.findByRole('list', { name: 'Images in Night Walks' });
    await userEvent.click(within(tools).getByRole('button', { name: 'Edit' }));
    const edit = await screen.findByRole('dialog', { name: 'Edit Night Walks' });
    await userEvent.click(within(edit).getByRole('button', { name: 'Move Quay up' }));
    await userEvent.click(within(edit).getByRole('button', { name: 'Use Quay as cover' }));
    await userEvent.click(within(edit).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'PATCH', '/api/galleries/g1')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'PATCH', '/api/galleries/g1')[0])).toEqual({
      coverImageId: 'i2',
      entries: [
        { kind: 'image', assetId: 'i2', position: 10 },
        { kind: 'image', assetId: 'i1', position: 20 },
      ],
    });
  });
});
