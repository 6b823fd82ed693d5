// The application frame: sidebar navigation, service LEDs, top bar (NSFW switch, account menu or
// sign-in/register) and the maintenance screen for non-administrators.
import { useEffect, useState, type ReactNode } from "react";
import { NavLink } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { onMaintenance } from "../api/events";
import { useSiteConfig } from "../api/site";
import { useAuth } from "../auth/AuthContext";
import { AccountMenu } from "./AccountMenu";
import { useAuthDialogs } from "./AuthDialogs";
import { MaintenanceScreen } from "./MaintenanceScreen";
import { useNotificationCounts } from "./NotificationsProvider";
import { NsfwToggle } from "./NsfwToggle";
import { ServiceLeds } from "./ServiceLeds";

interface NavItem {
  to: string;
  label: string;
  icon: string;
  end?: boolean;
}

const NAV: NavItem[] = [
  { to: "/", label: "Home", icon: "⌂", end: true },
  { to: "/models", label: "Models", icon: "◆" },
  { to: "/images", label: "Images", icon: "▣" },
  { to: "/generator", label: "Generator", icon: "✦" },
];

function NavEntry({ item, badge }: { item: NavItem; badge?: ReactNode }) {
  return (
    <li>
      <NavLink to={item.to} end={item.end} className={({ isActive }) => `vs-nav__link${isActive ? " vs-nav__link--active" : ""}`}>
        <span className="vs-nav__icon" aria-hidden="true">
          {item.icon}
        </span>
        <span className="vs-nav__label">{item.label}</span>
        {badge}
      </NavLink>
    </li>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { user, isAdmin, loading } = useAuth();
  const { openLogin, openRegister } = useAuthDialogs();
  const config = useSiteConfig();
  const queryClient = useQueryClient();
  const { totalUnread } = useNotificationCounts();
  const [maintenanceSignalled, setMaintenanceSignalled] = useState(false);

  useEffect(
    () =>
      onMaintenance(() => {
        setMaintenanceSignalled(true);
        void queryClient.invalidateQueries({ queryKey: ["meta", "config"] });
      }),
    [queryClient],
  );

  // Once the config has been refetched it is the authority (maintenance may have ended).
  useEffect(() => {
    if (config.data && !config.isFetching) setMaintenanceSignalled(config.data.maintenanceMode);
  }, [config.data, config.isFetching]);

  const siteTitle = config.data?.siteTitle ?? "VisionSuit";
  const maintenance = (config.data?.maintenanceMode || maintenanceSignalled) && !isAdmin;
  if (maintenance && !loading) return <MaintenanceScreen siteTitle={siteTitle} />;

  const unreadBadge =
    totalUnread > 0 ? (
      <span className="vs-nav__badge" aria-label={`${totalUnread} unread`}>
        {totalUnread > 99 ? "99+" : totalUnread}
      </span>
    ) : undefined;

  return (
    <div className="vs-app">
      <a className="vs-skip-link" href="#vs-main">
        Skip to content
      </a>
      <aside className="vs-sidebar">
        <NavLinkBrand title={siteTitle} />
        <nav className="vs-nav" aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <NavEntry key={item.to} item={item} />
            ))}
            <NavEntry item={{ to: "/notifications", label: "Notifications", icon: "✉" }} badge={unreadBadge} />
            {isAdmin && <NavEntry item={{ to: "/admin", label: "Admin", icon: "⚙" }} />}
          </ul>
        </nav>
        <div className="vs-sidebar__status">
          <ServiceLeds />
        </div>
      </aside>
      <div className="vs-column">
        <header className="vs-topbar">
          {config.data?.maintenanceMode && isAdmin && (
            <p className="vs-topbar__notice" role="status">
              Maintenance mode is on: only administrators can use the site.
            </p>
          )}
          <div className="vs-topbar__actions">
            {user ? (
              <>
                <NsfwToggle />
                <AccountMenu />
              </>
            ) : loading ? null : (
              <>
                <button type="button" className="vs-button" onClick={openLogin}>
                  Sign in
                </button>
                {config.data?.allowRegistration !== false && (
                  <button type="button" className="vs-button vs-button--primary" onClick={openRegister}>
                    Register
                  </button>
                )}
              </>
            )}
          </div>
        </header>
        <main id="vs-main" className="vs-main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

function NavLinkBrand({ title }: { title: string }) {
  return (
    <NavLink to="/" className="vs-brand" aria-label={title}>
      <span className="vs-brand__mark" aria-hidden="true">
        V
      </span>
      <span className="vs-brand__name">{title}</span>
    </NavLink>
  );
}
