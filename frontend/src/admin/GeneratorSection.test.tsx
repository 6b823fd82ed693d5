import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { parseSizes } from './GeneratorOptionsForm';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

const SETTINGS = {
  accessMode: 'members',
  enabled: true,
  canGenerate: true,
  block: null,
  baseModels: [
    { id: 'preview-sdxl', label: 'Preview SDXL', type: 'SDXL', source: 'bucket', modelId: null, key: 'preview/sdxl.safetensors', sha256: null, default: true },
  ],
  sizes: { presets: [{ width: 1024, height: 1024 }], default: { width: 1024, height: 1024 }, minSide: 256, maxSide: 2048, maxPixels: 4194304 },
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
  version: 'v7',
};

function routes(extra: Record<string, unknown> = {}) {
  return {
    'GET /api/auth/me': ADMIN,
    'GET /api/generator/settings': SETTINGS,
    'GET /api/generator/queue': { paused: false, declineNew: false, counts: { pending: 1, queued: 0, running: 1 }, agents: { online: 1, busy: 1 } },
    'GET /api/generator/blocks': () => envelope({ items: [] }, { cursor: null }),
    'GET /api/generator/agents': [],
    'GET /api/generator/failures': () => envelope([], { cursor: null }),
    ...extra,
  };
}

describe('GeneratorSection', () => {
  it('pauses the queue, declining new requests, with a reason', async () => {
    const fetchMock = mockFetch(
      routes({ 'POST /api/generator/queue/pause': { queue: { paused: true, declineNew: true, reason: 'GPU maintenance' } } }),
    );
    renderAdmin('generator');
    const queue = await screen.findByRole('region', { name: 'Queue' });
    expect(within(queue).getByRole('checkbox', { name: 'Decline new requests' })).toBeChecked();
    await userEvent.type(within(queue).getByLabelText('Pause reason (optional)'), 'GPU maintenance');
    await userEvent.click(within(queue).getByRole('button', { name: 'Pause queue' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/generator/queue/pause')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/generator/queue/pause')[0])).toEqual({
      declineNew: true,
      reason: 'GPU maintenance',
    });
  });

  it('saves an edited base model list with the version it was read at', async () => {
    const fetchMock = mockFetch(routes({ 'PUT /api/generator/settings': SETTINGS }));
    renderAdmin('generator');
    const editor = await screen.findByRole('region', { name: 'Base models' });
    await userEvent.click(within(editor).getByRole('button', { name: 'Add base model' }));
    const entry = within(editor).getByRole('group', { name: /^Entry 2/ });
    await userEvent.type(within(entry).getByLabelText('Entry id'), 'flux-dev');
    await userEvent.type(within(entry).getByLabelText('Label'), 'Flux dev');
    await userEvent.selectOptions(within(entry).getByLabelText('Type'), 'Flux');
    await userEvent.selectOptions(within(entry).getByLabelText('Source'), 'catalog');
    await userEvent.type(within(entry).getByLabelText('Catalog model id'), 'abc123');
    await userEvent.click(within(editor).getByRole('button', { name: 'Save base models' }));

    await waitFor(() => expect(requestsTo(fetchMock, 'PUT', '/api/generator/settings')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'PUT', '/api/generator/settings')[0])).toEqual({
      version: 'v7',
      baseModels: [
        SETTINGS.baseModels[0],
        { id: 'flux-dev', label: 'Flux dev', type: 'Flux', source: 'catalog', modelId: 'abc123', key: null, sha256: null, default: false },
      ],
    });
  });

  it('shows a registered agent key once', async () => {
    mockFetch(
      routes({
        'POST /api/generator/agents': () =>
          envelope({ agent: { id: 'a1b2c3d4e5f6', name: 'gpu-1', enabled: true, createdAt: null, lastSeenAt: null, mode: 'pull', busy: false }, token: 'vsak_secret' }, null, 201),
      }),
    );
    renderAdmin('generator');
    const agents = await screen.findByRole('region', { name: 'GPU agents' });
    await userEvent.type(within(agents).getByLabelText('Agent name'), 'gpu-1');
    await userEvent.click(within(agents).getByRole('button', { name: 'Register agent' }));
    const dialog = await screen.findByRole('dialog', { name: 'Agent key' });
    expect(within(dialog).getByTestId('agent-key')).toHaveTextContent('vsak_secret');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('vsak_secret')).not.toBeInTheDocument();
  });
});

describe('parseSizes', () => {
  it('reads WIDTHxHEIGHT lists and rejects anything else', () => {
    expect(parseSizes('1024x1024, 832 × 1216')).toEqual([
      { width: 1024, height: 1024 },
      { width: 832, height: 1216 },
    ]);
    expect(parseSizes('1024')).toBeNull();
  });
});
