import type { StoryloomClient, WritingMetrics } from '@storyloom/client';
import { day, TIME_ZONE } from '../lib/days.js';
import { debounce, h } from '../lib/dom.js';

/** What the panel shows: a REST session or a live metrics push. */
type SessionLike = Pick<WritingMetrics, 'userId' | 'state' | 'wpm' | 'totals'>;

const STATE_LABELS: Record<string, string> = {
  idle: 'Idle',
  warming_up: 'Warming up',
  active: 'Writing',
  flow: 'In flow ✨',
  paused: 'Paused',
  break: 'On a break',
  ended: 'Ended',
};

/**
 * The writer's own session (state, pace, words) and words today. REST gives the starting point
 * (the open session, today's report); `writing.metrics` pushes on the project channel keep it
 * live, and each push re-reads today's words (debounced: the report is a query, not a stream).
 */
export function mountWritingPanel(panel: HTMLElement, deps: { client: StoryloomClient; projectId: string; me: string }): void {
  const { client, projectId, me } = deps;
  const cells = {
    state: h('dd', { 'data-field': 'state' }, 'No session yet'),
    wpm: h('dd', { 'data-field': 'wpm' }, '0'),
    session: h('dd', { 'data-field': 'session-words' }, '0'),
    today: h('dd', { 'data-field': 'words-today' }, '0'),
  };
  panel.replaceChildren(
    h(
      'dl',
      { class: 'stats' },
      h('dt', {}, 'Session'),
      cells.state,
      h('dt', {}, 'Pace (wpm)'),
      cells.wpm,
      h('dt', {}, 'Words this session'),
      cells.session,
      h('dt', {}, 'Words today'),
      cells.today,
    ),
  );

  const show = (s: SessionLike) => {
    cells.state.textContent = STATE_LABELS[s.state] ?? s.state;
    panel.dataset.state = s.state;
    cells.wpm.textContent = String(Math.round(s.wpm));
    cells.session.textContent = s.totals.netWords.toLocaleString();
  };

  const refreshToday = async () => {
    try {
      const today = day(0);
      const report = await client.api.projectWritingReport(projectId, { from: today, to: today, tz: TIME_ZONE, userId: me });
      const words = report.writers.find((w) => w.userId === me)?.days.reduce((sum, d) => sum + d.wordsNet, 0) ?? 0;
      cells.today.textContent = words.toLocaleString();
      panel.dataset.wordsToday = String(words);
    } catch {
      // Offline or tracking turned off: keep the last figure; the next push tries again.
    }
  };
  const refreshTodaySoon = debounce(() => void refreshToday(), 1_000);

  void (async () => {
    try {
      const sessions: SessionLike[] = await client.writing.active(projectId);
      const mine = sessions.filter((s) => s.userId === me).at(-1);
      if (mine) show(mine);
    } catch {
      // Same as above: live pushes fill the panel in.
    }
    await refreshToday();
  })();

  client.writing.onMetrics(projectId, (metrics) => {
    if (metrics.userId !== me) return;
    show(metrics);
    refreshTodaySoon();
  });
}
