import { useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { FLAG_REASON_LABELS } from '../admin/format';
import { flagAsset } from './catalogApi';
import type { FlagReason } from './types';
import { useCatalogAction } from './useCatalogAction';
import { FormActions } from './EditFields';

interface FlagDialogProps {
  kind: 'model' | 'image';
  assetId: string;
  assetTitle: string;
  onClose: () => void;
}

const REASONS = Object.keys(FLAG_REASON_LABELS) as FlagReason[];

/** Reports a model or image to the moderators with a reason (members; the API checks the rest). */
export default function FlagDialog({ kind, assetId, assetTitle, onClose }: FlagDialogProps) {
  const reasonId = useId();
  const detailsId = useId();
  const [reason, setReason] = useState<FlagReason>('other');
  const [details, setDetails] = useState('');
  const report = useCatalogAction(() => flagAsset(kind, assetId, reason, details.trim()), {
    success: 'Thank you, the moderators will review it',
    onSuccess: onClose,
  });

  return (
    <Dialog open title={`Flag “${assetTitle}”`} onClose={onClose}>
      <form
        className="catalog-form"
        onSubmit={(e) => {
          e.preventDefault();
          report.mutate(undefined);
        }}
      >
        <p className="catalog-muted">
          Reports are anonymous to the curator. Administrators decide whether the {kind} stays online.
        </p>
        <label htmlFor={reasonId}>Reason</label>
        <select id={reasonId} value={reason} onChange={(e) => setReason(e.target.value as FlagReason)}>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {FLAG_REASON_LABELS[r]}
            </option>
          ))}
        </select>
        <label htmlFor={detailsId}>Details (optional)</label>
        <textarea id={detailsId} value={details} maxLength={1000} rows={4} onChange={(e) => setDetails(e.target.value)} />
        <FormActions onCancel={onClose} submitLabel="Send report" submitDisabled={report.isPending} />
      </form>
    </Dialog>
  );
}
