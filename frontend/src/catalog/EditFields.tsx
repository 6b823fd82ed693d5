import { useId, useState, type FormEvent } from 'react';
import type { Visibility } from './types';

/** Splits a comma- or line-separated list as typed in a text field. */
export function parseList(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(/[,\n]/)) {
    const item = raw.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

export function sameList(a: string[], b: string[]) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Submit handler of the edit dialogs: an unchanged form just closes, otherwise only the changes are sent. */
export function submitChanges<T extends object>(changes: () => T, save: (body: T) => void, onClose: () => void) {
  return (event: FormEvent) => {
    event.preventDefault();
    const body = changes();
    if (Object.keys(body).length === 0) onClose();
    else save(body);
  };
}

/** The API's length limits of a title and description, and the height of the description box. */
export interface TextLimits {
  titleMaxLength: number;
  descriptionMaxLength: number;
  descriptionRows: number;
}

export const GALLERY_TEXT: TextLimits = { titleMaxLength: 200, descriptionMaxLength: 1500, descriptionRows: 3 };
export const IMAGE_TEXT: TextLimits = { titleMaxLength: 200, descriptionMaxLength: 5000, descriptionRows: 4 };
export const MODEL_TEXT: TextLimits = { titleMaxLength: 180, descriptionMaxLength: 5000, descriptionRows: 5 };

/** The descriptive part of a model, image or gallery as the API returns it (galleries have no tags). */
interface DetailsSource {
  title: string;
  description?: string | null;
  visibility: Visibility;
  tags?: string[];
}

export interface DetailsChanges {
  title?: string;
  description?: string;
  tags?: string[];
  visibility?: Visibility;
}

/** Form state of the title, description, tags (where the asset has them) and visibility fields. */
export function useDetailsDraft(source: DetailsSource) {
  const [title, setTitle] = useState(source.title);
  const [description, setDescription] = useState(source.description ?? '');
  const [tags, setTags] = useState((source.tags ?? []).join(', '));
  const [visibility, setVisibility] = useState<Visibility>(source.visibility);
  return {
    title,
    setTitle,
    description,
    setDescription,
    hasTags: source.tags !== undefined,
    tags,
    setTags,
    visibility,
    setVisibility,
    /** Only the fields that differ from `source`, as the API's partial updates take them. */
    changes(): DetailsChanges {
      const out: DetailsChanges = {};
      if (title.trim() !== source.title) out.title = title.trim();
      if (description !== (source.description ?? '')) out.description = description;
      if (source.tags) {
        const tagList = parseList(tags);
        if (!sameList(tagList, source.tags)) out.tags = tagList;
      }
      if (visibility !== source.visibility) out.visibility = visibility;
      return out;
    },
  };
}

export type DetailsDraft = ReturnType<typeof useDetailsDraft>;

interface DetailsFieldsProps {
  draft: DetailsDraft;
  limits: TextLimits;
  /** An asset in audit gets its visibility back from the moderators' decision, not from its owner. */
  visibilityLocked?: boolean;
  /** Lists "Private" first where private is the default (new galleries). */
  privateFirst?: boolean;
}

/** The "Title", "Description", "Tags (comma separated)" and "Visibility" fields of the catalog forms. */
export function DetailsFields({ draft, limits, visibilityLocked, privateFirst }: DetailsFieldsProps) {
  const ids = { title: useId(), description: useId(), tags: useId(), visibility: useId() };
  const visibilityOptions = [
    <option key="public" value="public">
      Public
    </option>,
    <option key="private" value="private">
      Private
    </option>,
  ];
  return (
    <>
      <label htmlFor={ids.title}>Title</label>
      <input
        id={ids.title}
        value={draft.title}
        required
        maxLength={limits.titleMaxLength}
        onChange={(e) => draft.setTitle(e.target.value)}
      />
      <label htmlFor={ids.description}>Description</label>
      <textarea
        id={ids.description}
        value={draft.description}
        rows={limits.descriptionRows}
        maxLength={limits.descriptionMaxLength}
        onChange={(e) => draft.setDescription(e.target.value)}
      />
      {draft.hasTags && (
        <>
          <label htmlFor={ids.tags}>Tags (comma separated)</label>
          <input id={ids.tags} value={draft.tags} onChange={(e) => draft.setTags(e.target.value)} />
        </>
      )}
      <label htmlFor={ids.visibility}>Visibility</label>
      <select
        id={ids.visibility}
        value={draft.visibility}
        disabled={visibilityLocked}
        onChange={(e) => draft.setVisibility(e.target.value as Visibility)}
      >
        {privateFirst ? visibilityOptions.reverse() : visibilityOptions}
      </select>
    </>
  );
}

interface FormActionsProps {
  /** Without it the form has no Cancel button (e.g. the always-open comment box). */
  onCancel?: () => void;
  submitLabel: string;
  submitDisabled: boolean;
  cancelClassName?: string;
}

/** Cancel and submit buttons at the foot of a catalog form. */
export function FormActions({ onCancel, submitLabel, submitDisabled, cancelClassName = 'vs-button' }: FormActionsProps) {
  return (
    <div className="catalog-form__actions">
      {onCancel && (
        <button className={cancelClassName} type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
      <button type="submit" className="vs-button vs-button--primary" disabled={submitDisabled}>
        {submitLabel}
      </button>
    </div>
  );
}
