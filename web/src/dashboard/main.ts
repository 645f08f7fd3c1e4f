import { asAutomationEvent, asWritingMetrics, createClient, defaultColor as colorOf } from '@storyloom/client';
import { byTestId, debounce, h } from '../lib/dom.js';
import { devLoginWithRetry, type DevSession } from '../lib/session.js';
import { groupedBars, horizontalBars, timeline, type Lane } from './charts.js';
import { loadDashboard, type DashboardData, type SessionView } from './data.js';
import { setupTabs } from './tabs.js';
import { workflowsView, type WorkflowsView } from './workflows.js';
import '../styles/common.css';
import '../styles/dashboard.css';

const PROJECT = 'demo';
const DOCUMENT = 'chapter-1';
/** Analytics pushes come in bursts (a metrics push per writer per second): one reload per burst. */
const REFRESH_DEBOUNCE_MS = 400;
/** Presence-side figures (conflicts, who is here) have no push on /ws/analytics: poll them. */
const POLL_MS = 10_000;

/** Sessions seen during this page's life, so an ended one stays on today's timeline. */
const seenSessions = new Map<string, SessionView>();

function render(data: DashboardData): void {
  const writerIds = [...new Set([...data.writers.map((w) => w.userId), ...Object.keys(data.contributions)])].sort();
  const today = data.days.at(-1)!;
  const wordsOf = (id: string) => data.writers.find((w) => w.userId === id)?.days.reduce((s, d) => s + d.wordsNet, 0) ?? 0;

  // Tiles.
  const todayWords = data.writers.reduce((s, w) => s + (w.days.find((d) => d.day === today)?.wordsNet ?? 0), 0);
  byTestId('tiles').replaceChildren(
    tile('Words today', todayWords.toLocaleString()),
    tile('Writers', String(writerIds.length)),
    tile('Live sessions', String(data.sessions.length)),
    tile('In the chapter now', String(data.present)),
  );

  // Words per day per writer.
  const words = byTestId('chart-words-per-day');
  const series = data.writers.map((w) => ({
    id: w.userId,
    label: w.userId,
    color: colorOf(w.userId),
    values: data.days.map((d) => w.days.find((x) => x.day === d)?.wordsNet ?? 0),
  }));
  words.replaceChildren(
    groupedBars(data.days.map((d) => d.slice(5)), series, 'Words per day per writer', widthOf(words)),
    legend(series.map((s) => ({ id: s.id, color: s.color, text: `${s.label} · ${wordsOf(s.id).toLocaleString()} words`, words: wordsOf(s.id) }))),
  );
  if (series.length === 0) words.prepend(h('p', { class: 'empty' }, 'No words yet: open the demo and write something.'));

  // Sessions timeline (today).
  for (const s of data.sessions) seenSessions.set(s.id, s);
  const now = Date.now();
  const sessions = [...seenSessions.values()].filter((s) => s.startedAt !== null);
  // From a minute before the first session (at least the last 5 minutes) up to now.
  const start = Math.min(now - 5 * 60_000, ...sessions.map((s) => Date.parse(s.startedAt!) - 60_000));
  const lanes: Lane[] = [...new Set(sessions.map((s) => s.userId))].sort().map((id) => ({
    id,
    label: id,
    color: colorOf(id),
    spans: sessions
      .filter((s) => s.userId === id)
      .map((s) => ({
        from: Date.parse(s.startedAt!),
        to: s.endedAt ? Date.parse(s.endedAt) : now,
        label: `${s.state}, ${s.totals.netWords} words, ${Math.round(s.wpm)} wpm`,
      })),
  }));
  const sessionsEl = byTestId('chart-sessions');
  sessionsEl.replaceChildren(timeline(lanes, start, now, 'Writing sessions', widthOf(sessionsEl)));
  const live = (id: string) => data.sessions.filter((s) => s.userId === id).length;
  const counts = data.writers.map((w) => `${w.userId}: ${w.sessions} in 14 days, ${live(w.userId)} live now`).join(' · ');
  sessionsEl.append(h('p', { class: 'note' }, counts || 'No sessions in the last two weeks.'));

  // Contributions to the chapter.
  const contributions = Object.entries(data.contributions).sort(([a], [b]) => a.localeCompare(b));
  const contribEl = byTestId('chart-contributions');
  contribEl.replaceChildren(
    contributions.length === 0
      ? h('p', { class: 'empty' }, 'Nobody has opened the chapter on this server yet.')
      : horizontalBars(
          contributions.map(([id, c]) => ({
            id,
            label: id,
            color: colorOf(id),
            value: Math.max(0, c.words.net),
            note: `${c.words.net.toLocaleString()} words · ${Math.round(c.share * 100)}% of text · ${c.activeMinutes} min`,
          })),
          'Contributions to the chapter',
          widthOf(contribEl),
        ),
  );

  // Conflicts.
  const m = data.metrics;
  const conflictsEl = byTestId('chart-conflicts');
  conflictsEl.replaceChildren(
    h(
      'div',
      { class: 'tiles small' },
      tile('Warnings now', String(data.conflicts.length)),
      tile('Predicted', String(m?.conflictsPredicted ?? 0)),
      tile('Actual collisions', String(m?.actualCollisions ?? 0)),
      tile('Efficiency', m?.efficiency === null || m === null ? '–' : `${Math.round(m.efficiency * 100)}%`),
    ),
    data.conflicts.length === 0
      ? h('p', { class: 'empty' }, 'No writers are in each other’s way right now.')
      : h(
          'ul',
          { class: 'conflicts' },
          ...data.conflicts.map((c) =>
            h('li', { dataset: { severity: c.severity } }, `${c.severity === 'high' ? 'Same paragraph' : 'Neighbouring paragraphs'}: ${c.users.join(' & ')} (¶${c.blocks.map((b) => b + 1).join(', ')})`),
          ),
        ),
  );
}

/** Pixel width to draw a chart at: its container's, or a sane default before layout. */
function widthOf(el: HTMLElement): number {
  return Math.max(320, Math.round(el.clientWidth) || 640);
}

function tile(label: string, value: string): HTMLElement {
  return h('div', { class: 'tile' }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
}

function legend(items: { id: string; color: string; text: string; words: number }[]): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    ...items.map((i) => h('li', { dataset: { writer: i.id, words: String(i.words) } }, h('span', { class: 'swatch', style: { background: i.color } }), i.text)),
  );
}

async function main(): Promise<void> {
  const status = byTestId('connection-status');
  // The tabs work before sign-in; the Workflows tab reads its list once the view exists.
  const tabs: { workflows?: WorkflowsView } = {};
  setupTabs((tab) => {
    if (tab === 'workflows') void tabs.workflows?.load();
  });
  let session: DevSession;
  try {
    session = await devLoginWithRetry({ id: 'dashboard', name: 'Dashboard' }, () => {
      status.dataset.state = 'offline';
      status.textContent = 'Can’t reach the server — retrying…';
    }, 'owner');
  } catch (error) {
    status.dataset.state = 'offline';
    status.textContent = `Demo sign-in is not available on this server (${(error as Error).message}).`;
    return;
  }
  const client = createClient({ url: location.origin, getToken: async () => session.token });
  await client.ready;
  const view = workflowsView(client, PROJECT);
  tabs.workflows = view;

  let loading = false;
  let again = false;
  const refresh = async () => {
    // One load at a time; a push during a load schedules exactly one more.
    if (loading) return void (again = true);
    loading = true;
    try {
      render(await loadDashboard(client.api, PROJECT, DOCUMENT));
      status.dataset.state = 'connected';
      status.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
      if (!document.body.dataset.chartsReady) {
        document.body.dataset.chartsReady = '1';
        performance.mark('storyloom:charts-ready');
      }
    } catch {
      status.dataset.state = 'offline';
      status.textContent = 'Can’t reach the server — retrying…';
    } finally {
      loading = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };

  const soon = debounce(() => void refresh(), REFRESH_DEBOUNCE_MS);
  // Every push on the project channel (events of any category and live `writing.metrics`) means
  // new figures: one channel subscription rather than writing.subscribe plus writing.onMetrics.
  const subscription = client.channels.subscribe('analytics', `project:${PROJECT}`, (data) => {
    // Workflow runs change the Workflows tab only (the run named by the event).
    if (asAutomationEvent(data)) return view.onPush(data);
    // Live metrics carry the session: keep it for the timeline even after it ends.
    const m = asWritingMetrics(data);
    const prev = m ? seenSessions.get(m.sessionId) : undefined;
    if (m && prev) seenSessions.set(m.sessionId, { ...prev, state: m.state, wpm: m.wpm, totals: m.totals, endedAt: m.state === 'ended' ? m.at : prev.endedAt });
    soon();
  });
  setInterval(() => void refresh(), POLL_MS);
  // The list once the channel is up, so no run event falls between the read and the subscription.
  void subscription.ready.catch(() => undefined).then(() => view.load());
  await refresh();
}

void main();
