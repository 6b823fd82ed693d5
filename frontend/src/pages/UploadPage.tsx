import { useAuth } from "../auth/AuthContext";
import { Spinner } from "../components/Spinner";
import { UploadWizard } from "../upload/UploadWizard";
import "../styles/upload.css";

/** /upload — the three-step upload wizard for models and image batches (curators and admins). */
export default function UploadPage() {
  const { user, isCurator, loading } = useAuth();
  return (
    <div className="upload-page">
      <h1 id="upload-page-title">Upload</h1>
      {loading ? (
        <Spinner label="Checking your account" />
      ) : !user ? (
        <p className="upload-notice" role="status">Sign in to upload models and images.</p>
      ) : !isCurator ? (
        <p className="upload-notice" role="status">
          Uploading models and images is open to curators. You can apply to become a curator from your account menu.
        </p>
      ) : (
        <UploadWizard userId={user.id} />
      )}
    </div>
  );
}
