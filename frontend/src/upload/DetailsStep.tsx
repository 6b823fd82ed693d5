import { useId, type ReactNode } from "react";
import { splitList } from "./fileRules";
import type { GalleryOption } from "./uploadApi";
import { NEW_GALLERY, NO_GALLERY, type DetailProblems, type UploadDetails, type UploadMode } from "./wizardModel";

interface FieldProps {
  label: string;
  problem?: string;
  hint?: string;
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode;
}

function Field({ label, problem, hint, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const problemId = `${id}-problem`;
  const describedBy = [hint ? hintId : null, problem ? problemId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="upload-field">
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(problem) })}
      {hint && <p className="upload-field__hint" id={hintId}>{hint}</p>}
      {problem && <p className="upload-field__problem" id={problemId}>{problem}</p>}
    </div>
  );
}

interface DetailsStepProps {
  mode: UploadMode;
  details: UploadDetails;
  problems: DetailProblems;
  galleries: GalleryOption[];
  galleriesLoading: boolean;
  onChange: (patch: Partial<UploadDetails>) => void;
  modelTitle?: string;
}

function WordPreview({ text, label }: { text: string; label: string }) {
  const words = splitList(text);
  if (!words.length) return null;
  return (
    <ul className="upload-chips" aria-label={label}>
      {words.map((w) => <li key={w} className="upload-chip">{w}</li>)}
    </ul>
  );
}

export function DetailsStep({ mode, details, problems, galleries, galleriesLoading, onChange, modelTitle }: DetailsStepProps) {
  if (mode === "version") {
    return (
      <div className="upload-details">
        <p>New version of <strong>{modelTitle ?? "this model"}</strong>.</p>
        <Field label="Version name" problem={problems.versionName} hint="For example 1.1 or v2-final">
          {({ id, describedBy, invalid }) => (
            <input id={id} value={details.versionName} maxLength={60} aria-invalid={invalid}
                   aria-describedby={describedBy} onChange={(e) => onChange({ versionName: e.target.value })} />
          )}
        </Field>
      </div>
    );
  }
  const isModel = mode === "model";
  return (
    <div className="upload-details">
      <Field label="Title" problem={problems.title}
             hint={isModel ? undefined : "Optional: images are named after it (Title #1, #2…)"}>
        {({ id, describedBy, invalid }) => (
          <input id={id} value={details.title} maxLength={180} required={isModel} aria-invalid={invalid}
                 aria-describedby={describedBy} onChange={(e) => onChange({ title: e.target.value })} />
        )}
      </Field>
      <Field label="Description" problem={problems.description}>
        {({ id, describedBy, invalid }) => (
          <textarea id={id} rows={4} value={details.description} maxLength={5000} aria-invalid={invalid}
                    aria-describedby={describedBy} onChange={(e) => onChange({ description: e.target.value })} />
        )}
      </Field>
      {isModel && (
        <Field label="Trigger words" problem={problems.triggerWords} hint="Separate them with commas">
          {({ id, describedBy, invalid }) => (
            <>
              <input id={id} value={details.triggerWords} required aria-invalid={invalid} aria-describedby={describedBy}
                     onChange={(e) => onChange({ triggerWords: e.target.value })} />
              <WordPreview text={details.triggerWords} label="Trigger words entered" />
            </>
          )}
        </Field>
      )}
      <Field label="Tags" problem={problems.tags} hint="Separate them with commas">
        {({ id, describedBy, invalid }) => (
          <>
            <input id={id} value={details.tags} aria-invalid={invalid} aria-describedby={describedBy}
                   onChange={(e) => onChange({ tags: e.target.value })} />
            <WordPreview text={details.tags} label="Tags entered" />
          </>
        )}
      </Field>
      <Field label="Visibility">
        {({ id }) => (
          <select id={id} value={details.visibility}
                  onChange={(e) => onChange({ visibility: e.target.value as UploadDetails["visibility"] })}>
            <option value="private">Private (only you and administrators)</option>
            <option value="public">Public</option>
          </select>
        )}
      </Field>
      <Field label="Gallery" problem={problems.gallery}
             hint={isModel ? "Optionally list the model in a gallery" : "Where the images go"}>
        {({ id, describedBy, invalid }) => (
          <select id={id} value={details.gallery} aria-invalid={invalid} aria-describedby={describedBy}
                  onChange={(e) => onChange({ gallery: e.target.value })}>
            <option value={NO_GALLERY}>{isModel ? "No gallery" : galleriesLoading ? "Loading galleries…" : "Choose a gallery"}</option>
            <option value={NEW_GALLERY}>New gallery…</option>
            {galleries.map((g) => <option key={g.id} value={g.id}>{g.title}</option>)}
          </select>
        )}
      </Field>
      {details.gallery === NEW_GALLERY && (
        <Field label="New gallery title" problem={problems.newGalleryTitle}
               hint={isModel ? undefined : "Leave empty to call it after the title"}>
          {({ id, describedBy, invalid }) => (
            <input id={id} value={details.newGalleryTitle} maxLength={160} aria-invalid={invalid}
                   aria-describedby={describedBy} onChange={(e) => onChange({ newGalleryTitle: e.target.value })} />
          )}
        </Field>
      )}
    </div>
  );
}
