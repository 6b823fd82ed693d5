import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toast';
import { errorMessage } from './format';

interface AdminActionOptions<A, R> {
  /** Toast shown on success (text, or built from the result). */
  success?: string | ((result: R, args: A) => string);
  /** Query key prefixes to refetch afterwards (after a failure too: someone else may have changed them). */
  invalidate?: unknown[][];
  onSuccess?: (result: R, args: A) => void;
}

/**
 * A mutation for the admin screens: every failure is shown as a toast with the API's message
 * (the server is the authority on what is allowed) and the affected lists are refreshed.
 */
export function useAdminAction<A, R>(run: (args: A) => Promise<R>, options: AdminActionOptions<A, R> = {}) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation<R, Error, A>({
    mutationFn: run,
    onSuccess: (result, args) => {
      if (options.success) {
        toast.success(typeof options.success === 'function' ? options.success(result, args) : options.success);
      }
      options.onSuccess?.(result, args);
    },
    onError: (error) => toast.error(errorMessage(error)),
    // Awaited, so the action stays pending until the lists show its effect.
    onSettled: () =>
      Promise.all((options.invalidate ?? []).map((queryKey) => queryClient.invalidateQueries({ queryKey }))),
  });
}
