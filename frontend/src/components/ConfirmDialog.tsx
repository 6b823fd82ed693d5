// Confirmation for irreversible actions: states what will be lost, focuses Cancel first.
import { useRef, useState, type ReactNode } from "react";
import { Dialog } from "./Dialog";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** What happens, in plain words. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  onCancel: () => void;
  /** Irreversible actions get the danger styling and an explicit warning line. */
  destructive?: boolean;
  busy?: boolean;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  destructive = true,
  busy,
}: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [running, setRunning] = useState(false);
  const working = busy || running;
  async function confirm() {
    setRunning(true);
    try {
      await onConfirm();
    } finally {
      setRunning(false);
    }
  }
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onCancel}
      size="small"
      initialFocusRef={cancelRef}
      footer={
        <>
          <button ref={cancelRef} type="button" className="vs-button" onClick={onCancel} disabled={working}>
            Cancel
          </button>
          <button
            type="button"
            className={destructive ? "vs-button vs-button--danger" : "vs-button vs-button--primary"}
            onClick={confirm}
            disabled={working}
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      <div className="vs-confirm">
        {children}
        {destructive && <p className="vs-confirm__warning">This cannot be undone.</p>}
      </div>
    </Dialog>
  );
}
