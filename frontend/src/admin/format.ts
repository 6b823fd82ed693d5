const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp from the API (ISO 8601, UTC) in the viewer's locale; an em dash when absent. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** The message of anything thrown by the API client (ApiError carries the server's message). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong';
}

export const ROLE_LABELS = { USER: 'Member', CURATOR: 'Curator', ADMIN: 'Admin' } as const;

export const FLAG_REASON_LABELS: Record<string, string> = {
  'adult-unmarked': 'Adult, not marked',
  illegal: 'Illegal',
  copyright: 'Copyright',
  spam: 'Spam',
  harassment: 'Harassment',
  other: 'Other',
};
