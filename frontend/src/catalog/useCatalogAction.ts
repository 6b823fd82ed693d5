import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toast';
import { errorMessage } from '../admin/format';

interface CatalogActionOptions<A, R> {
  /** Toast shown on success (text, or built from the result). */
  success?: string | ((result: R, args: A) => string);
  /** Query key prefixes to refetch after success. */
  invalidate?: unknown[][];
  onSuccess?: (result: R, args: A) => void;
}

/**
 * A mutation for the catalog screens: the server decides what is allowed, so every failure is shown
 * as a toast with its message, and a success refreshes the lists and details it changed.
 */
export function useCatalogAction<A, R>(run: (args: A) => Promise<R>, options: CatalogActionOptions<A, R> = {}) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation<R, Error, A>({
    mutationFn: run,
    onSuccess: async (result, args) => {
      if (options.success) {
        toast.success(typeof options.success === 'function' ? options.success(result, args) : options.success);
      }
      options.onSuccess?.(result, args);
      await Promise.all((options.invalidate ?? []).map((queryKey) => queryClient.invalidateQueries({ queryKey })));
    },
    onError: (error) => toast.error(errorMessage(error)),
  });
}

/** Query keys shared by the catalog screens (prefixes are invalidated after edits). */
export const catalogKeys = {
  models: ['catalog', 'models'] as unknown[],
  model: (id: string) => ['catalog', 'model', id] as unknown[],
  images: ['catalog', 'images'] as unknown[],
  image: (id: string) => ['catalog', 'image', id] as unknown[],
  galleries: ['catalog', 'galleries'] as unknown[],
  /** The viewer's own galleries (add-to-gallery and parent choices); the prefix covers every user. */
  myGalleries: (userId?: string) => (userId ? ['catalog', 'my-galleries', userId, 'all'] : ['catalog', 'my-galleries']) as unknown[],
  gallery: (id: string) => ['catalog', 'gallery', id] as unknown[],
  comments: (kind: string, id: string) => ['catalog', 'comments', kind, id] as unknown[],
  like: (kind: string, id: string) => ['catalog', 'like', kind, id] as unknown[],
};
