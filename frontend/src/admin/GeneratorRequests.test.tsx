import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, errorEnvelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, renderAdmin } from './testSupport';

const SETTINGS = {
  accessMode: 'members',
  enabled: true,
  canGenerate: true,
  block: null,
  baseModels: [],
  sizes: { presets: [], default: { width: 1024, height: 1024 }, minSide: 256, maxSide: 2048, maxPixels: 4194304 },
  samplers: ['euler'],
  defaultSampler: 'euler',
  schedulers: ['normal'],
  defaultScheduler: 'normal',
  steps: { default: 28, max: 80 },
  cfg: { default: 7, min: 1, max: 20 },
  maxBatch: 4,
  limits: { maxConcurrentPerUser: 2, dailyPerUser: 100, apply: true, adminsExempt: true },
  usage: {},
  queue: { paused: false, declineNew: false, reason: null, changedAt: null, changedBy: null },
  version: 'v1',
};

function job(id: string, status: string, prompt: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    kind: 'generate',
    status,
    progress: 0,
    attempt: 1,
    createdAt: '2026-05-01T10:00:00Z',
    updatedAt: '2026-05-01T10:01:00Z',
    history: [],
    result: null,
    error: null,
    stage: null,
    retryOf: null,
    ownerId: 'u1',
    renderIds: [],
    request: { prompt, baseModel: { id: 'sdxl', label: 'Preview SDXL' }, width: 1024, height: 1024 },
    ...extra,
  };
}

const RUNNING = job('job-run', 'running', 'a lighthouse at dusk');
const FAILED = job('job-fail', 'failed', 'x'.repeat(300), { error: 'Agent.Failed' });

function setup(extra: Record<string, unknown> = {}) {
  const fetchMock = mockFetch({
    'GET /api/auth/me': ADMIN,
    'GET /api/generator/settings': SETTINGS,
    'GET /api/generator/queue': { paused: false, declineNew: false, counts: { pending: 0, queued: 0, running: 1 }, agents: { online: 1, busy: 1 } },
    'GET /api/generator/blocks': () => envelope({ items: [] }, { cursor: null }),
    'GET /api/generator/agents': [],
    'GET /api/generator/failures': () => envelope([FAILED], { cursor: null }),
    'GET /api/users/u1': { id: 'u1', displayName: 'Mia Member', deleted: false },
    'GET /api/generator/requests': (_request: Request, url: URL) => {
      const status = url.searchParams.get('status');
      const all = [RUNNING, FAILED];
      if (url.searchParams.get('cursor') === 'page2') return envelope([job('job-old', 'succeeded', 'an old render')], { cursor: null });
      const items = status ? all.filter((j) => status.split(',').includes(j.status)) : all;
      return envelope(items, { cursor: status ? null : 'page2' });
    },
    ...extra,
  });
  renderAdmin('generator');
  return fetchMock;
}

async function requestsPanel() {
  return screen.findByRole('region', { name: 'Requests' });
}

describe('GeneratorRequests', () => {
  it("lists everyone's requests with status, owner and a prompt excerpt, and loads more", async () => {
    const fetchMock = setup();
    const panel = await requestsPanel();
    const running = await within(panel).findByRole('listitem', { name: 'Request job-run' });
    expect(within(running).getByText('Running')).toBeInTheDocument();
    expect(await within(running).findByRole('link', { name: 'Mia Member' })).toHaveAttribute('href', '/users/u1');
    expect(within(running).getByText('a lighthouse at dusk')).toBeInTheDocument();
    expect(within(running).getByRole('button', { name: 'Cancel request' })).toBeInTheDocument();
    expect(within(running).queryByRole('button', { name: 'Retry request' })).not.toBeInTheDocument();

    const failed = within(panel).getByRole('listitem', { name: 'Request job-fail' });
    expect(within(failed).getByText(/^x+…$/).textContent).toHaveLength(141);
    expect(within(failed).getByRole('button', { name: 'Retry request' })).toBeInTheDocument();
    expect(within(failed).queryByRole('button', { name: 'Cancel request' })).not.toBeInTheDocument();

    const first = requestsTo(fetchMock, 'GET', '/api/generator/requests')[0];
    expect(new URL(first.url).searchParams.get('scope')).toBe('all');

    await userEvent.click(within(panel).getByRole('button', { name: 'Load more requests' }));
    expect(await within(panel).findByRole('listitem', { name: 'Request job-old' })).toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Load more requests' })).not.toBeInTheDocument();
  });

  it('filters by status', async () => {
    const fetchMock = setup();
    const panel = await requestsPanel();
    await within(panel).findByRole('listitem', { name: 'Request job-run' });
    await userEvent.selectOptions(within(panel).getByLabelText('Request status'), 'Failed, timed out or cancelled');
    await waitFor(() =>
      expect(within(panel).queryByRole('listitem', { name: 'Request job-run' })).not.toBeInTheDocument(),
    );
    const last = requestsTo(fetchMock, 'GET', '/api/generator/requests').at(-1)!;
    expect(new URL(last.url).searchParams.get('status')).toBe('failed,timed_out,cancelled');
    expect(within(panel).getByRole('listitem', { name: 'Request job-fail' })).toBeInTheDocument();
  });

  it('cancels an active request and confirms with a toast', async () => {
    const fetchMock = setup({ 'POST /api/generator/requests/job-run/cancel': { ...RUNNING, status: 'cancelled' } });
    const panel = await requestsPanel();
    const running = await within(panel).findByRole('listitem', { name: 'Request job-run' });
    await userEvent.click(within(running).getByRole('button', { name: 'Cancel request' }));
    expect(await screen.findByText('Request cancelled')).toBeInTheDocument();
    expect(requestsTo(fetchMock, 'POST', '/api/generator/requests/job-run/cancel')).toHaveLength(1);
  });

  it('retries a failed request from the list and from the failure log, showing errors as toasts', async () => {
    let retries = 0;
    const fetchMock = setup({
      'POST /api/generator/requests/job-fail/retry': () => {
        retries += 1;
        return retries === 1
          ? envelope(job('job-new', 'pending', 'again'), null, 202)
          : errorEnvelope(409, 'CONFLICT', 'Only failed, timed-out or cancelled generation jobs can be retried');
      },
    });
    const panel = await requestsPanel();
    const failed = await within(panel).findByRole('listitem', { name: 'Request job-fail' });
    await userEvent.click(within(failed).getByRole('button', { name: 'Retry request' }));
    expect(await screen.findByText('Request queued again as job-new')).toBeInTheDocument();

    const log = screen.getByRole('region', { name: 'Failure log' });
    const logged = within(log).getByRole('listitem', { name: 'Failed job job-fail' });
    await userEvent.click(within(logged).getByRole('button', { name: 'Retry request' }));
    expect(await screen.findByText(/Only failed, timed-out or cancelled/)).toBeInTheDocument();
    expect(requestsTo(fetchMock, 'POST', '/api/generator/requests/job-fail/retry')).toHaveLength(2);
  });
});
