import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Dialog } from "./Dialog";
import { ConfirmDialog } from "./ConfirmDialog";

function Harness({ onClose }: { onClose?: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open settings
      </button>
      <Dialog
        open={open}
        title="Settings"
        onClose={() => {
          onClose?.();
          setOpen(false);
        }}
      >
        <label>
          Name <input />
        </label>
        <button type="button">Save</button>
      </Dialog>
    </>
  );
}

describe("Dialog", () => {
  it("is a modal dialog named by its title", async () => {
    render(<Harness />);
    await userEvent.click(screen.getByRole("button", { name: "Open settings" }));
    const dialog = screen.getByRole("dialog", { name: "Settings" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
  });

  it("moves focus inside, traps Tab and Shift+Tab, and closes on Escape returning focus", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    render(<Harness onClose={onClose} />);
    const opener = screen.getByRole("button", { name: "Open settings" });
    await user.click(opener);
    const input = screen.getByRole("textbox", { name: "Name" });
    expect(input).toHaveFocus();

    await user.tab();
    expect(screen.getByRole("button", { name: "Save" })).toHaveFocus();
    await user.tab(); // wraps past the last control to the first (the close button)
    expect(screen.getByRole("button", { name: "Close" })).toHaveFocus();
    await user.tab({ shift: true }); // and backwards from the first to the last
    expect(screen.getByRole("button", { name: "Save" })).toHaveFocus();

    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it("closes only the topmost dialog on Escape", async () => {
    const user = userEvent.setup();
    const outerClose = vi.fn();
    function Nested() {
      const [confirm, setConfirm] = useState(true);
      return (
        <Dialog open title="Model" onClose={outerClose}>
          <button type="button">Edit</button>
          <ConfirmDialog open={confirm} title="Delete model?" confirmLabel="Delete" onConfirm={() => undefined} onCancel={() => setConfirm(false)}>
            <p>The files go too.</p>
          </ConfirmDialog>
        </Dialog>
      );
    }
    render(<Nested />);
    expect(screen.getByRole("dialog", { name: "Delete model?" })).toBeInTheDocument();
    // The confirmation focuses Cancel first: the safe choice.
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(screen.getByText("This cannot be undone.")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog", { name: "Delete model?" })).not.toBeInTheDocument();
    expect(screen.getByRole("dialog", { name: "Model" })).toBeInTheDocument();
    expect(outerClose).not.toHaveBeenCalled();
  });
});
