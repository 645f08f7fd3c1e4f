import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../db/document-store.js';
import type { EventBus, Subscription } from '../events/bus.js';
import { EVENT_CATEGORIES, EVENT_TYPES } from '../events/schema.js';
import type { Clock } from '../lib/clock.js';
import { randomUUID } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Config } from '../config.js';
import type { LiveDocuments } from '../services/documents/ports.js';
import type { NotificationService } from '../services/notifications/notification-service.js';
import type { PublishingService } from '../services/publishing/publishing-service.js';
import type { WritingReports } from '../services/reports/writing-reports.js';
import type { VersionService } from '../services/versions/version-service.js';
import { noopAction } from '../services/workflows/action-handlers.js';
import { createArchiveSales, createLiveManuscripts, createWorkflowActions } from '../services/workflows/actions/index.js';
import { eventOfNotice } from '../services/workflows/run-events.js';
import { createWorkflowRunner, type WorkflowRunner } from '../services/workflows/runner.js';
import { createWorkflowService, type WorkflowService } from '../services/workflows/workflow-service.js';
import { createActionCatalog } from '../workflows/actions.js';
import { RUN_STATUSES } from '../workflows/run-state.js';

/** Steps executing at once per instance; actions are IO-bound (HTTP, files, email). */
const STEP_CONCURRENCY = 16;
/** How often cron triggers are checked: a tick fires at most this late. */
const CRON_CHECK_MS = 5_000;

export interface Workflows {
  service: WorkflowService;
  runner: WorkflowRunner;
  /** Lets running steps finish (briefly), hands runs back, stops triggers. */
  stop(): Promise<void>;
}

/**
 * The workflow engine's parts, wired (docs/workflows.md): actions, the runner, the service, the
 * event-trigger consumer group (`workflows`: each event starts its runs once across instances)
 * and the cron check. Off when WORKFLOW_AUTOMATION_ENABLED is false (its routes answer 503).
 */
export function composeWorkflows(deps: {
  config: Config;
  db: Database;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  live: LiveDocuments;
  versions: VersionService;
  publishing: PublishingService;
  notifications: NotificationService;
  reports: WritingReports;
}): Workflows {
  const { config, db, bus, clock, logger } = deps;
  const actions = createWorkflowActions({
    dataDir: config.dataDir,
    clock,
    httpAllow: config.workflowActions.httpAllow,
    uploadUrl: config.workflowActions.uploadUrl,
    ai: config.workflowActions.ai,
    publish: (event) => bus.publish(event),
    versions: deps.versions,
    publishing: deps.publishing,
    manuscripts: createLiveManuscripts({ live: deps.live, documentIds: (projectId) => db.projectDocuments(projectId) }),
    // `database` sales.daily (the sales-spike template) reads the audit archive.
    sales: createArchiveSales(db.events),
    writing: {
      projectWriting: (query) => db.writing.projectWriting(query),
      wordsBetween: (userId, projectId, from, to) => db.writing.wordsBetween(userId, projectId, from, to),
      listGoals: (projectId) => db.writing.listGoals(projectId),
      goalProgress: (userId, projectId) => deps.reports.goalProgress(userId, projectId),
    },
    notify: {
      notify: (request) => deps.notifications.notify(request),
      owners: (projectId) => db.notifications.owners(projectId),
      roleOf: (projectId, userId) => db.notifications.roleOf(projectId, userId),
      // Events name writers by pseudonym (the conflict-alert template notifies both writers).
      usersByActor: (actors) => db.notifications.usersByActor(actors),
    },
  });
  const handlers = [noopAction, ...actions];
  const catalog = createActionCatalog(handlers.map((h) => h.spec));
  const stepSeconds = new Histogram({
    name: 'storyloom_workflow_step_duration_seconds',
    help: 'Duration of workflow step attempts by action and outcome',
    labelNames: ['action', 'outcome'],
    buckets: [0.005, 0.025, 0.1, 0.5, 2, 10, 60, 300],
    registers: [deps.registry],
  });
  const notices = new Counter({ name: 'storyloom_workflow_events_total', help: 'automation.* events by kind', labelNames: ['kind'], registers: [deps.registry] });
  const runner = createWorkflowRunner({
    store: db.workflows,
    handlers: new Map(handlers.map((h) => [h.spec.name, h])),
    clock,
    logger: logger.child({ module: 'workflow-runner' }),
    instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    concurrency: STEP_CONCURRENCY,
    leaseMs: 30_000,
    pollMs: 1_000,
    onNotice(run, notice) {
      notices.inc({ kind: notice.kind });
      bus.publish(eventOfNotice(run, notice, clock.now())).catch((error: unknown) => logger.warn({ err: error, runId: run.id }, 'automation event not published'));
    },
    onStepDone: (action, outcome, seconds) => stepSeconds.observe({ action, outcome }, seconds),
  });
  const service = createWorkflowService({ store: db.workflows, runner, catalog, clock, logger: logger.child({ module: 'workflows' }), eventTypes: EVENT_TYPES });

  // Runs by status and the queue (unfinished runs that are due), read from storage at scrape time.
  const runs = new Gauge({ name: 'storyloom_workflow_runs', help: 'Workflow runs by status', labelNames: ['status'], registers: [deps.registry] });
  new Gauge({
    name: 'storyloom_workflow_queue_depth',
    help: 'Unfinished workflow runs that are due now (waiting for a free instance or slot)',
    registers: [deps.registry],
    async collect() {
      const stats = await db.workflows.stats(clock.now());
      for (const status of RUN_STATUSES) runs.set({ status }, stats.byStatus[status] ?? 0);
      this.set(stats.due);
    },
  });

  runner.start();
  const subscription: Subscription = bus.subscribe({
    group: 'workflows',
    categories: EVENT_CATEGORIES,
    handle: async (event) => {
      await service.onEvent(event);
    },
  });
  const cron = setInterval(() => {
    service.cronTick().catch((error: unknown) => logger.warn({ err: error }, 'cron triggers failed'));
  }, CRON_CHECK_MS);
  cron.unref();

  return {
    service,
    runner,
    async stop() {
      clearInterval(cron);
      await subscription.stop();
      await runner.stop(5_000);
    },
  };
}
