import { useAuthDialogs } from "./AuthDialogs";

/** Shown to everyone but administrators while the site is in maintenance mode; only sign-in stays
 * available so an administrator can get in. */
export function MaintenanceScreen({ siteTitle }: { siteTitle: string }) {
  const { openLogin } = useAuthDialogs();
  return (
    <main className="vs-maintenance" aria-labelledby="vs-maintenance-title">
      <h1 id="vs-maintenance-title">{siteTitle} is under maintenance</h1>
      <p>We are working on the platform and will be back shortly. Thank you for your patience.</p>
      <button type="button" className="vs-button vs-button--primary" onClick={openLogin}>
        Sign in
      </button>
    </main>
  );
}
