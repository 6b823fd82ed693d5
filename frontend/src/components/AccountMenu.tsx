// The signed-in user's menu (disclosure pattern): profile, settings, curator application, sign out.
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";
import { AccountSettingsDialog } from "./AccountSettingsDialog";
import { CuratorApplicationDialog } from "./CuratorApplicationDialog";
import { useToast } from "./Toast";

const ROLE_LABEL = { USER: "Member", CURATOR: "Curator", ADMIN: "Administrator" } as const;

export function AccountMenu() {
  const { user, logout } = useAuth();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [applyOpen, setApplyOpen] = useState(false);
  const menuId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    function onPointer(event: MouseEvent) {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    }
    function onKey(event: KeyboardEvent) {
      if (event.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    }
    document.addEventListener("mousedown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  if (!user) return null;
  return (
    <div className="vs-account" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="vs-account__button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account menu for ${user.displayName}`}
        onClick={() => setOpen((v) => !v)}
      >
        <span className="vs-account__initial" aria-hidden="true">
          {user.displayName.slice(0, 1).toUpperCase()}
        </span>
        <span className="vs-account__name">{user.displayName}</span>
      </button>
      {open && (
        <div id={menuId} className="vs-account__menu">
          <p className="vs-account__who">
            <strong>{user.displayName}</strong>
            <span>{ROLE_LABEL[user.role]}</span>
          </p>
          <ul>
            <li>
              <Link to={`/users/${user.id}`} onClick={() => setOpen(false)}>
                My profile
              </Link>
            </li>
            <li>
              <button
                type="button"
                onClick={() => {
                  setOpen(false);
                  setSettingsOpen(true);
                }}
              >
                Account settings
              </button>
            </li>
            {user.role === "USER" && (
              <li>
                <button
                  type="button"
                  onClick={() => {
                    setOpen(false);
                    setApplyOpen(true);
                  }}
                >
                  Apply as curator
                </button>
              </li>
            )}
            <li>
              <button
                type="button"
                onClick={async () => {
                  setOpen(false);
                  await logout();
                  toast.info("Signed out");
                }}
              >
                Sign out
              </button>
            </li>
          </ul>
        </div>
      )}
      <AccountSettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
      <CuratorApplicationDialog open={applyOpen} onClose={() => setApplyOpen(false)} />
    </div>
  );
}
