import { useId, useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import UserPicker from '../admin/UserPicker';
import type { AdminUser } from '../admin/types';
import { Dialog } from '../components/Dialog';
import { DetailsFields, FormActions, IMAGE_TEXT, submitChanges, useDetailsDraft } from './EditFields';
import { updateImage, type ImageChanges } from './catalogApi';
import Tabs from './Tabs';
import type { ImageDetail } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

type TabId = 'details' | 'prompts' | 'ownership';

/** The owner's (or an administrator's) edit form for an image; saves only what changed. */
export default function ImageEditDialog({ image, onClose }: { image: ImageDetail; onClose: () => void }) {
  const { isAdmin } = useAuth();
  const ids = { prompt: useId(), negative: useId() };
  const [tab, setTab] = useState<TabId>('details');
  const details = useDetailsDraft(image);
  const [prompt, setPrompt] = useState(image.prompt ?? '');
  const [negativePrompt, setNegativePrompt] = useState(image.negativePrompt ?? '');
  const [newOwner, setNewOwner] = useState<AdminUser | null>(null);

  function changes(): ImageChanges {
    const out: ImageChanges = details.changes();
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
      <form className="catalog-form" onSubmit={submitChanges(changes, save.mutate, onClose)}>
        <Tabs label="Image settings" tabs={tabs} active={tab} onChange={setTab}>
          {tab === 'details' && (
            <>
              <DetailsFields draft={details} limits={IMAGE_TEXT} visibilityLocked={image.inAudit} />
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
        <FormActions
          onCancel={onClose}
          submitLabel="Save changes"
          submitDisabled={save.isPending || !details.title.trim()}
        />
      </form>
    </Dialog>
  );
}
