import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { writeJSON } from '../../src/manuscript/convert.js';
import { markdownToJSON } from '../../src/manuscript/import.js';
import type { DocumentRef, LiveDocuments } from '../../src/services/documents/ports.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import { createWritingReports } from '../../src/services/reports/writing-reports.js';
import { createVersionService } from '../../src/services/versions/version-service.js';
import { ActionError, type ActionContext, type ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createDatabaseAction } from '../../src/services/workflows/actions/database.js';
import { createDocumentVersionAction } from '../../src/services/workflows/actions/document-version.js';
import { createLiveManuscripts } from '../../src/services/workflows/actions/manuscripts.js';
import { createNotifyActions } from '../../src/services/workflows/actions/notify.js';
import type { Json } from '../../src/workflows/definition.js';
import { onEveryDatabase } from '../helpers/databases.js';

/**
 * The actions that go through stored services, on real storage (PGlite, and Postgres when
 * DATABASE_URL is set): notification/email through the real notification service (owners and
 * roles from recorded sightings, one notification per user even when the step is retried),
 * document.version through the real version service, database reads through the real writing
 * store and reports.
 */

const logger = createLogger({ level: 'silent' });

function memoryLiveDocuments(): LiveDocuments {
  const docs = new Map<string, Y.Doc>();
  const get = (ref: DocumentRef) => {
    const key = `${ref.projectId}/${ref.documentId}`;
    if (!docs.has(key)) docs.set(key, new Y.Doc());
    return docs.get(key)!;
  };
  return {
    async transact(ref, _actor, fn) {
      const doc = get(ref);
      doc.transact(() => fn(doc));
    },
    async snapshot(ref) {
      const copy = new Y.Doc();
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(get(ref)));
      return copy;
    },
    async read(ref, fn) {
      return fn(get(ref));
    },
  };
}

const ctx = (over: Partial<ActionContext> = {}): ActionContext => ({
  runId: 'run-7',
  workflowId: 'wf-7',
  projectId: 'proj',
  stepId: 'tell',
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

async function invoke(handler: ActionHandler, input: unknown, context = ctx()): Promise<Record<string, Json>> {
  const parsed = handler.spec.input.safeParse(input);
  if (!parsed.success) throw new Error(parsed.error.message);
  const output = await handler.run(parsed.data as Json, context);
  expect(handler.spec.output!.safeParse(output).success).toBe(true);
  return output as Record<string, Json>;
}

onEveryDatabase((_name, open) => {
  it('notification/email reach the project owners or the given members once, skipping strangers', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const now = systemClock.now();
      await db.notifications.recordSighting({ userId: 'owner-1', actor: 'a1a1a1a1a1a1a1a1', email: 'o@example.com', projects: { proj: 'owner' }, at: now });
      await db.notifications.recordSighting({ userId: 'writer-2', actor: 'b2b2b2b2b2b2b2b2', email: null, projects: { proj: 'editor' }, at: now });
      await db.notifications.recordSighting({ userId: 'stranger', actor: 'c3c3c3c3c3c3c3c3', email: null, projects: { other: 'owner' }, at: now });
      const service = createNotificationService({
        store: db.notifications,
        writers: { inFlow: async () => false, timeZone: async () => 'UTC' },
        channels: new Map(),
        actorOf: (id) => `${id}0000000000000000`.slice(0, 16).replace(/[^0-9a-f]/g, 'a'),
        clock: systemClock,
        logger,
      });
      const [notification, email] = createNotifyActions({ notify: { notify: service.notify, owners: (p) => db.notifications.owners(p), roleOf: (p, u) => db.notifications.roleOf(p, u) } });

      const first = await invoke(notification!, { role: 'owners', priority: 'high', category: 'publishing', title: 'Book uploaded', body: 'The EPUB is up.' });
      expect(first).toMatchObject({ notified: 1, skipped: [] });
      expect(first.notificationIds).toHaveLength(1);
      // The same step retried: nobody gets it twice.
      const retry = await invoke(notification!, { role: 'owners', priority: 'high', category: 'publishing', title: 'Book uploaded', body: 'The EPUB is up.' }, ctx({ attempt: 2 }));
      expect(retry.notificationIds).toEqual([]);
      const inbox = await db.notifications.list({ userId: 'owner-1', limit: 10 });
      expect(inbox.items.map((n) => [n.title, n.category, n.priority, n.projectId])).toEqual([['Book uploaded', 'publishing', 'high', 'proj']]);
      expect(inbox.items[0]!.data).toMatchObject({ workflowId: 'wf-7', runId: 'run-7' });

      const mixed = await invoke(email!, { userIds: ['writer-2', 'stranger'], title: 'Digest' }, ctx({ stepId: 'digest' }));
      expect(mixed).toMatchObject({ notified: 1, skipped: ['stranger'] });
      expect((await db.notifications.list({ userId: 'stranger', limit: 10 })).items).toEqual([]);

      const nobody = await invoke(notification!, { userIds: ['stranger'], title: 'x' }, ctx({ stepId: 'x' })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(nobody).toBeInstanceOf(ActionError);
      expect((nobody as ActionError).permanent).toBe(true);
      expect(notification!.spec.input.safeParse({ title: 'no audience' }).success).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('document.version stores a named or automatic version made by the workflow', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const live = memoryLiveDocuments();
      const json1 = await markdownToJSON('# One\n\nA hundred words, give or take.');
      await live.transact({ projectId: 'proj', documentId: 'ch-1' }, { userId: 'u', reason: 'test' }, (doc) => writeJSON(doc, json1));
      const versions = createVersionService({ store: db.versions, live, clock: systemClock, logger });
      const action = createDocumentVersionAction({ versions });
      const named = await invoke(action, { documentId: 'ch-1', name: 'Milestone 100' }, ctx({ stepId: 'save' }));
      expect(named).toMatchObject({ documentId: 'ch-1', name: 'Milestone 100', kind: 'named', words: 7 });
      const auto = await invoke(action, { documentId: 'ch-1' }, ctx({ stepId: 'backup' }));
      expect(auto).toMatchObject({ kind: 'auto', name: null });
      const listed = await versions.list({ projectId: 'proj', documentId: 'ch-1' }, { limit: 10 });
      expect(listed.versions.map((v) => [v.id, v.createdBy])).toEqual([
        [auto.versionId, 'workflow:wf-7'],
        [named.versionId, 'workflow:wf-7'],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('document.version stores one version per run and step: a retry or a crash re-run returns the stored one', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const live = memoryLiveDocuments();
      const ref = { projectId: 'proj', documentId: 'ch-retry' };
      const json2 = await markdownToJSON('# One\n\nFirst words.');
      await live.transact(ref, { userId: 'u', reason: 'test' }, (doc) => writeJSON(doc, json2));
      // Two services over one store: the re-run may happen on another instance after a crash.
      const action = createDocumentVersionAction({ versions: createVersionService({ store: db.versions, live, clock: systemClock, logger }) });
      const rerun = createDocumentVersionAction({ versions: createVersionService({ store: db.versions, live, clock: systemClock, logger }) });
      const first = await invoke(action, { documentId: 'ch-retry', name: 'Milestone' }, ctx({ stepId: 'save', attempt: 1 }));
      // The text moves on; the retried step (its checkpoint was lost) must not store a second version.
      const json3 = await markdownToJSON('# One\n\nFirst words and many more.');
      await live.transact(ref, { userId: 'u', reason: 'test' }, (doc) => writeJSON(doc, json3));
      const retried = await invoke(action, { documentId: 'ch-retry', name: 'Milestone' }, ctx({ stepId: 'save', attempt: 2 }));
      const crashed = await invoke(rerun, { documentId: 'ch-retry', name: 'Milestone' }, ctx({ stepId: 'save', attempt: 2 }));
      expect(retried).toEqual(first);
      expect(crashed).toEqual(first);
      expect(first.versionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // Another run, or another step of this run (a loop's iterations included), is a new version.
      const otherRun = await invoke(action, { documentId: 'ch-retry', name: 'Milestone' }, ctx({ runId: 'run-8', stepId: 'save' }));
      const iteration = await invoke(action, { documentId: 'ch-retry', name: 'Milestone' }, ctx({ stepId: 'save[0]' }));
      expect(new Set([first.versionId, otherRun.versionId, iteration.versionId]).size).toBe(3);
      const listed = await db.versions.list(ref, { limit: 10 });
      expect(listed.map((v) => v.id).sort()).toEqual([first.versionId, otherRun.versionId, iteration.versionId].sort());
      expect(listed.find((v) => v.id === first.versionId)!.words).toBe(first.words);
    } finally {
      await cleanup();
    }
  });

  it('database reads goals and goal progress of the run project from the writing store', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      await db.writing.setGoal({ userId: 'w1', projectId: 'proj', dailyWords: 500, timeZone: 'Europe/Berlin' });
      await db.writing.setGoal({ userId: 'w1', projectId: 'elsewhere', dailyWords: 900, timeZone: 'UTC' });
      const reports = createWritingReports({ store: db.writing, clock: systemClock });
      const action = createDatabaseAction({
        writing: {
          projectWriting: (q) => db.writing.projectWriting(q),
          wordsBetween: (u, p, f, t) => db.writing.wordsBetween(u, p, f, t),
          listGoals: (p) => db.writing.listGoals(p),
          goalProgress: (u, p) => reports.goalProgress(u, p),
        },
        manuscripts: createLiveManuscripts({ live: memoryLiveDocuments(), documentIds: async () => [] }),
      });
      const goals = await invoke(action, { operation: 'writing.goals', params: {} });
      expect((goals.result as { goals: { dailyWords: number }[] }).goals.map((g) => g.dailyWords)).toEqual([500]);
      const progress = await invoke(action, { operation: 'writing.goal_progress', params: { userId: 'w1' } });
      expect(progress.result).toMatchObject({ timeZone: 'Europe/Berlin', today: { words: 0, met: false } });
      const words = await invoke(action, { operation: 'writing.words', params: { userId: 'w1', from: '2026-01-01T00:00:00Z', to: Date.now() } });
      expect(words.result).toEqual({ words: 0 });
      const report = await invoke(action, { operation: 'writing.report', params: { from: '2026-01-01', to: '2026-01-07' } });
      expect(report.result).toMatchObject({ projectId: 'proj', from: '2026-01-01', to: '2026-01-07', timeZone: 'UTC' });
    } finally {
      await cleanup();
    }
  });
});
