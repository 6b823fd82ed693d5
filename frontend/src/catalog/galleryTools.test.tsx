import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setToken } from '../auth/tokenStore';
import { useAuth } from '../auth/AuthContext';
import ImagesPage from '../pages/ImagesPage';
import { envelope, mockFetch, renderWithProviders, requestsTo } from '../test/utils';
import { apiTransport } from '../upload/uploadClient';
import { CURATOR, MEMBER, imageDetail, jsonBody, renderCatalog, signIn } from './testSupport';

afterEach(() => {
  setToken(null);
  vi.restoreAllMocks();
});

function gallery(id: string, title: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title,
    description: '',
    visibility: 'public',
    owner: { id: CURATOR.id, displayName: CURATOR.displayName },
    coverImageId: null,
    cover: {},
    parentId: null,
    entryCount: 0,
    createdAt: '2026-03-01T00:00:00Z',
    updatedAt: '2026-03-01T00:00:00Z',
    heldForReview: false,
    ...extra,
  };
}

function galleryDetail(id: string, title: string, extra: Record<string, unknown> = {}) {
  return { ...gallery(id, title), entries: [], entriesCursor: null, children: [], parent: null, canEdit: true, ...extra };
}

/** GET /api/galleries: the viewer's own galleries when filtered by curator, else the public list. */
function galleryList(own: unknown[], everyone: unknown[] = own) {
  return (_r: Request, url: URL) =>
    envelope(url.searchParams.get('curator') === CURATOR.id ? own : everyone, { cursor: null });
}

/** Shows who the app thinks is signed in, so a test can wait until the profile has loaded. */
function SignedInAs() {
  const { user } = useAuth();
  return user ? <output data-testid="signed-in-as">{user.displayName}</output> : null;
}

const EXPLORER = {
  'GET /api/images': () => envelope([], { cursor: null }),
  'GET /api/tags': [],
};

describe('New gallery on /images', () => {
  it('creates a gallery with a parent and opens it', async () => {
    signIn();
    const fetchMock = mockFetch({
      ...EXPLORER,
      'GET /api/auth/me': CURATOR,
      'GET /api/galleries': galleryList([gallery('g1', 'Night Walks')]),
      'POST /api/galleries': () => envelope(galleryDetail('g9', 'Rainy Piers', { parentId: 'g1' }), null, 201),
      'GET /api/galleries/g9': galleryDetail('g9', 'Rainy Piers', { parent: { id: 'g1', title: 'Night Walks' } }),
      'GET /api/galleries/g9/entries': () => envelope([], { cursor: null }),
    });
    renderCatalog('/images');
    await userEvent.click(await screen.findByRole('button', { name: 'New gallery' }));
    const dialog = await screen.findByRole('dialog', { name: 'New gallery' });
    await userEvent.type(within(dialog).getByLabelText('Title'), '  Rainy Piers ');
    await userEvent.type(within(dialog).getByLabelText('Description'), 'Wet boards.');
    await userEvent.selectOptions(within(dialog).getByLabelText('Visibility'), 'Public');
    const parent = within(dialog).getByLabelText('Parent gallery (optional)');
    await within(parent).findByRole('option', { name: 'Night Walks' });
    await userEvent.selectOptions(parent, 'Night Walks');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create gallery' }));

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/galleries\/g9$/));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/galleries')[0])).toEqual({
      title: 'Rainy Piers',
      description: 'Wet boards.',
      visibility: 'public',
      parentId: 'g1',
    });
    const ownQuery = requestsTo(fetchMock, 'GET', '/api/galleries')
      .map((r) => new URL(r.url).searchParams)
      .find((q) => q.has('curator'));
    expect(ownQuery?.get('curator')).toBe(CURATOR.id);
    expect(await screen.findByRole('heading', { name: 'Rainy Piers' })).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('is not offered to members', async () => {
    signIn();
    mockFetch({ ...EXPLORER, 'GET /api/auth/me': MEMBER, 'GET /api/galleries': galleryList([]) });
    renderWithProviders(
      <>
        <ImagesPage />
        <SignedInAs />
      </>,
      { route: '/images' },
    );
    expect(await screen.findByTestId('signed-in-as')).toHaveTextContent(MEMBER.displayName);
    expect(screen.getByRole('heading', { name: 'Galleries' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New gallery' })).not.toBeInTheDocument();
  });
});

describe('Add to gallery from the lightbox', () => {
  const imageRoutes = {
    'GET /api/images/i1': imageDetail('i1', 'Harbour', { canEdit: true }),
    'GET /api/images/i1/like': { liked: false, likeCount: 0 },
    'GET /api/images/i1/comments': () => envelope([], { cursor: null }),
  };

  it("lists the viewer's galleries and reports added and already-present", async () => {
    signIn();
    const fetchMock = mockFetch({
      ...EXPLORER,
      ...imageRoutes,
      'GET /api/auth/me': CURATOR,
      'GET /api/galleries': galleryList(
        [gallery('g1', 'Night Walks'), gallery('g2', 'Harbour Lights', { visibility: 'private' })],
        [gallery('g1', 'Night Walks')],
      ),
      'POST /api/galleries/g2/entries': { added: 1, items: [{ kind: 'image', id: 'i1', status: 'added' }] },
      'POST /api/galleries/g1/entries': { added: 0, items: [{ kind: 'image', id: 'i1', status: 'exists' }] },
    });
    renderCatalog('/images/i1');
    const lightbox = await screen.findByRole('dialog', { name: 'Harbour' });
    await userEvent.click(await within(lightbox).findByRole('button', { name: 'Add to gallery' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add to gallery' });
    const list = await within(dialog).findByRole('list', { name: 'Your galleries' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(list).getByText('Contains this image')).toBeInTheDocument();

    await userEvent.click(within(list).getByRole('button', { name: 'Add to Harbour Lights' }));
    expect(await within(dialog).findByRole('status')).toHaveTextContent('“Harbour” was added to “Harbour Lights”.');
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/galleries/g2/entries')[0])).toEqual({
      items: [{ kind: 'image', id: 'i1' }],
    });

    await userEvent.click(within(list).getByRole('button', { name: 'Add to Night Walks' }));
    await waitFor(() =>
      expect(within(dialog).getByRole('status')).toHaveTextContent('“Harbour” is already in “Night Walks”; nothing changed.'),
    );
    const curatorFilters = requestsTo(fetchMock, 'GET', '/api/galleries').map((r) =>
      new URL(r.url).searchParams.get('curator'),
    );
    expect(curatorFilters).toContain(CURATOR.id);
  });

  it('is not offered on images the viewer cannot edit', async () => {
    signIn();
    mockFetch({
      ...EXPLORER,
      ...imageRoutes,
      // Someone else's image: the Flag button shows once the viewer's profile has loaded.
      'GET /api/images/i1': imageDetail('i1', 'Harbour', {
        canEdit: false,
        owner: { id: MEMBER.id, displayName: MEMBER.displayName },
      }),
      'GET /api/auth/me': CURATOR,
      'GET /api/galleries': galleryList([]),
    });
    renderCatalog('/images/i1');
    const lightbox = await screen.findByRole('dialog', { name: 'Harbour' });
    await within(lightbox).findByRole('button', { name: 'Flag' });
    expect(within(lightbox).queryByRole('button', { name: 'Add to gallery' })).not.toBeInTheDocument();
  });
});

describe('Gallery cover upload', () => {
  const SIZE = 7;

  function session(status: string) {
    return {
      id: 's1',
      kind: 'gallery-cover',
      status,
      createdAt: '2026-03-01T00:00:00Z',
      expiresAt: '2026-03-02T00:00:00Z',
      modelId: null,
      versionId: null,
      galleryId: 'g1',
      files: [
        {
          index: 0,
          name: 'cover.png',
          role: 'gallery-cover',
          size: SIZE,
          assetId: 'c1',
          multipart: false,
          upload: { method: 'PUT', url: 'https://storage.test/incoming/s1/0-cover.png', headers: { 'Content-Type': 'image/png' } },
        },
      ],
    };
  }

  function coverRoutes(statuses: { status: string; error?: string }[]) {
    let checks = 0;
    let coverSet = false;
    return {
      'GET /api/auth/me': CURATOR,
      'GET /api/galleries/g1': () =>
        envelope(
          coverSet
            ? galleryDetail('g1', 'Night Walks', { coverImageId: 'c1', cover: { grid: 'https://storage.test/c1-grid.webp' } })
            : galleryDetail('g1', 'Night Walks', { coverImageId: 'old1', cover: { grid: 'https://storage.test/old-grid.webp' } }),
        ),
      'GET /api/galleries/g1/entries': () => envelope([], { cursor: null }),
      'POST /api/uploads': () => envelope(session('open'), null, 201),
      'POST /api/uploads/s1/complete': () => envelope(session('completed')),
      'GET /api/images/c1/status': () => {
        const answer = statuses[Math.min(checks++, statuses.length - 1)];
        // Ingest makes the processed image the gallery's cover.
        if (answer.status === 'ready') coverSet = true;
        return envelope({ id: 'c1', title: 'cover.png', error: null, previews: {}, ...answer });
      },
    };
  }

  async function openEditor() {
    const tools = await screen.findByRole('group', { name: 'Gallery tools' });
    await userEvent.click(within(tools).getByRole('button', { name: 'Edit' }));
    return screen.findByRole('dialog', { name: 'Edit Night Walks' });
  }

  it('uploads through the uploads API, waits for processing and shows the new cover', async () => {
    signIn();
    const put = vi.spyOn(apiTransport, 'put').mockResolvedValue(undefined);
    const fetchMock = mockFetch(coverRoutes([{ status: 'processing' }, { status: 'ready' }]));
    renderCatalog('/galleries/g1');
    const dialog = await openEditor();
    expect(within(dialog).getByRole('img', { name: 'Cover of Night Walks' })).toHaveAttribute(
      'src',
      'https://storage.test/old-grid.webp',
    );
    const file = new File(['pngdata'], 'cover.png', { type: 'image/png' });
    await userEvent.upload(within(dialog).getByLabelText('Upload cover'), file);

    await waitFor(() => expect(within(dialog).getByRole('status')).toHaveTextContent('The new cover is ready.'), {
      timeout: 4000,
    });
    expect(within(dialog).getByRole('img', { name: 'Cover of Night Walks' })).toHaveAttribute(
      'src',
      'https://storage.test/c1-grid.webp',
    );
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/uploads')[0])).toEqual({
      kind: 'gallery-cover',
      galleryId: 'g1',
      files: [{ name: 'cover.png', size: SIZE, contentType: 'image/png' }],
    });
    expect(put).toHaveBeenCalledWith(
      'https://storage.test/incoming/s1/0-cover.png',
      file,
      { 'Content-Type': 'image/png' },
      expect.any(Function),
      expect.any(AbortSignal),
    );
    expect(requestsTo(fetchMock, 'POST', '/api/uploads/s1/complete')).toHaveLength(1);

    // The uploaded cover is already in place: saving must not send the old choice back.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requestsTo(fetchMock, 'PATCH', '/api/galleries/g1')).toHaveLength(0);
  });

  it('shows why a cover could not be processed', async () => {
    signIn();
    vi.spyOn(apiTransport, 'put').mockResolvedValue(undefined);
    mockFetch(coverRoutes([{ status: 'error', error: 'Not an image' }]));
    renderCatalog('/galleries/g1');
    const dialog = await openEditor();
    await userEvent.upload(
      within(dialog).getByLabelText('Upload cover'),
      new File(['pngdata'], 'cover.png', { type: 'image/png' }),
    );
    await waitFor(() =>
      expect(within(dialog).getByRole('status')).toHaveTextContent('The cover could not be processed: Not an image'),
    );
    expect(within(dialog).getByRole('button', { name: 'Save changes' })).toBeEnabled();
  });
});
