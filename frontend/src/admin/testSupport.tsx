// Shared by the admin component tests: an admin session and the workspace mounted at its route.
import { Route, Routes } from 'react-router-dom';
import { setToken } from '../auth/tokenStore';
import AdminPage from '../pages/AdminPage';
import { renderWithProviders } from '../test/utils';

export const ADMIN = {
  id: 'admin1',
  email: 'admin@visionsuit.local',
  displayName: 'Ada Admin',
  role: 'ADMIN',
  bio: '',
  showAdultContent: false,
  isActive: true,
  createdAt: '2026-01-01T00:00:00Z',
  lastLoginAt: null,
};

/** Signs in (the token is read by the API client; GET /api/auth/me must be mocked) and renders /admin/<section>. */
export function renderAdmin(section: string) {
  setToken('test-token');
  return renderWithProviders(
    <Routes>
      <Route path="/admin/*" element={<AdminPage />} />
      <Route path="*" element={<p>Elsewhere</p>} />
    </Routes>,
    { route: `/admin/${section}` },
  );
}

export async function jsonBody(request: Request): Promise<unknown> {
  return JSON.parse(await request.clone().text());
}
