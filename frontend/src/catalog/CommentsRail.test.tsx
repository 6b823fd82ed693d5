import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { setToken } from '../auth/tokenStore';
import { envelope, mockFetch, renderWithProviders, requestsTo } from '../test/utils';
import CommentsRail from './CommentsRail';
import { MEMBER, comment, jsonBody, signIn } from './testSupport';

afterEach(() => setToken(null));

describe('CommentsRail', () => {
  it('posts comments and replies and likes a comment', async () => {
    signIn();
    let posted: unknown[] = [];
    const fetchMock = mockFetch({
      'GET /api/auth/me': MEMBER,
      'GET /api/images/i1/comments': () =>
        envelope(
          [
            comment('1000000000000aaaaaaaa', 'First!', {
              replyCount: 1,
              replies: [comment('1000000000001bbbbbbbb', 'Agreed', { parentId: '1000000000000aaaaaaaa' })],
            }),
            ...posted,
          ],
          { cursor: null },
        ),
      'POST /api/images/i1/comments': async (request: Request) => {
        const body = (await jsonBody(request)) as { content: string; parentId: string | null };
        const created = comment('1000000000002cccccccc', body.content, { parentId: body.parentId, canDelete: true });
        if (!body.parentId) posted = [created];
        return envelope(created);
      },
      'POST /api/images/i1/comments/1000000000000aaaaaaaa/like': { liked: true, likeCount: 1 },
    });
    renderWithProviders(<CommentsRail kind="image" assetId="i1" collapsible />);

    const first = (await screen.findByText('First!')).closest('li')!;
    expect(within(first).getByRole('list', { name: `Replies to ${MEMBER.displayName}` })).toHaveTextContent('Agreed');

    await userEvent.type(await screen.findByLabelText('Add a comment'), 'Lovely light');
    await userEvent.click(screen.getByRole('button', { name: 'Comment' }));
    expect(await screen.findByText('Lovely light')).toBeInTheDocument();
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/images/i1/comments')[0])).toEqual({
      content: 'Lovely light',
      parentId: null,
    });
    expect(screen.getByLabelText('Add a comment')).toHaveValue('');

    await userEvent.click(within(first).getAllByRole('button', { name: 'Reply' })[0]);
    await userEvent.type(within(first).getByLabelText(`Reply to ${MEMBER.displayName}`), 'Thanks');
    await userEvent.click(within(first).getByRole('button', { name: 'Post reply' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/images/i1/comments')).toHaveLength(2));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/images/i1/comments')[1])).toEqual({
      content: 'Thanks',
      parentId: '1000000000000aaaaaaaa',
    });

    await userEvent.click(within(first).getAllByRole('button', { name: `Like comment by ${MEMBER.displayName}` })[0]);
    await waitFor(() =>
      expect(requestsTo(fetchMock, 'POST', '/api/images/i1/comments/1000000000000aaaaaaaa/like')).toHaveLength(1),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Hide comments' }));
    expect(screen.queryByText('First!')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Show comments' })).toHaveAttribute('aria-expanded', 'false');
  });

  it('asks guests to sign in instead of showing the form', async () => {
    mockFetch({ 'GET /api/models/m1/comments': () => envelope([], { cursor: null }) });
    renderWithProviders(<CommentsRail kind="model" assetId="m1" />);
    expect(await screen.findByText('No comments yet.')).toBeInTheDocument();
    expect(screen.queryByLabelText('Add a comment')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign in to comment' })).toBeInTheDocument();
  });
});
