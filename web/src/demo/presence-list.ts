import type { PresentWriter, StoryloomDocument } from '@storyloom/client';
import { h } from '../lib/dom.js';

/**
 * Who is in the document, one item per writer (a writer in two tabs appears once). The server
 * stamps each awareness state with the token's identity, so names and colours here cannot be
 * spoofed by another client. Also keeps `names` (user id -> name) for the conflict banner.
 */
export function mountPresenceList(list: HTMLElement, doc: StoryloomDocument, me: string, names: Map<string, string>): void {
  const render = (present: PresentWriter[]) => {
    const writers = new Map<string, { id: string; name: string; color: string; typing: boolean }>();
    for (const p of present) {
      const id = p.user.id;
      names.set(id, p.user.name);
      const prev = writers.get(id);
      writers.set(id, { id, name: p.user.name, color: p.user.color, typing: (prev?.typing ?? false) || p.editMode === 'typing' });
    }
    const sorted = [...writers.values()].sort((a, b) => (a.id === me ? -1 : b.id === me ? 1 : a.name.localeCompare(b.name)));
    list.replaceChildren(
      ...sorted.map((w) =>
        h(
          'li',
          { class: 'presence-item', dataset: { user: w.id }, style: { borderColor: w.color } },
          h('span', { class: 'dot', style: { background: w.color } }),
          h('span', { class: 'name', style: { color: w.color } }, w.name),
          w.id === me ? h('span', { class: 'you' }, ' (you)') : null,
          h('span', { class: 'mode' }, w.typing ? 'typing…' : ''),
        ),
      ),
    );
  };
  doc.onPresence(render);
  render(doc.presence());
}
