import { parseErrorBody, RESOURCE_ID_PATTERN as ID_PATTERN } from '@storyloom/client';

/** What GET /api/dev/token answers (src/api/routes/dev.ts). */
export interface DevSession {
  token: string;
  user: { id: string; name: string; color: string };
  projectId: string;
  document: string;
  expiresAt: string;
}

export interface Writer {
  id: string;
  name: string;
}

const PEN_NAMES = [
  'Rosalind Hart', 'Evangeline Rose', 'Celeste Ashby', 'Juliet Fairfax', 'Vivienne Lark', 'Amelia Thorne',
  'Clara Bellamy', 'Lydia Marlowe', 'Genevieve Wilde', 'Harriet Vane', 'Imogen Sinclair', 'Beatrice Locke',
];
const STORAGE_KEY = 'storyloom.writer';

/**
 * Who this tab writes as: `?user=alice[&name=Alice]`, else a pen name kept in localStorage so a
 * reload keeps the same writer (and the same session and caret colour).
 */
export function pickWriter(search = location.search): Writer {
  const params = new URLSearchParams(search);
  const user = params.get('user');
  if (user && ID_PATTERN.test(user)) return { id: user, name: params.get('name') || capitalize(user) };
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Writer | null;
    if (stored && ID_PATTERN.test(stored.id) && stored.name) return stored;
  } catch {
    // A corrupt entry: pick a new name below.
  }
  const name = PEN_NAMES[Math.floor(Math.random() * PEN_NAMES.length)]!;
  const writer = { id: `${name.toLowerCase().replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 6)}`, name };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(writer));
  return writer;
}

function capitalize(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

/** A fresh demo token; rejects with a StoryloomError (or a network TypeError when the server is down). */
export async function devLogin(writer: Writer, role: 'editor' | 'owner' = 'editor'): Promise<DevSession> {
  const query = new URLSearchParams({ user: writer.id, name: writer.name, role });
  const res = await fetch(`/api/dev/token?${query}`);
  if (!res.ok) throw parseErrorBody(await res.json().catch(() => null), res.status);
  return (await res.json()) as DevSession;
}

/** Retries `devLogin` until the server answers, reporting each failure (the page stays usable). */
export async function devLoginWithRetry(writer: Writer, onRetry: (error: unknown) => void, role: 'editor' | 'owner' = 'editor'): Promise<DevSession> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 4_000)) {
    try {
      return await devLogin(writer, role);
    } catch (error) {
      // 404 means a production server: retrying will not help.
      if ((error as { status?: number }).status === 404) throw error;
      onRetry(error);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
