/**
 * The payload of every event type (27, fixed names). Each payload names its required core fields
 * and lists the optional ones explicitly: producers added by later issues (writing sessions,
 * presence, workflows) fill in the optional fields, and readers never get a field the schema does
 * not describe. Unknown keys are dropped on parse (zod's default), so an older reader keeps working
 * when a newer producer adds an optional field during a rolling deploy; a breaking change bumps
 * the event's `v` instead.
 *
 * Imports only zod: src/events/schema.ts and this folder are leaves (src/lib at most).
 */
import { z } from 'zod';

/** Identifier of a domain object (session, run, export, ...): UUIDs, ULIDs, slugs. */
const ref = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1-128 characters of A-Z a-z 0-9 _ . : -');
/** A lower-case machine word (`idle_timeout`, `daily_words`): open sets that later issues extend. */
const slug = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'expected a lower-case identifier (a-z, 0-9, _), at most 48 characters');
const count = z.number().int().min(0);
const durationMs = z.number().int().min(0);
const isoTime = z.iso.datetime({ offset: true });
/** Free text meant for people (error messages, titles); bounded so payloads stay small. */
const text = (max: number) => z.string().min(1).max(max);
/** The same pseudonymous form as the envelope's actor (see actor.ts). */
export const actorHash = z.string().regex(/^[0-9a-f]{16,64}$/, 'expected a pseudonymous actor hash (16-64 lower-case hex characters)');
/** Mirrors src/lib/identity.ts ROLES (kept literal: the event schema is a leaf). */
const role = z.enum(['owner', 'editor', 'reviewer', 'reader']);
const currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as EUR');
const exportFormat = z.enum(['epub', 'pdf', 'docx', 'markdown', 'html', 'txt']);
const blockIndex = z.number().int().min(0);
const scalar = z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]);

const sessionRef = { sessionId: ref };
const runRef = { runId: ref, workflowId: ref };

export const PAYLOAD_SCHEMAS = {
  'writing.session_started': z.object({
    ...sessionRef,
    /** Words in the document when the session began. */
    wordCount: count.optional(),
    goalWords: count.optional(),
    client: text(64).optional(),
  }),
  'writing.session_state_changed': z.object({
    ...sessionRef,
    from: slug,
    to: slug,
    reason: slug.optional(),
  }),
  'writing.session_ended': z.object({
    ...sessionRef,
    durationMs,
    activeMs: durationMs.optional(),
    wordsAdded: count,
    wordsRemoved: count,
    netWords: z.number().int(),
    averageWpm: z.number().min(0).optional(),
    reason: slug.optional(),
  }),
  'writing.words_written': z.object({
    ...sessionRef,
    added: count,
    removed: count,
    net: z.number().int(),
    wpm: z.number().min(0).optional(),
    /** True when the words arrived in one large insert (paste), which goals may discount. */
    paste: z.boolean().optional(),
    windowMs: durationMs.optional(),
  }),
  'writing.flow_entered': z.object({
    ...sessionRef,
    wpm: z.number().min(0).optional(),
    sustainedMs: durationMs.optional(),
  }),
  'writing.flow_exited': z.object({
    ...sessionRef,
    durationMs,
    words: z.number().int().optional(),
    reason: slug.optional(),
  }),
  'writing.milestone_reached': z.object({
    kind: slug,
    threshold: z.number().min(0),
    value: z.number().min(0).optional(),
    sessionId: ref.optional(),
  }),
  'collaboration.user_joined': z.object({
    connectionId: ref.optional(),
    role: role.optional(),
    client: text(64).optional(),
  }),
  'collaboration.user_left': z.object({
    connectionId: ref.optional(),
    durationMs: durationMs.optional(),
    reason: slug.optional(),
  }),
  'collaboration.cursor_moved': z.object({
    /** Top-level block the caret is in; cursor events are sampled, never one per keystroke. */
    block: blockIndex,
    anchor: z.number().int().min(0).optional(),
    head: z.number().int().min(0).optional(),
    /** Fraction of moves this sample stands for (0 < r <= 1). */
    sampleRate: z.number().gt(0).max(1).optional(),
  }),
  'collaboration.conflict_predicted': z.object({
    severity: z.enum(['high', 'medium']),
    blocks: z.array(blockIndex).min(1).max(64),
    users: z.array(actorHash).min(2).max(64),
  }),
  'collaboration.conflict_cleared': z.object({
    blocks: z.array(blockIndex).max(64).optional(),
    users: z.array(actorHash).max(64),
    durationMs: durationMs.optional(),
  }),
  'collaboration.document_edited': z.object({
    updates: z.number().int().min(1),
    bytes: count,
    netWords: z.number().int().optional(),
    origin: z.enum(['connection', 'local']).optional(),
  }),
  'publishing.status_changed': z.object({
    from: slug,
    to: slug,
    manuscriptId: ref.optional(),
    note: text(500).optional(),
  }),
  'publishing.export_completed': z.object({
    exportId: ref,
    format: exportFormat,
    bytes: count,
    durationMs: durationMs.optional(),
    url: z.url().max(2048).optional(),
  }),
  'publishing.upload_completed': z.object({
    uploadId: ref,
    platform: slug,
    format: exportFormat.optional(),
    externalId: text(256).optional(),
    url: z.url().max(2048).optional(),
  }),
  'publishing.upload_failed': z.object({
    uploadId: ref,
    platform: slug,
    error: text(2000),
    retryable: z.boolean().optional(),
    attempt: z.number().int().min(1).optional(),
  }),
  'publishing.sales_recorded': z.object({
    platform: slug,
    units: z.number().int(),
    revenueCents: z.number().int(),
    currency,
    sku: text(128).optional(),
    periodStart: isoTime.optional(),
    periodEnd: isoTime.optional(),
  }),
  'analytics.sales_spike_detected': z.object({
    platform: slug.optional(),
    units: count,
    baselineUnits: z.number().min(0),
    ratio: z.number().min(0),
    windowMs: durationMs,
    revenueCents: z.number().int().optional(),
    currency: currency.optional(),
  }),
  'analytics.goal_met': z.object({
    goalId: ref,
    kind: slug,
    target: z.number().min(0),
    actual: z.number(),
    periodStart: isoTime.optional(),
    periodEnd: isoTime.optional(),
  }),
  'analytics.goal_missed': z.object({
    goalId: ref,
    kind: slug,
    target: z.number().min(0),
    actual: z.number(),
    periodStart: isoTime.optional(),
    periodEnd: isoTime.optional(),
  }),
  'analytics.digest_generated': z.object({
    digestId: ref,
    period: z.enum(['daily', 'weekly', 'monthly']),
    periodStart: isoTime,
    periodEnd: isoTime,
    items: count.optional(),
    recipients: count.optional(),
  }),
  'automation.workflow_triggered': z.object({
    ...runRef,
    trigger: z.enum(['event', 'schedule', 'manual', 'webhook']),
    /** The event that triggered the run, when `trigger` is `event`. */
    triggerEventId: ref.optional(),
  }),
  'automation.step_completed': z.object({
    ...runRef,
    step: ref,
    durationMs: durationMs.optional(),
    attempt: z.number().int().min(1).optional(),
    /** Small scalar results later steps may read; large outputs belong in the run's storage. */
    output: z.record(z.string().max(64), scalar).optional(),
  }),
  'automation.step_failed': z.object({
    ...runRef,
    step: ref,
    error: text(2000),
    attempt: z.number().int().min(1).optional(),
    willRetry: z.boolean().optional(),
  }),
  'automation.workflow_completed': z.object({
    ...runRef,
    durationMs: durationMs.optional(),
    steps: count.optional(),
  }),
  'automation.workflow_failed': z.object({
    ...runRef,
    error: text(2000),
    step: ref.optional(),
    durationMs: durationMs.optional(),
  }),
} as const;

/** One line per type for the JSON Schema (`GET /api/realtime/events/schema`). */
export const EVENT_DESCRIPTIONS = {
  'writing.session_started': 'A writer started a writing session on a document.',
  'writing.session_state_changed': 'A writing session moved between states (for example active -> idle).',
  'writing.session_ended': 'A writing session ended; totals for the whole session.',
  'writing.words_written': 'Net words a writer added in a short window, counted from the document.',
  'writing.flow_entered': 'A writer sustained a high writing rate long enough to count as flow.',
  'writing.flow_exited': 'A writer left flow.',
  'writing.milestone_reached': 'A word count, streak or similar milestone was reached.',
  'collaboration.user_joined': 'A user opened a document.',
  'collaboration.user_left': 'A user closed a document.',
  'collaboration.cursor_moved': 'A sampled caret position (top-level block), never one per keystroke.',
  'collaboration.conflict_predicted': 'Two or more users are editing the same or adjacent blocks.',
  'collaboration.conflict_cleared': 'A predicted conflict no longer holds.',
  'collaboration.document_edited': 'A document changed (a batch of updates).',
  'publishing.status_changed': 'A manuscript moved between publishing states.',
  'publishing.export_completed': 'An export (EPUB, PDF, ...) finished.',
  'publishing.upload_completed': 'A file reached a publishing platform.',
  'publishing.upload_failed': 'An upload to a publishing platform failed.',
  'publishing.sales_recorded': 'Sales for a period were imported from a platform.',
  'analytics.sales_spike_detected': 'Sales in a window rose well above their baseline.',
  'analytics.goal_met': 'A writing or sales goal was met for its period.',
  'analytics.goal_missed': 'A writing or sales goal was missed for its period.',
  'analytics.digest_generated': 'A periodic digest was produced.',
  'automation.workflow_triggered': 'A workflow run started.',
  'automation.step_completed': 'A step of a workflow run succeeded.',
  'automation.step_failed': 'A step of a workflow run failed (it may be retried).',
  'automation.workflow_completed': 'A workflow run finished successfully.',
  'automation.workflow_failed': 'A workflow run failed.',
} as const satisfies Record<keyof typeof PAYLOAD_SCHEMAS, string>;
