import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

function model(id: string, title: string, visibility: 'public' | 'private') {
  return {
    id,
    title,
    type: 'lora',
    baseModel: 'SDXL',
    tags: [],
    triggerWords: [],
    owner: { id: 'cur1', displayName: 'Cora Curator' },
    previews: { grid: `https://storage.test/${id}.webp` },
    isAdult: false,
    status: 'ready',
    primaryVersionId: 'v1',
    downloads: 0,
    likes: 0,
    createdAt: '2026-03-01T00:00:00Z',
    updatedAt: '2026-03-01T00:00:00Z',
    visibility,
    moderation: 'active',
    inAudit: false,
  };
}

describe('AssetsSection', () => {
  it('lists models as thumbnails and filters by visibility on the server', async () => {
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/models': (_request: Request, url: URL) =>
        envelope(url.searchParams.get('visibility') === 'private' ? [model('m2', 'Ink', 'private')] : [model('m1', 'Neon', 'public')], {
          cursor: null,
        }),
    });
    renderAdmin('models');
    const grid = await screen.findByRole('list', { name: 'Models' });
    expect(within(grid).getByRole('img', { name: 'Neon' })).toHaveAttribute('src', 'https://storage.test/m1.webp');
    await userEvent.selectOptions(screen.getByLabelText('Visibility'), 'private');
    expect(await screen.findByRole('img', { name: 'Ink' })).toBeInTheDocument();
    const last = requestsTo(fetchMock, 'GET', '/api/models').at(-1)!;
    expect(new URL(last.url).searchParams.get('visibility')).toBe('private');
  });

  it('toggles visibility inline with a PATCH', async () => {
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/models': () => envelope([model('m1', 'Neon', 'public')], { cursor: null }),
      'PATCH /api/models/m1': () => envelope(model('m1', 'Neon', 'private')),
    });
    renderAdmin('models');
    const toggle = await screen.findByRole('switch', { name: 'Public: Neon' });
    expect(toggle).toBeChecked();
    await userEvent.click(toggle);
    await waitFor(() => expect(requestsTo(fetchMock, 'PATCH', '/api/models/m1')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'PATCH', '/api/models/m1')[0])).toEqual({ visibility: 'private' });
  });

  it('deletes the selected images in one bulk request after confirming', async () => {
    const images = [model('i1', 'Dawn', 'public'), model('i2', 'Dusk', 'public'), model('i3', 'Noon', 'private')];
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/images': () => envelope(images, { cursor: null }),
      'POST /api/bulk/delete': () => envelope({ deletedCount: 2, deletedIds: ['i1', 'i3'] }),
    });
    renderAdmin('images');
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Select Dawn' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Noon' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete selected' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete 2 images' });
    expect(requestsTo(fetchMock, 'POST', '/api/bulk/delete')).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/bulk/delete')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/bulk/delete')[0])).toEqual({ kind: 'image', ids: ['i1', 'i3'] });
  });
});
