/**
 * @storyloom/client/tiptap: TipTap 3 wiring for a Storyloom document. A separate entry point so
 * applications without TipTap never load it (the @tiptap/* packages are optional peers).
 */
import { Extension, type AnyExtension } from '@tiptap/core';
import Collaboration, { isChangeOrigin } from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import type { StoryloomDocument } from './document.js';
import type { EditMode } from './presence.js';

export interface CollaborationExtensionsOptions {
  /** Shown on other writers' screens only until the server's stamp arrives; default: the token's name and colour. */
  user?: { name: string; color: string };
  /**
   * Adds {@link StoryloomActivity} (edit mode, typing velocity, viewport). Default true; an
   * object sets some of its options (the rest keep their defaults, `doc` is this document).
   */
  activity?: boolean | Partial<StoryloomActivityOptions>;
}

/**
 * The extensions that make an editor collaborative on `doc`: Collaboration on the `default`
 * fragment (the one the server counts words and resolves carets in), CollaborationCaret on the
 * document's provider, and by default {@link StoryloomActivity}. Use StarterKit with
 * `undoRedo: false`: Collaboration brings its own Yjs-aware undo.
 */
export function collaborationExtensions(doc: StoryloomDocument, options: CollaborationExtensionsOptions = {}): AnyExtension[] {
  const caret = CollaborationCaret.configure({ provider: doc.provider, user: options.user ?? { name: '', color: '#57534e' } });
  const extensions: AnyExtension[] = [Collaboration.configure({ document: doc.ydoc, field: 'default' }), caret];
  if (!options.user) {
    // The token's identity may still be on its way (async getToken): update the caret once known.
    extensions.push(
      Extension.create({
        name: 'storyloomCaretUser',
        onCreate() {
          const editor = this.editor;
          doc.self.then(
            (user) => {
              if (!editor.isDestroyed) editor.commands.updateUser({ name: user.name, color: user.color });
            },
            () => undefined,
          );
        },
      }),
    );
  }
  if (options.activity !== false) {
    const chosen = typeof options.activity === 'object' ? options.activity : {};
    // configure() merges over addOptions(), so options left out keep their defaults.
    extensions.push(StoryloomActivity.configure({ ...chosen, doc: chosen.doc ?? doc }));
  }
  return extensions;
}

export interface StoryloomActivityOptions {
  doc: StoryloomDocument | null;
  /** Back to `idle` after this long without input. Default 5 s (the server's activity window). */
  idleAfterMs: number;
  /** Least time between two typing-velocity updates. Default 1 s. */
  velocityEveryMs: number;
}

/**
 * Feeds the server's conflict prediction from the editor: `editMode` typing/selecting/idle from
 * local transactions (remote Yjs changes are ignored), `typingVelocity` in characters per second,
 * and `viewport` (visible top-level blocks) on scroll and resize. Awareness is only written when
 * a value changed, since every write is a network message to every collaborator.
 */
export const StoryloomActivity = Extension.create<StoryloomActivityOptions>({
  name: 'storyloomActivity',
  addOptions() {
    return { doc: null, idleAfterMs: 5_000, velocityEveryMs: 1_000 };
  },
  onCreate() {
    const { doc, idleAfterMs, velocityEveryMs } = this.options;
    if (!doc) return;
    const editor = this.editor;
    let mode: EditMode | null = null;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let chars = 0;
    let windowStart = Date.now();
    let viewport = '';
    const setMode = (next: EditMode) => {
      if (next !== mode) doc.setEditMode((mode = next));
    };
    const updateViewport = () => {
      if (editor.isDestroyed) return;
      try {
        measureViewport();
      } catch {
        // Not laid out (headless, detached): there is no viewport to report.
      }
    };
    const measureViewport = () => {
      const view = editor.view;
      const rect = view.dom.getBoundingClientRect();
      const top = Math.max(rect.top, 0) + 1;
      const bottom = Math.min(rect.bottom, globalThis.innerHeight ?? rect.bottom) - 1;
      const from = view.posAtCoords({ left: rect.left + 1, top });
      const to = view.posAtCoords({ left: rect.left + 1, top: Math.max(top, bottom) });
      if (!from || !to) return;
      const blocks = view.state.doc.childCount;
      const fromBlock = Math.min(view.state.doc.resolve(from.pos).index(0), blocks - 1);
      const toBlock = Math.max(fromBlock, Math.min(view.state.doc.resolve(to.pos).index(0), blocks - 1));
      const key = `${fromBlock}:${toBlock}`;
      if (key === viewport || fromBlock < 0) return;
      viewport = key;
      doc.setViewport(fromBlock, toBlock);
    };
    const onTransaction = ({ transaction }: { transaction: Parameters<typeof isChangeOrigin>[0] }) => {
      if (isChangeOrigin(transaction)) return;
      const now = Date.now();
      if (transaction.docChanged) {
        setMode('typing');
        for (const step of transaction.steps) step.getMap().forEach((_a, _b, start, end) => (chars += Math.max(1, end - start)));
      } else if (transaction.selectionSet) {
        setMode(editor.state.selection.empty ? mode ?? 'idle' : 'selecting');
      } else return;
      if (now - windowStart >= velocityEveryMs) {
        doc.setTypingVelocity(Math.round((chars * 1000) / (now - windowStart)));
        chars = 0;
        windowStart = now;
      }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        setMode('idle');
        doc.setTypingVelocity(0);
        chars = 0;
        windowStart = Date.now();
      }, idleAfterMs);
    };
    editor.on('transaction', onTransaction);
    const onScroll = () => updateViewport();
    globalThis.addEventListener?.('scroll', onScroll, { passive: true, capture: true });
    globalThis.addEventListener?.('resize', onScroll, { passive: true });
    updateViewport();
    editor.on('destroy', () => {
      clearTimeout(idleTimer);
      editor.off('transaction', onTransaction);
      globalThis.removeEventListener?.('scroll', onScroll, { capture: true });
      globalThis.removeEventListener?.('resize', onScroll);
    });
  },
});
