import { useState, type ReactNode } from 'react';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';

interface LoadState {
  error: unknown;
  isLoading: boolean;
}

/** The error, loading and empty states of an admin list; renders `children` once there are items. */
export function ListBody({
  list,
  isEmpty,
  empty,
  children,
}: {
  list: LoadState;
  isEmpty: boolean;
  empty: ReactNode;
  children: ReactNode;
}) {
  if (list.error) return <ErrorState error={list.error} />;
  if (list.isLoading) return <Spinner />;
  if (isEmpty) return <>{empty}</>;
  return <>{children}</>;
}

interface NextPage {
  hasNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** "Load more …" under a cursor list, shown while the API has another page. */
export function LoadMoreButton({ list, label, disabled }: { list: NextPage; label: string; disabled?: boolean }) {
  if (!list.hasNextPage) return null;
  return (
    <button type="button" className="vs-button admin-more" disabled={disabled} onClick={() => list.fetchNextPage()}>
      {label}
    </button>
  );
}

/** Ids ticked in a selectable admin list. */
export function useSelection() {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  function toggle(id: string, on: boolean) {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }
  return { selected, setSelected, toggle };
}
