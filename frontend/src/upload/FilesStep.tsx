import { useEffect, useState } from "react";
import { Dropzone } from "./Dropzone";
import {
  IMAGE_ACCEPT,
  MAX_IMAGES,
  MODEL_ACCEPT,
  addToImageBatch,
  addToModelSelection,
  formatBytes,
  type ModelSelection,
} from "./fileRules";
import type { UploadMode } from "./wizardModel";

/** An object URL for a local image preview, revoked when the file goes away. */
function useObjectUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    // Created and revoked by the same effect, so a re-run (StrictMode, a new file) never shows a revoked URL.
    if (!file) {
      setUrl(null);
      return;
    }
    const created = URL.createObjectURL(file);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [file]);
  return url;
}

function LocalPreview({ file }: { file: File }) {
  const url = useObjectUrl(file);
  return url ? <img className="upload-file__thumb" src={url} alt={`Preview of ${file.name}`} /> : null;
}

interface FilesStepProps {
  mode: UploadMode;
  model: ModelSelection;
  images: File[];
  problems: string[];
  onModelChange: (selection: ModelSelection) => void;
  onImagesChange: (files: File[]) => void;
  onProblems: (problems: string[]) => void;
}

export function FilesStep({ mode, model, images, problems, onModelChange, onImagesChange, onProblems }: FilesStepProps) {
  const isImages = mode === "images";
  const add = (files: File[]) => {
    if (isImages) {
      const result = addToImageBatch(images, files);
      onImagesChange(result.files);
      onProblems(result.problems);
    } else {
      const result = addToModelSelection(model, files);
      onModelChange(result.selection);
      onProblems(result.problems);
    }
  };

  return (
    <div className="upload-files">
      <Dropzone
        onFiles={add}
        accept={isImages ? IMAGE_ACCEPT : `${MODEL_ACCEPT},${IMAGE_ACCEPT}`}
        hint={isImages
          ? `PNG, JPEG, WebP or AVIF, up to ${MAX_IMAGES} images of at most 64 MiB each`
          : "One .safetensors file (or a .zip holding one, at most 5 GiB) and one cover image (at most 64 MiB)"}
      />
      {problems.length > 0 && (
        <ul className="upload-problems" role="alert" aria-label="Files that cannot be uploaded">
          {problems.map((p) => <li key={p}>{p}</li>)}
        </ul>
      )}
      {isImages ? (
        <ul className="upload-file-list" aria-label="Selected files">
          {images.map((file) => (
            <li key={`${file.name}-${file.size}-${file.lastModified}`} className="upload-file">
              <LocalPreview file={file} />
              <span className="upload-file__name">{file.name}</span>
              <span className="upload-file__size">{formatBytes(file.size)}</span>
              <button type="button" className="vs-button vs-button--small" aria-label={`Remove ${file.name}`}
                      onClick={() => onImagesChange(images.filter((f) => f !== file))}>Remove</button>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="upload-file-list" aria-label="Selected files">
          <li className="upload-file" data-empty={!model.model || undefined}>
            <span className="upload-file__slot">Model file</span>
            {model.model ? (
              <>
                <span className="upload-file__name">{model.model.name}</span>
                <span className="upload-file__size">{formatBytes(model.model.size)}</span>
                <button type="button" className="vs-button vs-button--small" aria-label={`Remove ${model.model.name}`}
                        onClick={() => onModelChange({ ...model, model: null })}>Remove</button>
              </>
            ) : <span className="upload-file__missing">not chosen yet</span>}
          </li>
          <li className="upload-file" data-empty={!model.cover || undefined}>
            <span className="upload-file__slot">Cover image</span>
            {model.cover ? (
              <>
                <LocalPreview file={model.cover} />
                <span className="upload-file__name">{model.cover.name}</span>
                <span className="upload-file__size">{formatBytes(model.cover.size)}</span>
                <button type="button" className="vs-button vs-button--small" aria-label={`Remove ${model.cover.name}`}
                        onClick={() => onModelChange({ ...model, cover: null })}>Remove</button>
              </>
            ) : <span className="upload-file__missing">not chosen yet</span>}
          </li>
        </ul>
      )}
    </div>
  );
}
