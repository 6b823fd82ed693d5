// Routes. Every page is its own lazily loaded chunk; each page file default-exports its component.
import { lazy, Suspense } from "react";
import { Link, Route, Routes, useLocation } from "react-router-dom";
import { AuthDialogsProvider } from "./components/AuthDialogs";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { NotificationsProvider } from "./components/NotificationsProvider";
import { Shell } from "./components/Shell";
import { Spinner } from "./components/Spinner";
import { usePageTitle } from "./components/usePageTitle";

const HomePage = lazy(() => import("./pages/HomePage"));
const ModelsPage = lazy(() => import("./pages/ModelsPage"));
const ImagesPage = lazy(() => import("./pages/ImagesPage"));
const UploadPage = lazy(() => import("./pages/UploadPage"));
const GeneratorPage = lazy(() => import("./pages/GeneratorPage"));
const NotificationsPage = lazy(() => import("./pages/NotificationsPage"));
const ProfilePage = lazy(() => import("./pages/ProfilePage"));
const AdminPage = lazy(() => import("./pages/AdminPage"));

function NotFound() {
  usePageTitle("Not found");
  return (
    <section className="vs-empty">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to="/">Back to Home</Link>
    </section>
  );
}

export function AppRoutes() {
  const location = useLocation();
  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Suspense fallback={<Spinner label="Loading page" />}>
        <Routes>
          <Route path="/" element={<HomePage />} />
          <Route path="/models" element={<ModelsPage />} />
          <Route path="/models/:modelId" element={<ModelsPage />} />
          <Route path="/images" element={<ImagesPage />} />
          <Route path="/images/:imageId" element={<ImagesPage />} />
          <Route path="/galleries/:galleryId" element={<ImagesPage />} />
          <Route path="/upload" element={<UploadPage />} />
          <Route path="/generator" element={<GeneratorPage />} />
          <Route path="/notifications" element={<NotificationsPage />} />
          <Route path="/users/:userId" element={<ProfilePage />} />
          <Route path="/admin/*" element={<AdminPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </ErrorBoundary>
  );
}

/** Everything inside the router, query client and toast providers (see main.tsx). */
export default function App() {
  return (
    <AuthDialogsProvider>
      <NotificationsProvider>
        <Shell>
          <AppRoutes />
        </Shell>
      </NotificationsProvider>
    </AuthDialogsProvider>
  );
}
