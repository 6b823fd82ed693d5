import { describe, expect, it } from 'vitest';
import {
  activeModelFilters,
  clearFilters,
  formatBytes,
  modelQueryFromParams,
  removeFilter,
  splitTags,
  withParam,
} from './filters';
import { moveItem, positionChanges } from './galleryOrder';
import type { GalleryEntry } from './types';

describe('model filters in the URL', () => {
  it('reads the API query from the URL and ignores unknown values', () => {
    const query = modelQueryFromParams(
      new URLSearchParams('q=neon&tags=a,b,,a&type=lora&baseModel=SDXL&curator=u1&sort=liked&metadata.style=anime'),
    );
    expect(query).toEqual({
      q: 'neon',
      tags: ['a', 'b'],
      type: 'lora',
      baseModel: 'SDXL',
      curator: 'u1',
      sort: 'liked',
      metadata: { style: 'anime' },
    });
    const odd = modelQueryFromParams(new URLSearchParams('type=vae&sort=random'));
    expect(odd.type).toBeUndefined();
    expect(odd.sort).toBe('newest');
  });

  it('sets and clears parameters, leaving the default sort out of the URL', () => {
    const params = new URLSearchParams('q=x');
    expect(withParam(params, 'type', 'lora').toString()).toBe('q=x&type=lora');
    expect(withParam(params, 'q', '').toString()).toBe('');
    expect(withParam(params, 'sort', 'newest').toString()).toBe('q=x');
    expect(withParam(params, 'tags', ['a', 'b']).get('tags')).toBe('a,b');
  });

  it('turns filters into chips and removes tags one at a time', () => {
    const params = new URLSearchParams('q=x&tags=a,b&type=checkpoint&curator=u1&sort=name');
    const chips = activeModelFilters(modelQueryFromParams(params), (id) => (id === 'u1' ? 'Cora' : undefined));
    expect(chips.map((c) => c.label)).toEqual(['Type: Checkpoint', 'Curator: Cora', 'Tag: a', 'Tag: b']);
    const withoutA = removeFilter(params, chips[2]);
    expect(withoutA.get('tags')).toBe('b');
    expect(removeFilter(withoutA, { key: 'tags', value: 'b', label: '' }).has('tags')).toBe(false);
    expect(removeFilter(params, chips[0]).has('type')).toBe(false);
    expect(clearFilters(params).toString()).toBe('q=x&sort=name');
  });

  it('splits tag lists and formats sizes', () => {
    expect(splitTags(' a , b,a ')).toEqual(['a', 'b']);
    expect(splitTags(null)).toEqual([]);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(null)).toBe('—');
  });
});

function entry(assetId: string, position: number): GalleryEntry {
  return { kind: 'image', assetId, position, note: null, addedAt: '', asset: { id: assetId, title: assetId } };
}

describe('gallery order', () => {
  it('moves an item and ignores moves past either end', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });

  it('hands the existing positions out again in the new order, sending only changes', () => {
    const original = [entry('a', 10), entry('b', 20), entry('c', 30)];
    const reordered = moveItem(original, 2, 0); // c, a, b
    expect(positionChanges(original, reordered)).toEqual([
      { kind: 'image', assetId: 'c', position: 10 },
      { kind: 'image', assetId: 'a', position: 20 },
      { kind: 'image', assetId: 'b', position: 30 },
    ]);
    expect(positionChanges(original, moveItem(original, 0, 1))).toEqual([
      { kind: 'image', assetId: 'b', position: 10 },
      { kind: 'image', assetId: 'a', position: 20 },
    ]);
    expect(positionChanges(original, original)).toEqual([]);
  });
});
