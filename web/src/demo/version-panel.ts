import type { DocumentVersion, StoryloomDocument } from '@storyloom/client';
import { ago, h } from '../lib/dom.js';

/**
 * Versions of the open document (server docs/versions.md): save one, list them, view one
 * read-only, restore one. A restore is a live edit: the editor changes like it does for any
 * other writer's edit, and the list gains the "Before restoring …" version that undoes it.
 */
export function mountVersionPanel(panel: HTMLElement, doc: StoryloomDocument): void {
  const name = h('input', { type: 'text', placeholder: 'Version name (optional)', maxlength: '200', 'aria-label': 'Version name', 'data-field': 'version-name' });
  const save = h('button', { type: 'button', 'data-action': 'save-version' }, 'Save version');
  const message = h('p', { class: 'version-message', role: 'status' });
  const list = h('ul', { class: 'versions', 'data-field': 'versions' });
  const view = h('div', { class: 'version-view', hidden: true });
  panel.replaceChildren(h('div', { class: 'version-save' }, name, save), message, list, view);

  const say = (text: string) => (message.textContent = text);
  const fail = (error: unknown) => say(error instanceof Error ? error.message : String(error));

  async function refresh(): Promise<void> {
    const page = await doc.versions.list({ limit: 20 });
    list.replaceChildren(...page.versions.map(item));
  }

  function item(v: DocumentVersion): HTMLLIElement {
    const label = v.name ?? (v.kind === 'auto' ? 'Automatic version' : 'Untitled version');
    const show = h('button', { type: 'button', 'data-action': 'view-version' }, 'View');
    const restore = h('button', { type: 'button', 'data-action': 'restore-version' }, 'Restore');
    show.addEventListener('click', () => {
      doc.versions.get(v.id).then((full) => {
        // A sandboxed frame: the version's HTML is shown, never run.
        view.replaceChildren(h('h3', {}, label), h('iframe', { sandbox: '', title: `Version ${label}`, srcdoc: full.content.html }));
        view.hidden = false;
      }, fail);
    });
    restore.addEventListener('click', () => {
      if (!confirm(`Restore "${label}"? Everyone's text becomes this version; the current text is kept as a version.`)) return;
      doc.versions.restore(v.id).then(
        (r) => {
          say(r.newVersionId ? 'Restored. To undo, restore "Before restoring …".' : 'The text already was this version.');
          return refresh();
        },
        fail,
      );
    });
    const changed = v.wordsChanged > 0 ? `, ±${v.wordsChanged.toLocaleString()}` : '';
    return h(
      'li',
      { class: 'version', dataset: { versionId: v.id, kind: v.kind } },
      h('strong', {}, label),
      h('span', { class: 'when' }, ago(Date.parse(v.createdAt))),
      h('p', {}, `${v.createdBy} · ${v.words.toLocaleString()} words${changed}`),
      show,
      restore,
    );
  }

  save.addEventListener('click', () => {
    const chosen = name.value.trim();
    doc.versions.create(chosen === '' ? undefined : chosen).then(
      (v) => {
        name.value = '';
        say(`Saved "${v.name ?? 'Untitled version'}" (${v.words.toLocaleString()} words).`);
        return refresh();
      },
      fail,
    );
  });
  refresh().catch(fail);
}
