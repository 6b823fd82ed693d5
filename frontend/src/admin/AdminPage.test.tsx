import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { envelope, mockFetch } from '../test/utils';
import { ADMIN, renderAdmin } from './testSupport';

const TABS = ['Users', 'Applications', 'Models', 'Images', 'Metadata fields', 'Moderation', 'Safety', 'Generator', 'Rankings', 'Settings', 'Audit log'];

describe('AdminPage', () => {
  it('opens the users section at /admin and links every section', async () => {
    mockFetch({
      'GET /api/auth/me': ADMIN,
      'GET /api/users': () => envelope([], { cursor: null }),
      'GET /api/curator-applications': () => envelope([], { cursor: null }),
    });
    renderAdmin('');
    expect(await screen.findByRole('heading', { name: 'Users' })).toBeInTheDocument();
    for (const name of TABS) expect(screen.getByRole('link', { name })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Users' })).toHaveAttribute('aria-current', 'page');

    await userEvent.click(screen.getByRole('link', { name: 'Applications' }));
    expect(await screen.findByRole('heading', { name: 'Curator applications' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Applications' })).toHaveAttribute('aria-current', 'page');
  });

  it('shows members no admin controls', async () => {
    const fetchMock = mockFetch({ 'GET /api/auth/me': { ...ADMIN, role: 'CURATOR' } });
    renderAdmin('users');
    expect(await screen.findByText(/This page is for an administrator/)).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    const paths = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).pathname);
    expect(paths).not.toContain('/api/users');
  });
});
