import { useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { getLike, setLike } from './catalogApi';
import type { LikeState } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

interface LikeButtonProps {
  kind: 'model' | 'image';
  assetId: string;
  /** The count from the detail response, shown until the like state has loaded. */
  initialCount: number;
}

/** "Like" / "Unlike" for a model or image; guests see the count and a hint to sign in. */
export default function LikeButton({ kind, assetId, initialCount }: LikeButtonProps) {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const key = [...catalogKeys.like(kind, assetId), user?.id ?? 'guest'];
  const state = useApi<LikeState>(key, () => getLike(kind, assetId));
  const liked = state.data?.liked ?? false;
  const count = state.data?.likeCount ?? initialCount;
  const toggle = useCatalogAction((next: boolean) => setLike(kind, assetId, next), {
    onSuccess: (result) => queryClient.setQueryData(key, result),
  });

  return (
    <span className="catalog-like">
      <button
        type="button"
        className={`vs-button catalog-like__button${liked ? ' is-active' : ''}`}
        aria-pressed={liked}
        disabled={!user || toggle.isPending}
        title={user ? undefined : 'Sign in to like'}
        onClick={() => toggle.mutate(!liked)}
      >
        <span aria-hidden="true">{liked ? '♥' : '♡'}</span> {liked ? 'Unlike' : 'Like'}
      </button>
      <span className="catalog-like__count">
        {count} {count === 1 ? 'like' : 'likes'}
      </span>
    </span>
  );
}
