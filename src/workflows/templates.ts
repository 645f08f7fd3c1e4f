import { z } from 'zod';
import { RESOURCE_ID_MESSAGE, RESOURCE_ID_PATTERN } from '../lib/ids.js';
import { canonicalTimeZone } from '../lib/time-zones.js';
import type { definitionSchema, Json } from './definition.js';

/** What a template builds: a definition as a client would send it (registration validates it). */
export type DefinitionInput = z.input<typeof definitionSchema>;

/**
 * The six workflow templates (issue 16, docs/workflows.md "Templates"): data, not code. Each is
 * a parameter schema and a `build` that turns checked parameters into an ordinary definition,
 * which registration then validates like any other (so a template can never register what a
 * person could not). Listed by `GET /api/workflows/templates`, instantiated per project by
 * `POST /api/workflows/templates/{templateId}/instantiate`.
 */

export interface WorkflowTemplate {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Event types that start it (empty for cron templates). */
  readonly events: readonly string[];
  readonly params: z.ZodType<Record<string, unknown>>;
  build(params: Record<string, unknown>, projectId: string): DefinitionInput;
}

const id = z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE);
const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => canonicalTimeZone(zone) !== null, { message: 'unknown time zone (an IANA name such as Europe/Berlin)' })
  .describe("The writer's IANA time zone");
const hour = z.number().int().min(0).max(23);
const minute = z.number().int().min(0).max(59).default(0);

/** A template's own schema with typed `build`, stored behind the untyped interface. */
function template<S extends z.ZodType<Record<string, unknown>>>(t: {
  id: string;
  name: string;
  description: string;
  events: readonly string[];
  params: S;
  build(params: z.output<S>, projectId: string): DefinitionInput;
}): WorkflowTemplate {
  return t as unknown as WorkflowTemplate;
}

const autoSave = template({
  id: 'auto-save',
  name: 'Auto-save and backup',
  description: 'Stores a named version of a document each time the tracker reports another 100 words in it (writing.milestone_reached, kind document_words).',
  events: ['writing.milestone_reached'],
  params: z.strictObject({ documentId: id.optional().describe('Only this document (default: every document of the project)') }),
  build: (p, projectId) => {
    const rules: Json[] = [{ '==': [{ var: 'event.payload.kind' }, 'document_words'] }, { '!!': [{ var: 'event.documentId' }] }];
    if (p.documentId) rules.push({ '==': [{ var: 'event.documentId' }, p.documentId] });
    return {
    name: p.documentId ? `Auto-save ${p.documentId}` : 'Auto-save',
    projectId,
    description: 'A named version at every 100 words (template auto-save).',
    trigger: {
      type: 'event',
      event: 'writing.milestone_reached',
      condition: { and: rules },
    },
    steps: [
      {
        id: 'version',
        action: 'document.version',
        input: { documentId: '{{trigger.event.documentId}}', name: 'Auto-save at {{trigger.event.payload.threshold}} words' },
        retry: { max: 3, base: 1000, factor: 2, maxDelay: 30_000, jitter: 'full' },
      },
    ],
  };
  },
});

const publication = template({
  id: 'publication-pipeline',
  name: 'Publication pipeline',
  description:
    'When the manuscript moves to ready_for_review: validates it (chapters, empty chapters, minimum words), asks the AI for SEO metadata, exports the project as an EPUB book, checks it with epubcheck, uploads it (WORKFLOW_UPLOAD_URL or the uploads directory; removed again if a later step fails), announces publishing.upload_completed and notifies the owners.',
  events: ['publishing.status_changed'],
  params: z.strictObject({
    title: z.string().trim().min(1).max(300).describe('Book title'),
    author: z.string().trim().min(1).max(300).describe('Author name'),
    language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'expected a BCP 47 language tag').default('en'),
    documents: z.array(id).min(1).max(1000).optional().describe('Document ids in reading order (default: every document of the project)'),
    minWords: z.number().int().min(0).max(10_000_000).default(1000),
    minChapters: z.number().int().min(0).max(10_000).default(1),
    minChapterWords: z.number().int().min(0).max(1_000_000).default(1),
    platform: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'expected a lower-case identifier').default('http').describe('Platform name in publishing.upload_completed'),
  }),
  build: (p, projectId) => {
    const docs = p.documents ? { documents: p.documents } : {};
    const file = { path: '{{steps.export.output.path}}' };
    return {
      name: 'Publication pipeline',
      projectId,
      description: 'Validate → SEO metadata → EPUB → epubcheck → upload → announce (template publication-pipeline).',
      trigger: { type: 'event', event: 'publishing.status_changed', condition: { '==': [{ var: 'event.payload.to' }, 'ready_for_review'] } },
      steps: [
        { id: 'validate', action: 'document.validate', input: { ...docs, minWords: p.minWords, minChapters: p.minChapters, minChapterWords: p.minChapterWords } },
        {
          id: 'seo',
          action: 'ai',
          dependsOn: ['validate'],
          input: { task: 'seo', text: '{{steps.validate.output.excerpt}}', title: p.title, language: p.language },
          retry: { max: 2, base: 2000, factor: 2, maxDelay: 30_000, jitter: 'full' },
          timeout: 120_000,
        },
        { id: 'export', action: 'document.export', dependsOn: ['seo'], input: { format: 'epub', ...docs, title: p.title, author: p.author, language: p.language } },
        { id: 'check', action: 'epub.check', dependsOn: ['export'], input: file, timeout: 300_000 },
        {
          id: 'upload',
          action: 'upload',
          dependsOn: ['check'],
          input: { ...file, contentType: 'application/epub+zip' },
          retry: { max: 3, base: 2000, factor: 2, maxDelay: 60_000, jitter: 'full' },
          onError: 'rollback',
          compensate: { action: 'upload.delete', input: { ...file } },
        },
        {
          id: 'announce',
          action: 'event.emit',
          dependsOn: ['upload'],
          input: { type: 'publishing.upload_completed', payload: { uploadId: '{{steps.upload.output.uploadId}}', platform: p.platform, format: 'epub' } },
          onError: 'rollback',
        },
        {
          id: 'notify',
          action: 'notification',
          dependsOn: ['announce', 'seo'],
          input: {
            role: 'owners',
            category: 'publishing',
            priority: 'medium',
            title: `"${p.title}" was uploaded`,
            body: 'The EPUB ({{steps.export.output.chapters}} chapters, {{steps.export.output.bytes}} bytes) passed epubcheck and was uploaded to {{steps.upload.output.location}}. Suggested description: {{steps.seo.output.description}}',
            data: { uploadId: '{{steps.upload.output.uploadId}}', keywords: '{{steps.seo.output.keywords}}' },
          },
        },
      ],
    };
  },
});

const dailyGoal = template({
  id: 'daily-goal-reminder',
  name: 'Daily writing goal reminder',
  description: "At 20:00 (or the given time) in the writer's time zone, reminds the writer when today's goal is not met yet.",
  events: [],
  params: z.strictObject({ userId: id.describe('The writer to remind'), timeZone, hour: hour.default(20), minute }),
  build: (p, projectId) => ({
    name: `Daily goal reminder ${p.userId}`,
    projectId,
    description: "Reminds the writer when today's goal is not met (template daily-goal-reminder).",
    trigger: { type: 'cron', cron: `${p.minute} ${p.hour} * * *`, timeZone: p.timeZone },
    steps: [
      { id: 'progress', action: 'database', input: { operation: 'writing.goal_progress', params: { userId: p.userId } } },
      { id: 'not-met', action: 'condition', dependsOn: ['progress'], input: { rule: { '!': [{ var: 'steps.progress.output.result.today.met' }] } } },
      {
        id: 'remind',
        action: 'notification',
        dependsOn: ['not-met'],
        input: {
          userIds: [p.userId],
          category: 'writing',
          priority: 'medium',
          title: "Today's writing goal is not met yet",
          body: 'You have written {{steps.progress.output.result.today.words}} words today ({{steps.progress.output.result.today.day}}). There is still time for a few more.',
        },
      },
    ],
  }),
});

const salesSpike = template({
  id: 'sales-spike',
  name: 'Sales spike alert',
  description: "When sales are recorded: if today's units exceed factor × the median of the 7 days before (and at least minimumUnits), announces analytics.sales_spike_detected and tells the owners (high priority).",
  events: ['publishing.sales_recorded'],
  params: z.strictObject({
    factor: z.number().min(1).max(100).default(2),
    minimumUnits: z.number().int().min(1).max(1_000_000).default(10),
    timeZone: timeZone.default('UTC').describe('Where a sales day starts and ends'),
  }),
  build: (p, projectId) => {
    const r = 'steps.sales.output.result';
    return {
      name: 'Sales spike alert',
      projectId,
      description: `Today's units > ${p.factor} × the 7-day median and ≥ ${p.minimumUnits} (template sales-spike).`,
      trigger: { type: 'event', event: 'publishing.sales_recorded' },
      steps: [
        {
          id: 'sales',
          action: 'database',
          // The trigger's own sale counts even if the audit archive has not stored it yet.
          input: { operation: 'sales.daily', params: { days: 7, timeZone: p.timeZone, include: { eventId: '{{trigger.event.id}}', occurredAt: '{{trigger.event.occurredAt}}', units: '{{trigger.event.payload.units}}' } } },
        },
        {
          id: 'spike',
          action: 'condition',
          dependsOn: ['sales'],
          input: {
            rule: {
              and: [{ '>': [{ var: `${r}.today.units` }, { '*': [p.factor, { var: `${r}.median` }] }] }, { '>=': [{ var: `${r}.today.units` }, p.minimumUnits] }],
            },
          },
        },
        {
          id: 'announce',
          action: 'event.emit',
          dependsOn: ['spike', 'sales'],
          input: {
            type: 'analytics.sales_spike_detected',
            payload: { units: `{{${r}.today.units}}`, baselineUnits: `{{${r}.median}}`, ratio: `{{${r}.ratio}}`, windowMs: 86_400_000 },
          },
        },
        {
          id: 'notify',
          action: 'notification',
          dependsOn: ['announce', 'sales'],
          input: {
            role: 'owners',
            category: 'analytics',
            priority: 'high',
            title: 'Sales spike: {{steps.sales.output.result.today.units}} units today',
            body: `Today ({{${r}.today.day}}) {{${r}.today.units}} units sold, {{${r}.ratio}}× the median of the 7 days before ({{${r}.median}} a day).`,
          },
        },
      ],
    };
  },
});

const conflictAlert = template({
  id: 'conflict-alert',
  name: 'Conflict alert',
  description: 'When the conflict predictor reports a high-severity conflict (two writers in the same or adjacent blocks), notifies both writers with a suggestion.',
  events: ['collaboration.conflict_predicted'],
  params: z.strictObject({
    suggestion: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .default('Agree in a comment who continues this passage, or move one of you to another section until the other is done.'),
  }),
  build: (p, projectId) => ({
    name: 'Conflict alert',
    projectId,
    description: 'Notifies both writers of a high-severity predicted conflict (template conflict-alert).',
    trigger: { type: 'event', event: 'collaboration.conflict_predicted', condition: { '==': [{ var: 'event.payload.severity' }, 'high'] } },
    steps: [
      {
        id: 'notify',
        action: 'notification',
        input: {
          actors: '{{trigger.event.payload.users}}',
          category: 'collaboration',
          priority: 'high',
          title: 'You and another writer are editing the same passage',
          body: `Blocks {{trigger.event.payload.blocks}} of the document are being edited by more than one writer. ${p.suggestion}`,
          data: { blocks: '{{trigger.event.payload.blocks}}', eventId: '{{trigger.event.id}}' },
        },
      },
    ],
  }),
});

const weeklyDigest = template({
  id: 'weekly-digest',
  name: 'Weekly digest',
  description: "Mondays at 09:00 in the writer's time zone: summarises the last 7 days of writing in the project, announces analytics.digest_generated and emails the summary to the owners (or to one writer).",
  events: [],
  params: z.strictObject({ timeZone, userId: id.optional().describe('Email this writer instead of the owners'), hour: hour.default(9), minute }),
  build: (p, projectId) => {
    const r = 'steps.digest.output.result';
    return {
      name: p.userId ? `Weekly digest ${p.userId}` : 'Weekly digest',
      projectId,
      description: 'The last 7 days of writing, every Monday (template weekly-digest).',
      trigger: { type: 'cron', cron: `${p.minute} ${p.hour} * * 1`, timeZone: p.timeZone },
      steps: [
        { id: 'digest', action: 'database', input: { operation: 'writing.digest', params: { days: 7, timeZone: p.timeZone } } },
        {
          id: 'announce',
          action: 'event.emit',
          dependsOn: ['digest'],
          input: {
            type: 'analytics.digest_generated',
            payload: { digestId: '{{run.id}}', period: 'weekly', periodStart: `{{${r}.periodStart}}`, periodEnd: `{{${r}.periodEnd}}`, items: `{{${r}.writers}}` },
          },
        },
        {
          id: 'email',
          action: 'email',
          dependsOn: ['announce', 'digest'],
          input: {
            ...(p.userId ? { userIds: [p.userId] } : { role: 'owners' }),
            category: 'analytics',
            priority: 'low',
            title: `Weekly digest: {{${r}.words}} words`,
            body: `{{${r}.summary}}`,
          },
        },
      ],
    };
  },
});

export const WORKFLOW_TEMPLATES: readonly WorkflowTemplate[] = [autoSave, publication, dailyGoal, salesSpike, conflictAlert, weeklyDigest];

export function findTemplate(templateId: string): WorkflowTemplate | undefined {
  return WORKFLOW_TEMPLATES.find((t) => t.id === templateId);
}

export type TemplateBuild = { ok: true; definition: DefinitionInput } | { ok: false; problems: { path: string; message: string }[] };

/** Checks the parameters against the template's schema and builds the definition (not yet validated). */
export function buildFromTemplate(template: WorkflowTemplate, params: unknown, projectId: string): TemplateBuild {
  const parsed = template.params.safeParse(params ?? {});
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => ({ path: ['params', ...i.path.map(String)].join('.'), message: i.message })) };
  }
  return { ok: true, definition: template.build(parsed.data, projectId) };
}
