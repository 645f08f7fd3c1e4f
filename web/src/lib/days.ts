/** YYYY-MM-DD of `offsetDays` from today in the browser's zone (the reports take calendar days). */
export function day(offsetDays = 0, now = Date.now()): string {
  const d = new Date(now + offsetDays * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The browser's IANA zone, so "today" on the page and in the report are the same day. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Whether an SDK error is the server's `not-found` (e.g. nobody has opened the document yet). */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'not-found';
}
