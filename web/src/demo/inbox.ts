import type { Notification, StoryloomClient } from '@storyloom/client';
import { ago, debounce, h } from '../lib/dom.js';

/** How many notifications the demo shows (the REST page size; older ones stay in the inbox). */
const PAGE = 50;

export interface InboxElements {
  list: HTMLElement;
  /** The unread badge: a live region whose text is "<n> unread". */
  badge: HTMLElement;
  markAll: HTMLButtonElement;
}

/** Unread first, then newest first (ids are uuidv7: they sort by creation time). */
function ordered(items: Notification[]): Notification[] {
  return [...items].sort((a, b) => Number(a.readAt !== null) - Number(b.readAt !== null) || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id)));
}

/**
 * The inbox over the typed SDK: read from REST on load (so it survives a reload), refreshed when
 * an in-app push arrives on `user:<me>`, mark read one by one or all at once.
 */
export function mountInbox(el: InboxElements, client: StoryloomClient): void {
  let items: Notification[] = [];
  let unread = 0;

  const render = () => {
    el.badge.dataset.count = String(unread);
    el.badge.replaceChildren(h('span', { 'aria-hidden': 'true' }, String(unread)), h('span', { class: 'sr-only' }, ` unread notification${unread === 1 ? '' : 's'}`));
    el.markAll.disabled = unread === 0;
    if (items.length === 0) {
      el.list.replaceChildren(h('li', { class: 'empty' }, 'Nothing yet: notifications for you appear here.'));
      return;
    }
    el.list.replaceChildren(
      ...ordered(items).map((n) => {
        const isUnread = n.readAt === null;
        const button = isUnread ? h('button', { type: 'button', class: 'mark-read', 'aria-label': `Mark “${n.title}” read` }, 'Mark read') : null;
        button?.addEventListener('click', () => void markRead(n.id));
        return h(
          'li',
          { class: 'inbox-item', dataset: { id: n.id, unread: String(isUnread), priority: n.priority } },
          h('strong', {}, n.title),
          h('span', { class: 'when' }, ago(Date.parse(n.createdAt))),
          h('p', {}, n.body),
          h('span', { class: 'meta' }, `${n.category} · ${n.priority}${isUnread ? ' · unread' : ''}`),
          button,
        );
      }),
    );
  };

  const load = async () => {
    const page = await client.notifications.list({ limit: PAGE });
    items = page.items;
    unread = page.unreadCount;
    render();
  };
  const reload = () =>
    load().catch((error: unknown) => {
      el.list.replaceChildren(h('li', { class: 'empty' }, `The inbox could not be loaded (${(error as Error).message}).`));
    });

  async function markRead(id: string): Promise<void> {
    await client.notifications.markRead(id);
    await reload();
  }
  el.markAll.addEventListener('click', () => {
    void client.notifications.markAllRead().then(reload);
  });

  // A push says "something arrived": the REST page is the truth (order, read state, count).
  const refresh = debounce(() => void reload(), 150);
  const live = client.notifications.subscribe(({ notification }) => {
    if (notification) refresh();
  });
  // data-live: subscribed to `user:<me>` (anything sent from now on shows without a reload).
  void live.ready.then(() => {
    el.list.dataset.live = '1';
  });
  setInterval(render, 30_000);
  render();
  void reload();
}
