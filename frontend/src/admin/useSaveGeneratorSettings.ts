import { putGeneratorSettings } from './adminApi';
import { useAdminAction } from './useAdminAction';

export const GENERATOR_SETTINGS_KEY = ['admin', 'generator', 'settings'];

/**
 * Saves a partial generator settings change. Callers send the `version` of the read the change was
 * made from, so two admins editing at once get a conflict (and a fresh copy) instead of silently
 * overwriting each other.
 */
export function useSaveGeneratorSettings(success: string) {
  return useAdminAction(putGeneratorSettings, { success, invalidate: [GENERATOR_SETTINGS_KEY] });
}
