import { useCursorList } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { listMyGalleries } from './catalogApi';
import type { GalleryCard } from './types';
import { catalogKeys } from './useCatalogAction';

/** The signed-in viewer's galleries by name (GET /api/galleries?curator=<me>), paged by the API. */
export function useMyGalleries() {
  const { user } = useAuth();
  const userId = user?.id ?? '';
  return useCursorList<GalleryCard>(catalogKeys.myGalleries(userId), (cursor) => listMyGalleries(userId, cursor), {
    enabled: !!userId,
  });
}
