import type { ConflictWarning, StoryloomDocument } from '@storyloom/client';

/**
 * Shows the server's conflict warnings that involve me: raised when another active writer's
 * caret is in my paragraph (high) or the next one (medium), cleared by the server a few seconds
 * after that stops being true. Warnings are per pair of writers, so several can be live at once.
 */
export function mountConflictBanner(banner: HTMLElement, doc: StoryloomDocument, me: string, names: Map<string, string>): void {
  const live = new Map<string, ConflictWarning>();

  const render = () => {
    const warnings = [...live.values()];
    banner.hidden = warnings.length === 0;
    if (warnings.length === 0) {
      banner.replaceChildren();
      delete banner.dataset.severity;
      return;
    }
    const high = warnings.some((w) => w.severity === 'high');
    banner.dataset.severity = high ? 'high' : 'medium';
    const lines = warnings.map((w) => {
      const other = w.users.filter((u) => u !== me).map((u) => names.get(u) ?? u).join(', ');
      const where = w.blocks.map((b) => b + 1);
      const place = w.severity === 'high' ? `the same paragraph (¶${where[0]})` : `neighbouring paragraphs (¶${where[0]}–${where[where.length - 1]})`;
      return `You and ${other} are writing in ${place}. Edits may collide; one of you might move on.`;
    });
    banner.textContent = `⚠ ${lines.join(' ')}`;
  };

  doc.onConflict((notice) => {
    if (!notice.users.includes(me)) return;
    const key = [...notice.users].sort().join('|');
    if (notice.status === 'cleared') live.delete(key);
    else live.set(key, notice);
    render();
  });
  // After a reconnect the server starts over: whatever we showed may be stale.
  doc.provider.on('disconnect', () => {
    live.clear();
    render();
  });
  render();
}
