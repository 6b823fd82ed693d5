import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setToken } from '../auth/tokenStore';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { CURATOR, MEMBER, jsonBody, modelCard, modelDetail, renderCatalog, signIn } from './testSupport';

const writeText = vi.fn(async () => undefined);
const assign = vi.fn();
const realLocation = window.location;

beforeEach(() => {
  writeText.mockClear();
  assign.mockClear();
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  // jsdom cannot navigate; the download follows the signed URL with location.assign.
  Object.defineProperty(window, 'location', { value: { ...realLocation, assign }, configurable: true, writable: true });
});

afterEach(() => {
  setToken(null);
  Object.defineProperty(window, 'location', { value: realLocation, configurable: true, writable: true });
});

function routes(detail: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    'GET /api/tags': [],
    'GET /api/metadata/fields': [],
    'GET /api/models': () => envelope([modelCard('m1', 'Lantern Glow')], { cursor: null }),
    'GET /api/models/m1': detail,
    'GET /api/models/m1/like': { liked: false, likeCount: 2 },
    'GET /api/models/m1/comments': () => envelope([], { cursor: null }),
    ...extra,
  };
}

describe('ModelDialog', () => {
  it('shows a model to guests: trigger copy, metadata, dataset tags; no download or flag', async () => {
    mockFetch(routes(modelDetail()));
    renderCatalog('/models/m1?tags=lantern');
    const dialog = await screen.findByRole('dialog', { name: 'Lantern Glow' });

    await userEvent.click(within(dialog).getByRole('button', { name: 'Copy trigger words' }));
    expect(writeText).toHaveBeenCalledWith('lnt style, warm glow');
    expect(await screen.findByText('Trigger words copied')).toBeInTheDocument();

    const metadata = within(dialog).getByRole('region', { name: 'Metadata' });
    expect(within(metadata).getByRole('row', { name: /Epochs 10/ })).toBeInTheDocument();
    expect(within(metadata).getByRole('row', { name: /Version 2\.0 \(primary\)/ })).toBeInTheDocument();
    expect(within(within(dialog).getByRole('region', { name: 'Dataset tags' })).getByText('lantern')).toBeInTheDocument();
    expect(within(dialog).getByRole('link', { name: 'Night Walks' })).toHaveAttribute('href', '/galleries/g1');

    expect(within(dialog).queryByRole('button', { name: 'Download' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Sign in to download' })).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Flag' })).not.toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Like' })).toBeDisabled();

    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('location')).toHaveTextContent('/models?tags=lantern');
  });

  it('lets a member download the chosen version, like and flag it', async () => {
    signIn();
    const fetchMock = mockFetch(
      routes(modelDetail(), {
        'GET /api/auth/me': MEMBER,
        'GET /api/models/m1/versions/v1/download': { url: 'https://storage.test/v1.safetensors?sig=1' },
        'POST /api/models/m1/like': { liked: true, likeCount: 3 },
        'POST /api/models/m1/flags': { id: 'f1' },
      }),
    );
    renderCatalog('/models/m1');
    const dialog = await screen.findByRole('dialog', { name: 'Lantern Glow' });

    await userEvent.selectOptions(within(dialog).getByLabelText('Version'), 'v1');
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Download' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://storage.test/v1.safetensors?sig=1'));

    await userEvent.click(within(dialog).getByRole('button', { name: 'Like' }));
    expect(await within(dialog).findByRole('button', { name: 'Unlike' })).toHaveAttribute('aria-pressed', 'true');
    expect(within(dialog).getByText('3 likes')).toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Flag' }));
    const flag = await screen.findByRole('dialog', { name: /^Flag/ });
    await userEvent.selectOptions(within(flag).getByLabelText('Reason'), 'copyright');
    await userEvent.type(within(flag).getByLabelText(/^Details/), 'Copied');
    await userEvent.click(within(flag).getByRole('button', { name: 'Send report' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: /^Flag/ })).not.toBeInTheDocument());
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/models/m1/flags')[0])).toEqual({
      reason: 'copyright',
      details: 'Copied',
    });
  });

  it('gives the owner edit, version and delete tools but no flag', async () => {
    signIn();
    const fetchMock = mockFetch(
      routes(modelDetail({ canEdit: true }), {
        'GET /api/auth/me': CURATOR,
        'PATCH /api/models/m1': modelDetail({ canEdit: true, title: 'Lantern Glow XL' }),
        'POST /api/models/m1/versions/v1/promote': {},
        'DELETE /api/models/m1': {},
      }),
    );
    renderCatalog('/models/m1');
    const dialog = await screen.findByRole('dialog', { name: 'Lantern Glow' });
    await within(dialog).findByRole('button', { name: 'Download' });
    expect(within(dialog).queryByRole('button', { name: 'Flag' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('link', { name: 'Upload new version' })).toHaveAttribute('href', '/upload?modelId=m1');

    await userEvent.click(within(dialog).getByRole('button', { name: 'Make version 1.0 primary' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/models/m1/versions/v1/promote')).toHaveLength(1));

    await userEvent.click(within(dialog).getByRole('button', { name: 'Edit' }));
    const edit = await screen.findByRole('dialog', { name: 'Edit Lantern Glow' });
    expect(within(edit).getByRole('tab', { name: 'Ownership' })).toBeInTheDocument();
    const title = within(edit).getByLabelText('Title');
    await userEvent.clear(title);
    await userEvent.type(title, 'Lantern Glow XL');
    await userEvent.click(within(edit).getByRole('tab', { name: 'Prompting' }));
    const triggers = within(edit).getByLabelText(/Trigger words/);
    await userEvent.clear(triggers);
    await userEvent.type(triggers, 'lnt style, ember');
    await userEvent.click(within(edit).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'PATCH', '/api/models/m1')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'PATCH', '/api/models/m1')[0])).toEqual({
      title: 'Lantern Glow XL',
      triggerWords: ['lnt style', 'ember'],
    });

    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete “Lantern Glow”?' });
    expect(confirm).toHaveTextContent('This cannot be undone.');
    await userEvent.click(within(confirm).getByRole('button', { name: 'Delete model' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'DELETE', '/api/models/m1')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/models$/));
  });

  it('shows the In Audit notice to the owner of a flagged model', async () => {
    mockFetch(
      routes({ id: 'm1', title: 'Lantern Glow', kind: 'model', moderation: 'flagged', inAudit: true, placeholder: true }),
    );
    renderCatalog('/models/m1');
    const dialog = await screen.findByRole('dialog', { name: 'Lantern Glow' });
    expect(within(dialog).getByText(/being reviewed by the moderators/)).toBeInTheDocument();
  });
});
