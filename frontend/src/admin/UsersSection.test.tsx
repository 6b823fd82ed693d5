import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, mockFetch, requestsTo } from '../test/utils';
import { ADMIN, jsonBody, renderAdmin } from './testSupport';

function account(id: string, displayName: string, role = 'USER') {
  return {
    id,
    displayName,
    role,
    bio: '',
    createdAt: '2026-02-01T00:00:00Z',
    email: `${id}@example.com`,
    showAdultContent: false,
    isActive: true,
    lastLoginAt: null,
    avatarImageId: null,
    updatedAt: null,
    deletion: null,
  };
}

const ACCOUNTS = [account('admin1', 'Ada Admin', 'ADMIN'), account('u1', 'Mia Member'), account('u2', 'Max Member')];

describe('UsersSection', () => {
  it('creates an account from a role preset and shows the generated password once', async () => {
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/users': () => envelope(ACCOUNTS, { cursor: null }),
      'POST /api/users': () => envelope({ user: account('c9', 'Cleo Curator', 'CURATOR'), generatedPassword: 'p4ss-w0rd-xyz' }, null, 201),
    });
    renderAdmin('users');
    await userEvent.click(await screen.findByRole('button', { name: 'New user' }));
    const dialog = await screen.findByRole('dialog', { name: 'New user' });
    await userEvent.click(within(dialog).getByRole('radio', { name: /Curator/ }));
    await userEvent.type(within(dialog).getByLabelText('Email'), 'cleo@example.com');
    await userEvent.type(within(dialog).getByLabelText('Display name'), 'Cleo Curator');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create account' }));

    expect(await screen.findByTestId('generated-password')).toHaveTextContent('p4ss-w0rd-xyz');
    const [request] = requestsTo(fetchMock, 'POST', '/api/users');
    expect(await jsonBody(request)).toEqual({ email: 'cleo@example.com', displayName: 'Cleo Curator', role: 'CURATOR', bio: '' });
  });

  it('bulk-deletes the selected accounts, removing their content, after an explicit confirmation', async () => {
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/users': () => envelope(ACCOUNTS, { cursor: null }),
      'POST /api/users/bulk-delete': () => envelope({ deletions: [] }, null, 202),
    });
    renderAdmin('users');
    // The signed-in admin cannot select themselves.
    expect(await screen.findByRole('checkbox', { name: 'Select Ada Admin' })).toBeDisabled();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Mia Member' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select Max Member' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete selected' }));

    const dialog = await screen.findByRole('dialog', { name: 'Delete 2 accounts' });
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Remove their content' }));
    const submit = within(dialog).getByRole('button', { name: 'Delete accounts' });
    expect(submit).toBeDisabled();
    await userEvent.click(within(dialog).getByRole('checkbox', { name: /permanent/ }));
    await userEvent.click(submit);

    await waitFor(() => expect(requestsTo(fetchMock, 'POST', '/api/users/bulk-delete')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'POST', '/api/users/bulk-delete')[0])).toEqual({
      ids: ['u1', 'u2'],
      content: 'remove',
    });
  });

  it('deactivates an account with a PATCH of isActive only', async () => {
    const fetchMock = mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/users': () => envelope(ACCOUNTS, { cursor: null }),
      'PATCH /api/users/u1': () => envelope({ ...account('u1', 'Mia Member'), isActive: false }),
    });
    renderAdmin('users');
    await userEvent.click(await screen.findByRole('button', { name: 'Deactivate Mia Member' }));
    await waitFor(() => expect(requestsTo(fetchMock, 'PATCH', '/api/users/u1')).toHaveLength(1));
    expect(await jsonBody(requestsTo(fetchMock, 'PATCH', '/api/users/u1')[0])).toEqual({ isActive: false });
  });
});
