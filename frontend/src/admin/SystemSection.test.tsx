import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { relativeTime, reportFigures } from './SystemSection';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

const NOW = Date.now();

function overview(ingestDead = 3) {
  return {
    queues: [
      { name: 'dispatch', reachable: true, visible: 0, inFlight: 0, delayed: 0, deadLetter: { visible: 0, inFlight: 0 } },
      { name: 'ingest', reachable: true, visible: 4, inFlight: 1, delayed: 2, deadLetter: { visible: ingestDead, inFlight: 0 } },
      { name: 'job-events', reachable: false, visible: null, inFlight: null, delayed: null, deadLetter: null },
    ],
    schedules: [
      {
        name: 'sweep-uploads',
        ranAt: new Date(NOW - 3 * 60_000).toISOString(),
        report: { count: 7, abortedMultipart: 2, swept: ['a', 'b'], limit: 50, ranAt: 1, trigger: 'x' },
      },
    ],
    health: { status: 'ok', components: { api: 'ok', storage: 'ok', database: 'ok', queue: 'ok', gpuAgent: 'none' }, time: 1 },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SystemSection', () => {
  it('lists queues with dead letters and the last scheduled runs', async () => {
    mockFetch({ 'GET /api/auth/me': ADMIN, 'GET /api/admin/system': overview() });
    renderAdmin('system');
    const queues = await screen.findByRole('region', { name: 'Queues' });
    const ingest = within(queues).getByRole('row', { name: /ingest/ });
    expect(within(ingest).getAllByRole('cell').map((c) => c.textContent)).toEqual(['4', '1', '2', '3', 'Redrive']);
    expect(within(queues).getByRole('button', { name: 'Redrive dispatch' })).toBeDisabled();
    expect(within(queues).getByRole('button', { name: 'Redrive job-events' })).toBeDisabled();
    expect(within(queues).getByRole('row', { name: /job-events/ })).toHaveTextContent('unreachable');

    const schedules = screen.getByRole('region', { name: 'Scheduled jobs' });
    const run = within(schedules).getByRole('row', { name: /sweep-uploads/ });
    expect(run).toHaveTextContent('3 minutes ago');
    expect(run).toHaveTextContent('count: 7');
    expect(run).toHaveTextContent('swept: 2');
    expect(run).not.toHaveTextContent('trigger:');
  });

  it('redrives after confirmation with the chosen count, then refreshes', async () => {
    let dead = 3;
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/admin/system': () => envelope(overview(dead)),
      'POST /api/admin/system/queues/ingest/redrive': () => {
        dead = 0;
        return envelope({ queue: 'ingest', moved: 3, failed: 0, deadLetter: 0 });
      },
    });
    renderAdmin('system');
    const queues = await screen.findByRole('region', { name: 'Queues' });
    await userEvent.click(within(queues).getByRole('button', { name: 'Redrive ingest' }));
    const dialog = await screen.findByRole('dialog', { name: 'Redrive ingest' });
    const count = within(dialog).getByLabelText(/Messages to move/);
    expect(count).toHaveValue(100);
    await userEvent.clear(count);
    await userEvent.type(count, '25');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Move messages' }));

    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/admin/system/queues/ingest/redrive')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/admin/system/queues/ingest/redrive')[0])).toEqual({ max: 25 });
    expect(await screen.findByText('Moved 3 messages back to ingest')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() => expect(within(queues).getByRole('button', { name: 'Redrive ingest' })).toBeDisabled());
  });

  it('does not redrive when cancelled or with an out-of-range count', async () => {
    const fetchMock = mockFetch({ 'GET /api/auth/me': ADMIN, 'GET /api/admin/system': overview() });
    renderAdmin('system');
    const queues = await screen.findByRole('region', { name: 'Queues' });
    await userEvent.click(within(queues).getByRole('button', { name: 'Redrive ingest' }));
    let dialog = await screen.findByRole('dialog', { name: 'Redrive ingest' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.click(within(queues).getByRole('button', { name: 'Redrive ingest' }));
    dialog = await screen.findByRole('dialog', { name: 'Redrive ingest' });
    const count = within(dialog).getByLabelText(/Messages to move/);
    await userEvent.clear(count);
    await userEvent.type(count, '5000');
    expect(count).toHaveAttribute('aria-invalid', 'true');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Move messages' }));
    expect(requestsTo(fetchMock, 'POST', '/api/admin/system/queues/ingest/redrive')).toHaveLength(0);
  });

  it('refreshes every 10 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fetchMock = mockFetch({ 'GET /api/auth/me': ADMIN, 'GET /api/admin/system': overview() });
    renderAdmin('system');
    await screen.findByRole('region', { name: 'Queues' });
    const before = requestsTo(fetchMock, 'GET', '/api/admin/system').length;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_500);
    });
    await waitFor(() => expect(requestsTo(fetchMock, 'GET', '/api/admin/system').length).toBeGreaterThan(before));
  });
});

describe('relativeTime and reportFigures', () => {
  it('reads times relative to now and summarises reports', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(relativeTime('2026-05-01T11:59:30Z', now)).toMatch(/30 seconds ago/);
    expect(relativeTime('2026-05-01T10:00:00Z', now)).toMatch(/2 hours ago/);
    expect(relativeTime(null, now)).toBe('—');
    expect(reportFigures({ count: 2, ids: ['a'], done: true, note: 'text' })).toEqual([
      ['count', '2'],
      ['ids', '1'],
      ['done', 'yes'],
    ]);
  });
});
