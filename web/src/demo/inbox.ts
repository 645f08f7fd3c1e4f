import type { StoryloomClient } from '@storyloom/client';
import { ago, h } from '../lib/dom.js';

interface Item {
  at: number;
  title: string;
  body: string;
}

const MAX_ITEMS = 20;

/** A readable title and line for anything pushed to `user:<me>` (notifications carry free-form data). */
function describe(data: unknown): Item {
  const d = (typeof data === 'object' && data !== null ? data : { message: String(data) }) as Record<string, unknown>;
  const kind = typeof d.kind === 'string' ? d.kind : typeof d.type === 'string' ? d.type : 'notification';
  const text = [d.title, d.message, d.body, d.text].find((v) => typeof v === 'string') as string | undefined;
  const at = typeof d.at === 'string' ? Date.parse(d.at) : typeof d.occurredAt === 'string' ? Date.parse(d.occurredAt) : Date.now();
  if (kind === 'writing.break_suggested') return { at, title: 'Time for a break?', body: `Your pace dropped to ${Math.round(Number(d.wpm) || 0)} wpm.` };
  return { at: Number.isFinite(at) ? at : Date.now(), title: kind.replace(/[._]/g, ' '), body: text ?? JSON.stringify(d.payload ?? d).slice(0, 140) };
}

/** Lists what arrives for me (newest first), with relative times that keep ticking. */
export function mountInbox(list: HTMLElement, client: StoryloomClient, me: string, projectId: string): void {
  const items: Item[] = [];
  const render = () => {
    if (items.length === 0) {
      list.replaceChildren(h('li', { class: 'empty' }, 'Nothing yet: notifications for you appear here.'));
      return;
    }
    list.replaceChildren(
      ...items.map((i) => h('li', { class: 'inbox-item' }, h('strong', {}, i.title), h('span', { class: 'when' }, ago(i.at)), h('p', {}, i.body))),
    );
  };
  const add = (data: unknown) => {
    items.unshift(describe(data));
    items.length = Math.min(items.length, MAX_ITEMS);
    render();
  };
  client.notifications.subscribe(({ data }) => add(data));
  // Break suggestions are for me alone but travel on the analytics side (user channel).
  client.channels.subscribe('analytics', `user:${me}`, (data) => {
    const d = data as { kind?: string; projectId?: string };
    if (d.kind === 'writing.break_suggested' && d.projectId === projectId) add(data);
  });
  setInterval(render, 30_000);
  render();
}
