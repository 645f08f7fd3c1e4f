import { asAutomationEvent, type StoryloomClient, type Workflow, type WorkflowRun, type WorkflowRunStep } from '@storyloom/client';
import { byTestId, h } from '../lib/dom.js';

/**
 * The Workflows tab: the project's workflows, the selected one's recent runs, and one run's steps
 * as a timeline. Live without polling: each `automation.*` event on the project channel names its
 * run, and that run alone is read again (debounced per run, since a run sends a burst of events).
 */

/** automation.* events of one run arrive in bursts (a step_completed per step): one read per burst. */
const RUN_REFRESH_DEBOUNCE_MS = 150;
const RUN_LIMIT = 20;
const FINISHED = new Set(['completed', 'failed', 'cancelled', 'rolled_back']);

export interface WorkflowsView {
  /** Call with every push on `project:<id>`; anything but an automation event is ignored. */
  onPush(data: unknown): void;
  /** Loads the list (first open of the tab, or a manual reload). */
  load(): Promise<void>;
}

interface State {
  workflows: Workflow[];
  selected: string | null;
  runs: WorkflowRun[];
  run: string | null;
  /** Whether the caller may start runs (owner or editor in the project). */
  canRun: boolean;
  error: string | null;
}

export function workflowsView(client: StoryloomClient, projectId: string): WorkflowsView {
  const role = client.identity()?.projects[projectId];
  const state: State = { workflows: [], selected: null, runs: [], run: null, canRun: role === 'owner' || role === 'editor', error: null };
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const announced = new Map<string, string>();
  const announcer = byTestId('workflow-announce');

  const announce = (run: WorkflowRun) => {
    // Only changes of a run's status are read out, not every step.
    if (announced.get(run.id) === run.status) return;
    announced.set(run.id, run.status);
    const name = state.workflows.find((w) => w.id === run.workflowId)?.name ?? 'Workflow';
    announcer.textContent = `${name}: run ${run.status.replace('_', ' ')}`;
  };

  function upsert(run: WorkflowRun): void {
    if (run.workflowId !== state.selected) return;
    const i = state.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) state.runs[i] = run;
    else state.runs = [run, ...state.runs].slice(0, RUN_LIMIT);
    announce(run);
  }

  async function refreshRun(runId: string): Promise<void> {
    try {
      upsert(await client.workflows.run(runId));
      state.error = null;
    } catch (error) {
      state.error = `Could not read the run: ${(error as Error).message}`;
    }
    render();
  }

  async function select(workflowId: string): Promise<void> {
    state.selected = workflowId;
    state.runs = await client.workflows.executions(workflowId, RUN_LIMIT);
    state.run = state.runs[0]?.id ?? null;
    for (const r of state.runs) announced.set(r.id, r.status);
    render();
  }

  async function execute(workflow: Workflow): Promise<void> {
    try {
      // Select first, so the run's events (which may beat the 202) are not taken for another workflow's.
      if (state.selected !== workflow.id) await select(workflow.id);
      const runId = await client.workflows.execute(workflow.id);
      state.run = runId;
      announcer.textContent = `${workflow.name}: run started`;
      await refreshRun(runId);
    } catch (error) {
      state.error = `Could not start ${workflow.name}: ${(error as Error).message}`;
      render();
    }
  }

  async function cancel(runId: string): Promise<void> {
    try {
      upsert(await client.workflows.cancel(runId));
    } catch (error) {
      state.error = `Could not cancel the run: ${(error as Error).message}`;
    }
    render();
  }

  function render(): void {
    renderList();
    renderRuns();
    renderTimeline();
    byTestId('workflow-error').textContent = state.error ?? '';
  }

  function renderList(): void {
    const el = byTestId('workflow-list');
    if (state.workflows.length === 0) {
      el.replaceChildren(h('p', { class: 'empty' }, 'No workflows in this project yet: register one with POST /api/workflows/register.'));
      return;
    }
    el.replaceChildren(
      table(
        ['Name', 'Trigger', 'Enabled', 'Version', ''],
        state.workflows.map((w) =>
          h(
            'tr',
            { dataset: { workflowId: w.id, workflowName: w.name }, class: w.id === state.selected ? 'selected' : undefined },
            h('td', {}, h('button', { type: 'button', class: 'link', 'aria-pressed': String(w.id === state.selected) }, w.name)),
            h('td', {}, triggerText(w)),
            h('td', {}, w.enabled ? 'yes' : 'no'),
            h('td', { class: 'num' }, `v${w.version}`),
            h('td', {}, state.canRun && w.enabled ? h('button', { type: 'button', class: 'run', dataset: { action: 'run' } }, 'Run') : null),
          ),
        ),
      ),
    );
    for (const row of el.querySelectorAll<HTMLTableRowElement>('tr[data-workflow-id]')) {
      const w = state.workflows.find((x) => x.id === row.dataset.workflowId)!;
      row.querySelector('button.link')!.addEventListener('click', () => void select(w.id));
      row.querySelector('button.run')?.addEventListener('click', () => void execute(w));
    }
  }

  function renderRuns(): void {
    const el = byTestId('workflow-runs');
    if (state.selected === null) return void el.replaceChildren();
    if (state.runs.length === 0) return void el.replaceChildren(h('p', { class: 'empty' }, 'No runs yet.'));
    el.replaceChildren(
      table(
        ['Status', 'Started', 'Duration', ''],
        state.runs.map((r) =>
          h(
            'tr',
            { dataset: { runId: r.id, status: r.status }, class: r.id === state.run ? 'selected' : undefined },
            h('td', {}, badge(r.status)),
            h('td', {}, r.startedAt ? new Date(r.startedAt).toLocaleTimeString() : '–'),
            h('td', { class: 'num' }, duration(r.startedAt, r.finishedAt, FINISHED.has(r.status))),
            h(
              'td',
              { class: 'actions' },
              h('button', { type: 'button', class: 'link', 'aria-pressed': String(r.id === state.run) }, 'Steps'),
              state.canRun && !FINISHED.has(r.status) ? h('button', { type: 'button', class: 'cancel' }, 'Cancel') : null,
            ),
          ),
        ),
      ),
    );
    for (const row of el.querySelectorAll<HTMLTableRowElement>('tr[data-run-id]')) {
      const runId = row.dataset.runId!;
      row.querySelector('button.link')!.addEventListener('click', () => {
        state.run = runId;
        render();
      });
      row.querySelector('button.cancel')?.addEventListener('click', () => void cancel(runId));
    }
  }

  function renderTimeline(): void {
    const el = byTestId('run-timeline');
    const run = state.runs.find((r) => r.id === state.run);
    if (!run) return void el.replaceChildren(h('p', { class: 'empty' }, 'Pick a run to see its steps.'));
    el.dataset.runId = run.id;
    el.dataset.status = run.status;
    const t0 = run.startedAt ? Date.parse(run.startedAt) : Date.now();
    const times = run.steps.flatMap((s) => [s.startedAt, s.finishedAt]).filter((x): x is string => !!x).map(Date.parse);
    const t1 = run.finishedAt ? Date.parse(run.finishedAt) : Math.max(Date.now(), ...times);
    const span = Math.max(1, t1 - t0);
    el.replaceChildren(
      h('p', { class: 'note' }, `Run ${run.id} · `, badge(run.status), ` · ${duration(run.startedAt, run.finishedAt, FINISHED.has(run.status))}`, run.error ? ` · ${run.error}` : ''),
      h('ol', { class: 'steps' }, ...run.steps.map((s) => step(s, t0, span))),
    );
  }

  function step(s: WorkflowRunStep, t0: number, span: number): HTMLElement {
    const from = s.startedAt ? Date.parse(s.startedAt) : null;
    const to = s.finishedAt ? Date.parse(s.finishedAt) : from !== null ? Date.now() : null;
    const bar =
      from === null
        ? h('span', { class: 'bar none' })
        : h('span', {
            class: 'bar',
            dataset: { status: s.status },
            style: { marginLeft: `${(((from - t0) / span) * 100).toFixed(2)}%`, width: `${Math.max(1, ((to! - from) / span) * 100).toFixed(2)}%` },
          });
    const c = s.compensation;
    return h(
      'li',
      { dataset: { step: s.id, status: s.status, attempts: String(s.attempts) } },
      h('span', { class: 'step-id' }, s.id),
      badge(s.status),
      h('span', { class: 'track', role: 'img', 'aria-label': `${s.id}: ${duration(s.startedAt, s.finishedAt, !!s.finishedAt)}` }, bar),
      h('span', { class: 'num' }, duration(s.startedAt, s.finishedAt, !!s.finishedAt)),
      h('span', { class: 'attempts' }, `${s.attempts} ${s.attempts === 1 ? 'attempt' : 'attempts'}`),
      s.error ? h('p', { class: 'step-error', dataset: { testid: 'step-error' } }, s.error) : null,
      c ? h('p', { class: 'compensation', dataset: { status: c.status } }, `Rolled back: ${c.status}${c.error ? ` (${c.error})` : ''}`) : null,
    );
  }

  let listTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadList = () => {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => void view.load(), RUN_REFRESH_DEBOUNCE_MS);
  };

  const view: WorkflowsView = {
    onPush(data) {
      const event = asAutomationEvent(data);
      if (!event) return;
      const { runId, workflowId } = event.payload;
      // A workflow registered after the list was read: read the list again.
      if (!state.workflows.some((w) => w.id === workflowId)) return void reloadList();
      // A run of another workflow changes nothing on screen.
      if (workflowId !== state.selected) return;
      clearTimeout(timers.get(runId));
      timers.set(
        runId,
        setTimeout(() => {
          timers.delete(runId);
          void refreshRun(runId);
        }, RUN_REFRESH_DEBOUNCE_MS),
      );
    },
    async load() {
      try {
        state.workflows = await client.workflows.list(projectId);
        state.error = null;
        const keep = state.workflows.some((w) => w.id === state.selected);
        if (!keep && state.workflows[0]) await select(state.workflows[0].id);
      } catch (error) {
        state.error = (error as { status?: number }).status === 403 ? 'Only the project’s owners and editors see its workflows.' : `Could not load the workflows: ${(error as Error).message}`;
      }
      render();
    },
  };
  return view;
}

function triggerText(w: Workflow): string {
  const t = (w.definition as { trigger?: { type?: string; event?: string; cron?: string; timeZone?: string } }).trigger;
  if (t?.type === 'event') return `on ${t.event}`;
  if (t?.type === 'cron') return `cron ${t.cron} (${t.timeZone})`;
  return t?.type ?? '–';
}

function badge(status: string): HTMLElement {
  return h('span', { class: 'badge', dataset: { status } }, status.replace('_', ' '));
}

/** "1.2 s", "340 ms", or "running" for an unfinished span. */
function duration(from: string | undefined, to: string | undefined, finished: boolean): string {
  if (!from) return '–';
  if (!finished || !to) return 'running';
  const ms = Math.max(0, Date.parse(to) - Date.parse(from));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(headers: string[], rows: HTMLElement[]): HTMLElement {
  return h('table', { class: 'grid-table' }, h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, ...rows));
}
