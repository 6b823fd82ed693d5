import { useCallback, useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../admin/format';
import { apiTransport, uploadFiles } from '../upload/uploadClient';
import { getGallery, getImageStatus } from './catalogApi';
import { catalogKeys } from './useCatalogAction';

export type CoverUploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; percent: number }
  | { phase: 'processing' }
  | { phase: 'done'; message: string }
  | { phase: 'error'; message: string };

/** Waits between status checks: quick at first (small covers are processed in a moment), then steady. */
const POLL_DELAYS_MS = [0, 500, 1000, 2000, 3000];
/** After this the dialog stops watching; ingest still finishes and sets the cover on its own. */
const WATCH_LIMIT_MS = 3 * 60 * 1000;

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Uploads a gallery cover through the uploads API (kind "gallery-cover"), then watches the new
 * image until ingest has processed it and made it the gallery's cover, and refreshes the gallery.
 * `onReady` gets the new cover's image id once the refreshed gallery shows it.
 */
export function useCoverUpload(galleryId: string, onReady: (imageId: string) => void) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<CoverUploadState>({ phase: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const onReadyRef = useRef(onReady);
  onReadyRef.current = onReady;

  // Closing the dialog stops the transfer and the watching.
  useEffect(() => () => controller.current?.abort(), []);

  const start = useCallback(
    async (file: File) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      const { signal } = abort;
      try {
        setState({ phase: 'uploading', percent: 0 });
        const session = await uploadFiles(
          apiTransport,
          {
            kind: 'gallery-cover',
            galleryId,
            files: [{ name: file.name, size: file.size, contentType: file.type || 'application/octet-stream' }],
          },
          [file],
          {
            signal,
            onProgress: (_index, loaded, total) =>
              !signal.aborted && setState({ phase: 'uploading', percent: total ? Math.round((loaded / total) * 100) : 0 }),
          },
        );
        const imageId = session.files[0]?.assetId;
        if (!imageId) throw new Error('The upload session did not name the new cover');
        if (signal.aborted) return;
        setState({ phase: 'processing' });

        const deadline = Date.now() + WATCH_LIMIT_MS;
        for (let attempt = 0; Date.now() < deadline; attempt++) {
          await sleep(POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)]);
          if (signal.aborted) return;
          const status = await getImageStatus(imageId);
          if (signal.aborted) return;
          if (status.placeholder) {
            setState({ phase: 'done', message: 'The new cover is held for review by the moderators.' });
            return;
          }
          if (status.status === 'error') {
            setState({ phase: 'error', message: `The cover could not be processed: ${status.error ?? 'unknown error'}` });
            return;
          }
          if (status.status !== 'ready') continue;
          // Ingest sets the gallery's cover right after the image is ready; wait until it shows.
          const gallery = await getGallery(galleryId);
          if (signal.aborted) return;
          if (gallery.coverImageId !== imageId) continue;
          await Promise.all(
            [catalogKeys.gallery(galleryId), catalogKeys.galleries, catalogKeys.myGalleries()].map((queryKey) =>
              queryClient.invalidateQueries({ queryKey }),
            ),
          );
          if (signal.aborted) return;
          onReadyRef.current(imageId);
          setState({ phase: 'done', message: 'The new cover is ready.' });
          return;
        }
        setState({ phase: 'done', message: 'The cover is still being processed; it appears once it is ready.' });
      } catch (error) {
        if (signal.aborted) return;
        setState({ phase: 'error', message: errorMessage(error) });
      }
    },
    [galleryId, queryClient],
  );

  return { state, start, busy: state.phase === 'uploading' || state.phase === 'processing' };
}
