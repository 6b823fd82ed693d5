import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

function run(status: string, percent: number) {
  return {
    id: 'r1', status, trigger: 'keyword.add', phase: status === 'done' ? null : 'models', scanned: percent, total: 100,
    percent, adultMarked: 1, adultCleared: 0, flagged: 0, cleared: 0, queuedAt: '2026-04-01T00:00:00Z',
    startedAt: '2026-04-01T00:00:01Z', finishedAt: status === 'done' ? '2026-04-01T00:01:00Z' : null, supersedes: null, error: null,
  };
}

describe('SafetySection', () => {
  it('adds and removes keywords per category', async () => {
    let items = [{ id: 'k1', label: 'nsfw', category: 'adult', createdAt: null }];
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/safety/keywords': () => envelope({ items, counts: { adult: items.length, illegal: 0 }, limit: 500 }),
      'GET /api/safety/thresholds': { thresholds: { adult: 10, illegal: 1 } },
      'GET /api/safety/recalculations/latest': { recalculation: null },
      'POST /api/safety/keywords': async (request: Request) => {
        const body = (await jsonBody(request)) as { label: string; category: string };
        const keyword = { id: 'k2', label: body.label, category: body.category, createdAt: null };
        items = [...items, keyword];
        return envelope({ keyword, recalculation: run('queued', 0) }, null, 201);
      },
      'DELETE /api/safety/keywords/adult/k1': () => {
        const keyword = items[0];
        items = items.slice(1);
        return envelope({ keyword, recalculation: run('queued', 0) });
      },
    });
    renderAdmin('safety');
    const illegal = await screen.findByRole('region', { name: 'Illegal keywords' });
    await userEvent.type(within(illegal).getByLabelText('New illegal keyword'), 'forbidden');
    await userEvent.click(within(illegal).getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/safety/keywords')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/safety/keywords')[0])).toEqual({ category: 'illegal', label: 'forbidden' });

    await userEvent.click(await screen.findByRole('button', { name: 'Remove adult keyword nsfw' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'DELETE', '/api/safety/keywords/adult/k1')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Remove adult keyword nsfw' })).not.toBeInTheDocument());
  });

  it('polls the recalculation while it runs and stops when it is done', { timeout: 10_000 }, async () => {
    const answers = [run('running', 40), run('done', 100)];
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/safety/keywords': { items: [], counts: { adult: 0, illegal: 0 }, limit: 500 },
      'GET /api/safety/thresholds': { thresholds: { adult: 10, illegal: 1 } },
      'GET /api/safety/recalculations/latest': () => envelope({ recalculation: answers.length > 1 ? answers.shift() : answers[0] }),
    });
    renderAdmin('safety');
    const bar = await screen.findByRole('progressbar', { name: 'Recalculation progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '40');
    await waitFor(() => expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100'), { timeout: 4000 });
    const polls = requestsTo(fetchMock, 'GET', '/api/safety/recalculations/latest').length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(requestsTo(fetchMock, 'GET', '/api/safety/recalculations/latest')).toHaveLength(polls);
  });
});
