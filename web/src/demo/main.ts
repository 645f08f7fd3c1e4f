import { createClient } from '@storyloom/client';
import { collaborationExtensions } from '@storyloom/client/tiptap';
import { Editor } from '@tiptap/core';
import { manuscriptExtensions } from '@storyloom/schema';
import { byTestId } from '../lib/dom.js';
import { devLogin, devLoginWithRetry, pickWriter, type DevSession } from '../lib/session.js';
import { mountConflictBanner } from './conflict-banner.js';
import { setConnectionStatus, watchConnection } from './connection-status.js';
import { mountInbox } from './inbox.js';
import { mountNotificationPreferences } from './notification-preferences.js';
import { mountPresenceList } from './presence-list.js';
import { mountWritingPanel } from './writing-panel.js';
import { mountVersionPanel } from './version-panel.js';
import { mountExportMenu } from './export-menu.js';
import '../styles/common.css';
import '../styles/demo.css';

/**
 * The server's prediction counts a writer as active for 5 s after their last evidence; going
 * idle after 3 s of silence keeps a pause between sentences from reading as "still typing".
 */
const IDLE_AFTER_MS = 3_000;
/** Reconnect within a few seconds once the server is back (both sockets back off to at most this). */
const MAX_RECONNECT_MS = 5_000;

/**
 * The demo: sign in as a writer (dev token), open demo/chapter-1 in TipTap with carets, and wire
 * presence, conflict warnings, the writing panel, the inbox and the connection status to it.
 */
async function main(): Promise<void> {
  const status = byTestId('connection-status');
  const writer = pickWriter();
  setConnectionStatus(status, 'connecting');
  let session: DevSession;
  try {
    session = await devLoginWithRetry(writer, () => setConnectionStatus(status, 'offline'));
  } catch (error) {
    status.dataset.state = 'offline';
    status.textContent = `Demo sign-in is not available on this server (${(error as Error).message}).`;
    return;
  }
  const me = session.user;
  byTestId('writer-name').textContent = me.name;
  byTestId('writer-name').style.color = me.color;
  byTestId('document-name').textContent = session.document;

  // The SDK calls this again before the 12 h token expires: a long-open tab gets a fresh one.
  let first = true;
  const getToken = async () => {
    if (first) {
      first = false;
      return session.token;
    }
    session = await devLogin(writer);
    return session.token;
  };
  const client = createClient({
    url: location.origin,
    getToken,
    backoff: { maxMs: MAX_RECONNECT_MS },
    collaborationBackoff: { maxMs: MAX_RECONNECT_MS },
  });
  const doc = client.document(session.document);
  watchConnection(status, doc);

  const names = new Map<string, string>([[me.id, me.name]]);
  const editor = new Editor({
    element: byTestId('editor'),
    extensions: [
      ...manuscriptExtensions(),
      ...collaborationExtensions(doc, { user: { name: me.name, color: me.color }, activity: { idleAfterMs: IDLE_AFTER_MS } }),
    ],
    editorProps: { attributes: { class: 'prose', spellcheck: 'true', 'aria-label': 'Chapter text' } },
  });
  mountPresenceList(byTestId('presence'), doc, me.id, names);
  mountConflictBanner(byTestId('conflict-banner'), doc, me.id, names);
  mountWritingPanel(byTestId('writing-panel'), { client, projectId: session.projectId, me: me.id });
  mountInbox({ list: byTestId('inbox'), badge: byTestId('inbox-badge'), markAll: byTestId<HTMLButtonElement>('inbox-mark-all') }, client);
  mountNotificationPreferences(byTestId('notification-preferences'), client);
  mountVersionPanel(byTestId('version-panel'), doc);
  mountExportMenu(byTestId('export-menu'), client, session.projectId, session.document.slice(session.projectId.length + 1));

  // For tests and the console: the editor and document of this tab.
  Object.assign(window, { storyloom: { editor, doc, session, client } });
  await doc.synced;
  document.body.dataset.ready = '1';
}

void main();
