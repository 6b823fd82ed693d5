// Accessible modal: role=dialog + aria-modal, named by its title, focus kept inside while open,
// Esc closes the topmost dialog only, focus returns to the opener on close.
import { createContext, useContext, useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import { createPortal } from "react-dom";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

// Open dialogs. Esc and Tab belong to the top one: the most deeply nested (a confirm inside a
// detail dialog), the latest opened among equals. Depth comes from context because React runs a
// child's effects before its parent's, so opening order alone would put the parent on top.
interface OpenDialog {
  token: symbol;
  depth: number;
}
const openStack: OpenDialog[] = [];
const DepthContext = createContext(0);

function topDialog(): OpenDialog | undefined {
  return openStack.reduce<OpenDialog | undefined>((top, d) => (!top || d.depth >= top.depth ? d : top), undefined);
}

export interface DialogProps {
  open: boolean;
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Buttons row at the bottom (e.g. Cancel / Save). */
  footer?: ReactNode;
  size?: "small" | "medium" | "large" | "full";
  /** A click on the backdrop closes the dialog (default true; off for forms with unsaved input). */
  closeOnBackdrop?: boolean;
  /** Element to focus first (otherwise the first focusable control, then the dialog itself). */
  initialFocusRef?: RefObject<HTMLElement | null>;
  className?: string;
  /** Shown visually only to screen readers when the title should not be rendered large. */
  hideTitle?: boolean;
}

export function focusableIn(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hasAttribute("disabled") && el.getAttribute("aria-hidden") !== "true",
  );
}

export function Dialog({
  open,
  title,
  onClose,
  children,
  footer,
  size = "medium",
  closeOnBackdrop = true,
  initialFocusRef,
  className,
  hideTitle,
}: DialogProps) {
  const titleId = useId();
  const panelRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const depth = useContext(DepthContext) + 1;

  useEffect(() => {
    if (!open) return;
    const token = Symbol("dialog");
    openStack.push({ token, depth });
    const isTop = () => topDialog()?.token === token;
    const opener = document.activeElement as HTMLElement | null;
    const panel = panelRef.current;
    if (panel && isTop()) {
      const first = initialFocusRef?.current ?? focusableIn(panel).find((el) => !el.dataset.dialogClose);
      (first ?? panel).focus();
    }

    function onKeyDown(event: KeyboardEvent) {
      if (!isTop() || !panelRef.current) return;
      if (event.key === "Escape") {
        event.stopPropagation();
        event.preventDefault();
        onCloseRef.current();
        return;
      }
      if (event.key !== "Tab") return;
      const items = focusableIn(panelRef.current);
      if (items.length === 0) {
        event.preventDefault();
        panelRef.current.focus();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      const inside = panelRef.current.contains(active);
      if (event.shiftKey && (active === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    }

    document.addEventListener("keydown", onKeyDown, true);
    const previousOverflow = document.body.style.overflow;
    document.body.style.overflow = "hidden";
    return () => {
      document.removeEventListener("keydown", onKeyDown, true);
      const index = openStack.findIndex((d) => d.token === token);
      if (index >= 0) openStack.splice(index, 1);
      if (openStack.length === 0) document.body.style.overflow = previousOverflow;
      if (opener && document.contains(opener)) opener.focus();
    };
    // initialFocusRef is read once on open on purpose.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  if (!open) return null;
  return createPortal(
    <div
      className="vs-dialog-backdrop"
      onMouseDown={(event) => {
        if (closeOnBackdrop && event.target === event.currentTarget) onClose();
      }}
    >
      <div
        ref={panelRef}
        className={`vs-dialog vs-dialog--${size}${className ? ` ${className}` : ""}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
      >
        <header className="vs-dialog__header">
          <h2 id={titleId} className={hideTitle ? "vs-visually-hidden" : "vs-dialog__title"}>
            {title}
          </h2>
          <button type="button" className="vs-icon-button" aria-label="Close" data-dialog-close="true" onClick={onClose}>
            <span aria-hidden="true">×</span>
          </button>
        </header>
        <div className="vs-dialog__body">
          <DepthContext.Provider value={depth}>{children}</DepthContext.Provider>
        </div>
        {footer && (
          <footer className="vs-dialog__footer">
            <DepthContext.Provider value={depth}>{footer}</DepthContext.Provider>
          </footer>
        )}
      </div>
    </div>,
    document.body,
  );
}
