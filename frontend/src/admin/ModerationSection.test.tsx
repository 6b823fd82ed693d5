import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, errorEnvelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

const CASE = {
  kind: 'image',
  assetId: 'img1',
  state: 'hidden',
  asset: {
    id: 'img1',
    title: 'Sunset study',
    kind: 'image',
    type: null,
    owner: { id: 'cur1', displayName: 'Cora Curator' },
    thumbnail: { grid: 'https://storage.test/img1-grid.webp' },
    visibility: 'public',
    moderation: 'flagged',
    isAdult: false,
    status: 'ready',
  },
  reporterCount: 2,
  reasons: { spam: 2 },
  latestDetails: [
    { reason: 'spam', details: 'ads', reportedAt: '2026-05-01T10:00:00Z', reporter: { id: 'u1', displayName: 'Mia Member' } },
    { reason: 'spam', details: '', reportedAt: '2026-05-01T11:00:00Z', reporter: { id: 'u2', displayName: 'Max Member' } },
  ],
  autoReasons: [],
  openedAt: '2026-05-01T10:00:00Z',
  firstReportedAt: '2026-05-01T10:00:00Z',
  lastReportedAt: '2026-05-01T11:00:00Z',
  hiddenAt: '2026-05-01T11:00:00Z',
  previousVisibility: 'public',
  decision: null,
};

function setup(extra: Record<string, unknown> = {}) {
  let open = [CASE];
  const fetchMock = mockFetch({
    'GET /api/auth/me': ADMIN,
    'GET /api/moderation/settings': { flagThreshold: 3, flagsPerHour: 20 },
    'GET /api/moderation/queue': () => envelope(open, { cursor: null }),
    'POST /api/moderation/image/img1/remove': () => {
      open = [];
      return envelope({ ...CASE, state: 'removed' });
    },
    'POST /api/moderation/image/img1/approve': () => {
      open = [];
      return envelope({ ...CASE, state: 'approved' });
    },
    ...extra,
  });
  renderAdmin('moderation');
  return fetchMock;
}

describe('ModerationSection', () => {
  it('shows each case as a tile with its reason and reporter chips', async () => {
    setup();
    const tile = await screen.findByRole('listitem', { name: 'Sunset study' });
    expect(within(tile).getByRole('img', { name: 'Sunset study' })).toHaveAttribute('src', CASE.asset.thumbnail.grid);
    expect(within(within(tile).getByRole('list', { name: 'Reasons' })).getByText(/Spam/)).toHaveTextContent('Spam ×2');
    const reporters = within(tile).getByRole('list', { name: 'Reporters' });
    expect(within(reporters).getByText('Mia Member')).toBeInTheDocument();
    expect(within(reporters).getByText('Max Member')).toBeInTheDocument();
  });

  it('requires a note before removing, then sends it', async () => {
    const fetchMock = setup();
    const tile = await screen.findByRole('listitem', { name: 'Sunset study' });
    await userEvent.click(within(tile).getByRole('button', { name: 'Remove' }));
    expect(await within(tile).findByRole('alert')).toHaveTextContent(/note of at least 3 characters/);
    expect(requestsTo(fetchMock, 'POST', '/api/moderation/image/img1/remove')).toHaveLength(0);

    await userEvent.type(within(tile).getByRole('textbox', { name: 'Moderation note' }), 'Spam links');
    await userEvent.click(within(tile).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/moderation/image/img1/remove')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/moderation/image/img1/remove')[0])).toEqual({ note: 'Spam links' });
    expect(await screen.findByText('Nothing to review')).toBeInTheDocument();
  });

  it('approves without a note', async () => {
    const fetchMock = setup();
    const tile = await screen.findByRole('listitem', { name: 'Sunset study' });
    await userEvent.click(within(tile).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/moderation/image/img1/approve')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/moderation/image/img1/approve')[0])).toEqual({});
  });

  it('saves the moderation settings and shows a refusal from the server', async () => {
    let saves = 0;
    const fetchMock = setup({
      'PUT /api/moderation/settings': async (request: Request) => {
        saves += 1;
        return saves === 1
          ? envelope(await jsonBody(request))
          : errorEnvelope(400, 'VALIDATION_ERROR', 'flagThreshold must be between 1 and 100', 'flagThreshold');
      },
    });
    const panel = await screen.findByRole('region', { name: 'Moderation settings' });
    const threshold = await within(panel).findByRole('spinbutton', { name: 'Reports needed to hide' });
    expect(threshold).toHaveValue(3);
    expect(within(panel).getByRole('spinbutton', { name: 'Reports per member per hour' })).toHaveValue(20);
    await userEvent.clear(threshold);
    await userEvent.type(threshold, '5');
    await userEvent.click(within(panel).getByRole('button', { name: 'Save moderation settings' }));
    expect(await screen.findByText('Moderation settings saved')).toBeInTheDocument();
    expect(await jsonBody(requestsTo(fetchMock, 'PUT', '/api/moderation/settings')[0])).toEqual({
      flagThreshold: 5,
      flagsPerHour: 20,
    });

    await userEvent.click(within(panel).getByRole('button', { name: 'Save moderation settings' }));
    expect(await screen.findByText('flagThreshold must be between 1 and 100')).toBeInTheDocument();
  });
});
