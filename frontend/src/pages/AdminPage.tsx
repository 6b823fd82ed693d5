import { NavLink, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { RequireRole } from '../auth/AuthContext';
import { usePageTitle } from '../components/usePageTitle';
import UsersSection from '../admin/UsersSection';
import ApplicationsSection from '../admin/ApplicationsSection';
import AssetsSection from '../admin/AssetsSection';
import ModerationSection from '../admin/ModerationSection';
import MetadataFieldsSection from '../admin/MetadataFieldsSection';
import SafetySection from '../admin/SafetySection';
import GeneratorSection from '../admin/GeneratorSection';
import RankingsSection from '../admin/RankingsSection';
import SettingsSection from '../admin/SettingsSection';
import AuditSection from '../admin/AuditSection';
import SystemSection from '../admin/SystemSection';
import '../styles/admin.css';

// Links are absolute: inside a splat route ("/admin/*") relative links resolve against the whole
// current URL in React Router 7, so "users" from /admin/models would point below /admin/models.
const ADMIN_ROOT = '/admin';

/** Each section has its own URL under /admin, so a reload or a shared link lands on the same tab. */
const SECTIONS = [
  { path: 'users', label: 'Users', element: <UsersSection /> },
  { path: 'applications', label: 'Applications', element: <ApplicationsSection /> },
  { path: 'models', label: 'Models', element: <AssetsSection kind="model" /> },
  { path: 'images', label: 'Images', element: <AssetsSection kind="image" /> },
  { path: 'metadata', label: 'Metadata fields', element: <MetadataFieldsSection /> },
  { path: 'moderation', label: 'Moderation', element: <ModerationSection /> },
  { path: 'safety', label: 'Safety', element: <SafetySection /> },
  { path: 'generator', label: 'Generator', element: <GeneratorSection /> },
  { path: 'rankings', label: 'Rankings', element: <RankingsSection /> },
  { path: 'settings', label: 'Settings', element: <SettingsSection /> },
  { path: 'audit', label: 'Audit log', element: <AuditSection /> },
  { path: 'system', label: 'System', element: <SystemSection /> },
] as const;

export default function AdminPage() {
  return (
    <RequireRole role="ADMIN">
      <AdminWorkspace />
    </RequireRole>
  );
}

function AdminWorkspace() {
  const { pathname } = useLocation();
  const current = SECTIONS.find((section) => pathname.startsWith(`${ADMIN_ROOT}/${section.path}`));
  usePageTitle(current ? `${current.label} · Administration` : 'Administration');
  return (
    <div className="admin">
      <h1 className="admin__title">Administration</h1>
      <nav className="admin-tabs" aria-label="Administration sections">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.path}>
              <NavLink to={`${ADMIN_ROOT}/${section.path}`} className={({ isActive }) => (isActive ? 'admin-tab is-active' : 'admin-tab')}>
                {section.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="admin__panel">
        <Routes>
          <Route index element={<Navigate to={`${ADMIN_ROOT}/users`} replace />} />
          {SECTIONS.map((section) => (
            <Route key={section.path} path={`${section.path}/*`} element={section.element} />
          ))}
          <Route path="*" element={<Navigate to={`${ADMIN_ROOT}/users`} replace />} />
        </Routes>
      </div>
    </div>
  );
}
