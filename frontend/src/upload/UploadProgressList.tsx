import { formatBytes } from "./fileRules";
import type { FileProgress } from "./useUploadRunner";

export function percent(loaded: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((loaded / total) * 100));
}

/** One progress bar per file; the bar's value is what storage has acknowledged so far. */
export function UploadProgressList({ files }: { files: FileProgress[] }) {
  return (
    <ul className="upload-progress" aria-label="Upload progress">
      {files.map((file, i) => {
        const value = file.done ? 100 : percent(file.loaded, file.size);
        return (
          <li key={`${i}-${file.name}`} className="upload-progress__item">
            <div className="upload-progress__row">
              <span className="upload-progress__name">{file.name}</span>
              <span className="upload-progress__numbers">
                {file.done ? "Uploaded" : `${formatBytes(file.loaded)} of ${formatBytes(file.size)}`}
              </span>
            </div>
            <div
              className="upload-progress__bar"
              role="progressbar"
              aria-label={`Upload progress ${file.name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={value}
              aria-valuetext={`${value}%`}
            >
              <div className="upload-progress__fill" style={{ width: `${value}%` }} data-done={file.done || undefined} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}
