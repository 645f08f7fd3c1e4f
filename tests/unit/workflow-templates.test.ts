import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/schema.js';
import { systemClock } from '../../src/lib/clock.js';
import { createWorkflowActions } from '../../src/services/workflows/actions/index.js';
import { createActionCatalog } from '../../src/workflows/actions.js';
import { buildFromTemplate, findTemplate, WORKFLOW_TEMPLATES } from '../../src/workflows/templates.js';
import { validateDefinition } from '../../src/workflows/validate.js';

/**
 * Every template's definition passes registration against the real action catalog (the specs of
 * createWorkflowActions; its ports are never called here, only the specs are read), and bad
 * parameters come back as problems with their paths.
 */

function inert(): never {
  throw new Error('not called: only the action specs are read');
}
const catalog = createActionCatalog(
  createWorkflowActions({
    dataDir: '/nonexistent',
    clock: systemClock,
    httpAllow: undefined,
    uploadUrl: undefined,
    ai: { baseUrl: undefined, apiKey: undefined, model: undefined },
    publish: inert,
    versions: { create: inert },
    publishing: { exportDocument: inert, exportBook: inert },
    manuscripts: { documentIds: inert, read: inert },
    writing: { projectWriting: inert, wordsBetween: inert, listGoals: inert, goalProgress: inert },
    notify: { notify: inert, owners: inert, roleOf: inert, usersByActor: inert },
  }).map((h) => h.spec),
);

const minimal: Record<string, Record<string, unknown>> = {
  'auto-save': {},
  'publication-pipeline': { title: 'Persuasion', author: 'Jane Austen' },
  'daily-goal-reminder': { userId: 'olive', timeZone: 'Europe/Berlin' },
  'sales-spike': {},
  'conflict-alert': {},
  'weekly-digest': { timeZone: 'America/New_York' },
};

describe('workflow templates', () => {
  it('are the six of issue 16, each with parameters', () => {
    expect(WORKFLOW_TEMPLATES.map((t) => t.id)).toEqual(['auto-save', 'publication-pipeline', 'daily-goal-reminder', 'sales-spike', 'conflict-alert', 'weekly-digest']);
  });

  for (const template of WORKFLOW_TEMPLATES) {
    it(`${template.id}: the built definition passes registration`, () => {
      const built = buildFromTemplate(template, minimal[template.id], 'novel');
      if (!built.ok) throw new Error(JSON.stringify(built.problems));
      const result = validateDefinition(built.definition, catalog, { eventTypes: EVENT_TYPES });
      expect(result.ok ? [] : result.problems).toEqual([]);
      expect(built.definition.projectId).toBe('novel');
      for (const event of template.events) expect(EVENT_TYPES).toContain(event);
    });
  }

  it('auto-save filters on one document when asked', () => {
    const built = buildFromTemplate(findTemplate('auto-save')!, { documentId: 'ch-1' }, 'novel');
    expect(built.ok && JSON.stringify(built.definition.trigger)).toContain('"ch-1"');
  });

  it('cron templates fire at the given time in the writer zone', () => {
    const daily = buildFromTemplate(findTemplate('daily-goal-reminder')!, { userId: 'olive', timeZone: 'Asia/Tokyo' }, 'novel');
    expect(daily.ok && daily.definition.trigger).toEqual({ type: 'cron', cron: '0 20 * * *', timeZone: 'Asia/Tokyo' });
    const weekly = buildFromTemplate(findTemplate('weekly-digest')!, { timeZone: 'Europe/Paris', hour: 8, minute: 30 }, 'novel');
    expect(weekly.ok && weekly.definition.trigger).toEqual({ type: 'cron', cron: '30 8 * * 1', timeZone: 'Europe/Paris' });
  });

  it('weekly digest to one writer reads and mails only that writer', () => {
    const built = buildFromTemplate(findTemplate('weekly-digest')!, { timeZone: 'UTC', userId: 'olive' }, 'novel');
    const steps = built.ok ? (built.definition.steps as { id: string; input: Record<string, unknown> }[]) : [];
    expect(steps.find((s) => s.id === 'email')?.input.userIds).toEqual(['olive']);
  });

  it('bad parameters are problems with their paths', () => {
    const bad = buildFromTemplate(findTemplate('daily-goal-reminder')!, { userId: 'no spaces', timeZone: 'Mars/Olympus', hour: 25, extra: 1 }, 'novel');
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['params.userId', 'params.timeZone', 'params.hour', 'params']));
    const pub = buildFromTemplate(findTemplate('publication-pipeline')!, { title: '', minWords: -1 }, 'novel');
    expect(pub.ok ? [] : pub.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['params.title', 'params.author', 'params.minWords']));
    const spike = buildFromTemplate(findTemplate('sales-spike')!, { factor: 0.5 }, 'novel');
    expect(spike.ok ? [] : spike.problems.map((p) => p.path)).toEqual(['params.factor']);
  });
});
