import { useId, useState, type DragEvent, type ReactNode } from "react";

interface DropzoneProps {
  onFiles: (files: File[]) => void;
  accept?: string;
  multiple?: boolean;
  hint?: ReactNode;
  disabled?: boolean;
}

/**
 * Drag & drop target with a real file input as its keyboard- and screen-reader-friendly twin
 * (the input's label is "Choose files").
 */
export function Dropzone({ onFiles, accept, multiple = true, hint, disabled }: DropzoneProps) {
  const [dragging, setDragging] = useState(false);
  const hintId = useId();

  const take = (list: FileList | null) => {
    const files = list ? Array.from(list) : [];
    if (files.length) onFiles(files);
  };
  const onDragOver = (e: DragEvent) => {
    if (disabled) return;
    e.preventDefault(); // allows the drop
    e.dataTransfer.dropEffect = "copy";
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!disabled) take(e.dataTransfer.files);
  };

  return (
    <div
      className="dropzone"
      data-dragging={dragging || undefined}
      data-testid="upload-dropzone"
      onDragOver={onDragOver}
      onDragEnter={onDragOver}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <p className="dropzone__title">Drop files here</p>
      {hint && <p className="dropzone__hint" id={hintId}>{hint}</p>}
      <label className="vs-button dropzone__choose" data-disabled={disabled || undefined}>
        Choose files
        <input
          className="vs-visually-hidden"
          type="file"
          accept={accept}
          multiple={multiple}
          disabled={disabled}
          aria-describedby={hint ? hintId : undefined}
          onChange={(e) => {
            take(e.currentTarget.files);
            e.currentTarget.value = ""; // choosing the same file again still fires change
          }}
        />
      </label>
    </div>
  );
}
