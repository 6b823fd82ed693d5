import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { setToken } from '../auth/tokenStore';
import { envelope, errorEnvelope, mockFetch, requestsTo } from '../test/utils';
import { modelCard, renderCatalog } from './testSupport';

afterEach(() => setToken(null));

function lastModelsQuery(fetchMock: ReturnType<typeof mockFetch>): URLSearchParams {
  return new URL(requestsTo(fetchMock, 'GET', '/api/models').at(-1)!.url).searchParams;
}

describe('ModelsPage', () => {
  it('filters on the server from the URL and removes a tag with its chip', async () => {
    const fetchMock = mockFetch({
      'GET /api/tags': [],
      'GET /api/metadata/fields': [],
      'GET /api/models': (_r: Request, url: URL) =>
        envelope(
          url.searchParams.get('tags') === 'lantern'
            ? [modelCard('m1', 'Lantern Glow')]
            : [modelCard('m1', 'Lantern Glow'), modelCard('m2', 'Demo Gradient')],
          { cursor: null },
        ),
    });
    renderCatalog('/models?tags=lantern');
    const grid = await screen.findByRole('list', { name: 'Models' });
    expect(await within(grid).findByRole('img', { name: 'Lantern Glow' })).toHaveAttribute(
      'src',
      'https://storage.test/m1-grid.webp',
    );
    expect(lastModelsQuery(fetchMock).get('tags')).toBe('lantern');
    expect(within(grid).getByRole('link', { name: /Lantern Glow/ })).toHaveAttribute('href', '/models/m1?tags=lantern');

    await userEvent.click(screen.getByRole('button', { name: 'Remove Tag: lantern' }));
    expect(await within(grid).findByText('Demo Gradient')).toBeInTheDocument();
    expect(lastModelsQuery(fetchMock).has('tags')).toBe(false);
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/models$/);
  });

  it('searches as the viewer types and filters by type with a removable chip', async () => {
    const fetchMock = mockFetch({
      'GET /api/tags': [{ slug: 'night', label: 'night', category: null, count: 3 }],
      'GET /api/metadata/fields': [],
      'GET /api/models': (_r: Request, url: URL) =>
        envelope(url.searchParams.get('q') === 'nothing' ? [] : [modelCard('m1', 'Lantern Glow')], { cursor: null }),
    });
    renderCatalog('/models');
    await screen.findByText('Lantern Glow');

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search models' }), 'nothing');
    expect(await screen.findByText('No models found')).toBeInTheDocument();
    expect(lastModelsQuery(fetchMock).get('q')).toBe('nothing');
    expect(screen.getByTestId('location')).toHaveTextContent('/models?q=nothing');

    await userEvent.selectOptions(screen.getByLabelText('Type'), 'checkpoint');
    expect(await screen.findByRole('button', { name: 'Remove Type: Checkpoint' })).toBeInTheDocument();
    expect(lastModelsQuery(fetchMock).get('type')).toBe('checkpoint');

    await userEvent.click(screen.getByRole('button', { name: 'night' }));
    await waitFor(() => expect(lastModelsQuery(fetchMock).get('tags')).toBe('night'));
  });

  it('shows In Audit placeholders', async () => {
    mockFetch({
      'GET /api/tags': [],
      'GET /api/metadata/fields': [],
      'GET /api/models': () =>
        envelope(
          [{ id: 'm9', title: 'Under Review', kind: 'model', moderation: 'flagged', inAudit: true, placeholder: true }],
          { cursor: null },
        ),
    });
    renderCatalog('/models');
    expect(await screen.findByRole('listitem', { name: 'Under Review (In Audit)' })).toBeInTheDocument();
  });

  it('reports a failed search', async () => {
    mockFetch({
      'GET /api/tags': [],
      'GET /api/metadata/fields': [],
      'GET /api/models': () => errorEnvelope(400, 'VALIDATION_ERROR', 'Search text is too long', 'q'),
    });
    renderCatalog('/models');
    expect(await screen.findByRole('alert')).toHaveTextContent('Search text is too long');
  });
});
