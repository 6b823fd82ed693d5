import { useId, useState } from 'react';
import { useCursorList } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { useAuthDialogs } from '../components/AuthDialogs';
import { formatDateTime } from '../admin/format';
import { ErrorState } from '../components/ErrorState';
import { InfiniteSentinel } from '../components/InfiniteSentinel';
import { UserLink } from '../components/UserLink';
import {
  deleteComment,
  editComment,
  listComments,
  listReplies,
  postComment,
  setCommentLike,
} from './catalogApi';
import { FormActions } from './EditFields';
import type { CommentData } from './types';
import { catalogKeys, useCatalogAction } from './useCatalogAction';

interface CommentsRailProps {
  kind: 'model' | 'image';
  assetId: string;
  /** In the lightbox the rail can be folded away to give the image the room. */
  collapsible?: boolean;
}

/** The discussion of a model or image: comments with one level of replies, likes, edit and delete. */
export default function CommentsRail({ kind, assetId, collapsible = false }: CommentsRailProps) {
  const { user } = useAuth();
  const { openLogin } = useAuthDialogs();
  const [open, setOpen] = useState(true);
  const headingId = useId();
  const listId = useId();
  const key = catalogKeys.comments(kind, assetId);
  const comments = useCursorList<CommentData>(key, (cursor) => listComments(kind, assetId, cursor));

  return (
    <section className={`catalog-comments${open ? '' : ' is-collapsed'}`} aria-labelledby={headingId}>
      <div className="catalog-comments__header">
        <h3 id={headingId}>Comments</h3>
        {collapsible && (
          <button className="vs-button vs-button--small" type="button" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
            {open ? 'Hide comments' : 'Show comments'}
          </button>
        )}
      </div>
      {open && (
        <div id={listId} className="catalog-comments__body">
          {user ? (
            <CommentForm kind={kind} assetId={assetId} label="Add a comment" submitLabel="Comment" />
          ) : (
            <p className="catalog-muted">
              <button type="button" className="catalog-link-button" onClick={openLogin}>
                Sign in to comment
              </button>
            </p>
          )}
          {comments.error ? <ErrorState error={comments.error} /> : null}
          {comments.isLoading ? <p className="catalog-muted">Loading comments…</p> : null}
          {!comments.isLoading && !comments.error && comments.items.length === 0 ? (
            <p className="catalog-muted">No comments yet.</p>
          ) : null}
          <ul className="catalog-comment-list">
            {comments.items.map((comment) => (
              <CommentItem key={comment.id} kind={kind} assetId={assetId} comment={comment} />
            ))}
          </ul>
          <InfiniteSentinel
            hasNextPage={comments.hasNextPage}
            isFetchingNextPage={comments.isFetchingNextPage}
            fetchNextPage={comments.fetchNextPage}
            label="Load more comments"
          />
        </div>
      )}
    </section>
  );
}

interface CommentFormProps {
  kind: 'model' | 'image';
  assetId: string;
  label: string;
  submitLabel: string;
  parentId?: string;
  onDone?: () => void;
}

function CommentForm({ kind, assetId, label, submitLabel, parentId, onDone }: CommentFormProps) {
  const [content, setContent] = useState('');
  const send = useCatalogAction((text: string) => postComment(kind, assetId, text, parentId), {
    invalidate: [catalogKeys.comments(kind, assetId)],
    onSuccess: () => {
      setContent('');
      onDone?.();
    },
  });

  return (
    <CommentTextForm
      label={label}
      hideLabel={!!parentId}
      content={content}
      onContent={setContent}
      rows={parentId ? 2 : 3}
      submitLabel={submitLabel}
      busy={send.isPending}
      onSubmit={(text) => send.mutate(text)}
      onCancel={onDone}
    />
  );
}

interface CommentItemProps {
  kind: 'model' | 'image';
  assetId: string;
  comment: CommentData;
  isReply?: boolean;
}

function CommentItem({ kind, assetId, comment, isReply = false }: CommentItemProps) {
  const { user } = useAuth();
  const [replying, setReplying] = useState(false);
  const [editing, setEditing] = useState(false);
  const [allReplies, setAllReplies] = useState<CommentData[] | null>(null);
  const key = catalogKeys.comments(kind, assetId);
  const author = comment.author?.displayName ?? comment.authorName ?? 'Former member';

  const like = useCatalogAction((next: boolean) => setCommentLike(kind, assetId, comment.id, next), {
    invalidate: [key],
  });
  const remove = useCatalogAction(() => deleteComment(kind, assetId, comment.id), {
    success: 'Comment deleted',
    invalidate: [key],
  });
  const loadReplies = useCatalogAction(() => listReplies(kind, assetId, comment.id), {
    onSuccess: (page) => setAllReplies(page.data),
  });
  const replies = allReplies ?? comment.replies ?? [];

  return (
    <li className={`catalog-comment${isReply ? ' is-reply' : ''}`}>
      <div className="catalog-comment__meta">
        <UserLink user={comment.author ? { id: comment.author.id, displayName: author } : null} />
        <time dateTime={comment.createdAt}>{formatDateTime(comment.createdAt)}</time>
        {comment.editedAt ? <span className="catalog-muted">(edited)</span> : null}
      </div>
      {comment.deleted ? (
        <p className="catalog-muted">This comment was deleted.</p>
      ) : editing ? (
        <EditCommentForm kind={kind} assetId={assetId} comment={comment} onDone={() => setEditing(false)} />
      ) : (
        <p className="catalog-comment__text">{comment.content}</p>
      )}
      {!comment.deleted && !editing && (
        <div className="catalog-comment__actions">
          <button className="vs-button vs-button--small"
            type="button"
            aria-pressed={comment.viewerHasLiked}
            aria-label={`${comment.viewerHasLiked ? 'Unlike' : 'Like'} comment by ${author}`}
            disabled={!user || like.isPending}
            onClick={() => like.mutate(!comment.viewerHasLiked)}
          >
            {comment.viewerHasLiked ? '♥' : '♡'} {comment.likeCount}
          </button>
          {user && !isReply && (
            <button className="vs-button vs-button--small" type="button" aria-expanded={replying} onClick={() => setReplying(!replying)}>
              Reply
            </button>
          )}
          {comment.canEdit && (
            <button className="vs-button vs-button--small" type="button" aria-label={`Edit comment by ${author}`} onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          {comment.canDelete && (
            <button className="vs-button vs-button--small"
              type="button"
              aria-label={`Delete comment by ${author}`}
              disabled={remove.isPending}
              onClick={() => remove.mutate(undefined)}
            >
              Delete
            </button>
          )}
        </div>
      )}
      {replying && (
        <CommentForm
          kind={kind}
          assetId={assetId}
          parentId={comment.id}
          label={`Reply to ${author}`}
          submitLabel="Post reply"
          onDone={() => {
            setReplying(false);
            setAllReplies(null);
          }}
        />
      )}
      {replies.length > 0 && (
        <ul className="catalog-comment-list catalog-comment-list--replies" aria-label={`Replies to ${author}`}>
          {replies.map((reply) => (
            <CommentItem key={reply.id} kind={kind} assetId={assetId} comment={reply} isReply />
          ))}
        </ul>
      )}
      {!isReply && allReplies === null && comment.replyCount > replies.length && (
        <button type="button" className="catalog-link-button" onClick={() => loadReplies.mutate(undefined)}>
          Show all {comment.replyCount} replies
        </button>
      )}
    </li>
  );
}

function EditCommentForm({
  kind,
  assetId,
  comment,
  onDone,
}: {
  kind: 'model' | 'image';
  assetId: string;
  comment: CommentData;
  onDone: () => void;
}) {
  const [content, setContent] = useState(comment.content);
  const save = useCatalogAction((text: string) => editComment(kind, assetId, comment.id, text), {
    invalidate: [catalogKeys.comments(kind, assetId)],
    onSuccess: onDone,
  });
  return (
    <CommentTextForm
      label="Edit comment"
      hideLabel
      content={content}
      onContent={setContent}
      rows={3}
      submitLabel="Save comment"
      busy={save.isPending}
      onSubmit={(text) => save.mutate(text)}
      onCancel={onDone}
    />
  );
}

interface CommentTextFormProps {
  label: string;
  /** Replies and edits sit right under the comment they belong to, so their label is for screen readers only. */
  hideLabel: boolean;
  content: string;
  onContent: (content: string) => void;
  rows: number;
  submitLabel: string;
  busy: boolean;
  /** Called with the trimmed text; blank text is not sent. */
  onSubmit: (text: string) => void;
  onCancel?: () => void;
}

/** The comment text box with its Cancel and submit buttons, shared by new comments, replies and edits. */
function CommentTextForm(props: CommentTextFormProps) {
  const { label, hideLabel, content, onContent, rows, submitLabel, busy, onSubmit, onCancel } = props;
  const inputId = useId();
  const text = content.trim();
  return (
    <form
      className="catalog-comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (text) onSubmit(text);
      }}
    >
      <label htmlFor={inputId} className={hideLabel ? 'vs-visually-hidden' : undefined}>
        {label}
      </label>
      <textarea id={inputId} value={content} rows={rows} maxLength={2000} onChange={(e) => onContent(e.target.value)} />
      <FormActions
        onCancel={onCancel}
        cancelClassName="vs-button vs-button--small"
        submitLabel={submitLabel}
        submitDisabled={!text || busy}
      />
    </form>
  );
}
