import type { GalleryEntry } from './types';

export interface PositionChange {
  kind: GalleryEntry['kind'];
  assetId: string;
  position: number;
}

/**
 * The position updates that put `reordered` in its new order. The entries keep the set of positions
 * they had (handed out again in the new order), so entries the editor did not load stay where they
 * were; only the entries whose position changes are sent.
 */
export function positionChanges(original: GalleryEntry[], reordered: GalleryEntry[]): PositionChange[] {
  const slots = original.map((e) => e.position).sort((a, b) => a - b);
  const changes: PositionChange[] = [];
  reordered.forEach((entry, index) => {
    if (entry.position !== slots[index]) {
      changes.push({ kind: entry.kind, assetId: entry.assetId, position: slots[index] });
    }
  });
  return changes;
}

export function moveItem<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length || from === to) return items;
  const next = [...items];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}
