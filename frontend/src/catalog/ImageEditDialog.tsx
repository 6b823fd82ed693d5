import { useId, useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import UserPicker from '../admin/UserPicker';
import type { AdminUser } from '../admin/types';
import { Dialog } from '../components/Dialog';
import { parseList } from './ModelEditDialog';
import { updateImage, type ImageChanges } from './catalogApi';
import Tabs from './Tabs';
import type { ImageDetail, Visibility } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

type TabId = 'details' | 'prompts' | 'ownership';

/** The owner's (or an administrator's) edit form for an image; saves only what changed. */
export default function ImageEditDialog({ image, onClose }: { image: ImageDetail; onClose: () => void }) {
  const { isAdmin } = useAuth();
  const ids = { title: useId(), description: useId(), tags: useId(), visibility: useId(), prompt: useId(), negative: useId() };
  const [tab, setTab] = useState<TabId>('details');
  const [title, setTitle] = useState(image.title);
  const [description, setDescription] = useState(image.description ?? '');
  const [tags, setTags] = useState(image.tags.join(', '));
  const [visibility, setVisibility] = useState<Visibility>(image.visibility);
  const [prompt, setPrompt] = useState(image.prompt ?? '');
  const [negativePrompt, setNegativePrompt] = useState(image.negativePrompt ?? '');
  const [newOwner, setNewOwner] = useState<AdminUser | null>(null);

  function changes(): ImageChanges {
    const out: ImageChanges = {};
    if (title.trim() !== image.title) out.title = title.trim();
    if (description !== (image.description ?? '')) out.description = description;
    const tagList = parseList(tags);
    if (tagList.join('\n') !== image.tags.join('\n')) out.tags = tagList;
    if (visibility !== image.visibility) out.visibility = visibility;
    if (prompt !== (image.prompt ?? '')) out.prompt = prompt;
    if (negativePrompt !== (image.negativePrompt ?? '')) out.negativePrompt = negativePrompt;
    if (newOwner && newOwner.id !== image.owner?.id) out.ownerId = newOwner.id;
    return out;
  }

  const save = useCatalogAction((body: ImageChanges) => updateImage(image.id, body), {
    success: 'Image saved',
    invalidate: [catalogKeys.image(image.id), catalogKeys.images, ['catalog', 'gallery']],
    onSuccess: onClose,
  });

  const tabs: { id: TabId; label: string }[] = [
    { id: 'details', label: 'Details' },
    { id: 'prompts', label: 'Prompts' },
    ...(isAdmin ? [{ id: 'ownership' as const, label: 'Ownership' }] : []),
  ];

  return (
    <Dialog open title={`Edit ${image.title}`} onClose={onClose} closeOnBackdrop={false}>
      <form
        className="catalog-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = changes();
          if (Object.keys(body).length === 0) onClose();
          else save.mutate(body);
        }}
      >
        <Tabs label="Image settings" tabs={tabs} active={tab} onChange={setTab}>
          {tab === 'details' && (
            <>
              <label htmlFor={ids.title}>Title</label>
              <input id={ids.title} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />
              <label htmlFor={ids.description}>Description</label>
              <textarea
                id={ids.description}
                value={description}
                rows={4}
                maxLength={5000}
                onChange={(e) => setDescription(e.target.value)}
              />
              <label htmlFor={ids.tags}>Tags (comma separated)</label>
              <input id={ids.tags} value={tags} onChange={(e) => setTags(e.target.value)} />
              <label htmlFor={ids.visibility}>Visibility</label>
              <select
                id={ids.visibility}
                value={visibility}
                disabled={image.inAudit}
                onChange={(e) => setVisibility(e.target.value as Visibility)}
              >
                <option value="public">Public</option>
                <option value="private">Private</option>
              </select>
            </>
          )}
          {tab === 'prompts' && (
            <>
              <label htmlFor={ids.prompt}>Prompt</label>
              <textarea id={ids.prompt} value={prompt} rows={5} maxLength={5000} onChange={(e) => setPrompt(e.target.value)} />
              <label htmlFor={ids.negative}>Negative prompt</label>
              <textarea
                id={ids.negative}
                value={negativePrompt}
                rows={3}
                maxLength={5000}
                onChange={(e) => setNegativePrompt(e.target.value)}
              />
            </>
          )}
          {tab === 'ownership' && (
            <UserPicker
              label="New owner"
              value={newOwner}
              onChange={setNewOwner}
              hint={`Currently owned by ${image.owner?.displayName ?? 'nobody'}.`}
            />
          )}
        </Tabs>
        <div className="catalog-form__actions">
          <button className="vs-button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="vs-button vs-button--primary" disabled={save.isPending || !title.trim()}>
            Save changes
          </button>
        </div>
      </form>
    </Dialog>
  );
}
