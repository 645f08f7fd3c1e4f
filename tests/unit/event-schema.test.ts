import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActorHasher } from '../../src/events/actor.js';
import {
  EVENT_CATEGORIES,
  EVENT_TYPES,
  MAX_PAYLOAD_BYTES,
  categoryOf,
  createEvent,
  eventJsonSchemas,
  eventSchema,
  parseEvent,
  type EventPayloadInput,
  type EventType,
  type StoryloomEvent,
} from '../../src/events/schema.js';
import { AppError } from '../../src/lib/errors.js';

const ACTOR = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';

/** One valid payload per type: the table doubles as documentation of the required fields. */
const SAMPLES: { [T in EventType]: EventPayloadInput<T> } = {
  'writing.session_started': { sessionId: 's1', wordCount: 41_200, goalWords: 1_000 },
  'writing.session_state_changed': { sessionId: 's1', from: 'active', to: 'idle', reason: 'no_input' },
  'writing.session_ended': { sessionId: 's1', durationMs: 3_600_000, wordsAdded: 1_400, wordsRemoved: 220, netWords: 1_180, averageWpm: 23.5 },
  'writing.words_written': { sessionId: 's1', added: 42, removed: 3, net: 39, wpm: 31.2, paste: false },
  'writing.flow_entered': { sessionId: 's1', wpm: 38, sustainedMs: 300_000 },
  'writing.flow_exited': { sessionId: 's1', durationMs: 1_200_000, words: 720 },
  'writing.milestone_reached': { kind: 'word_count', threshold: 50_000, value: 50_012 },
  'collaboration.user_joined': { connectionId: 'c-9', role: 'editor' },
  'collaboration.user_left': { connectionId: 'c-9', durationMs: 60_000, reason: 'closed' },
  'collaboration.cursor_moved': { block: 12, anchor: 340, head: 352, sampleRate: 0.5 },
  'collaboration.conflict_predicted': { severity: 'high', blocks: [12], users: [ACTOR, OTHER] },
  'collaboration.conflict_cleared': { blocks: [12], users: [ACTOR, OTHER], durationMs: 8_000 },
  'collaboration.document_edited': { updates: 14, bytes: 2_048, netWords: 12, origin: 'connection' },
  'publishing.status_changed': { from: 'draft', to: 'editing', manuscriptId: 'm-1' },
  'publishing.export_completed': { exportId: 'x1', format: 'epub', bytes: 1_048_576, url: 'https://cdn.example.com/x1.epub' },
  'publishing.upload_completed': { uploadId: 'u1', platform: 'kdp', format: 'epub', externalId: 'B0XYZ' },
  'publishing.upload_failed': { uploadId: 'u1', platform: 'kdp', error: 'cover too small', retryable: false, attempt: 2 },
  'publishing.sales_recorded': { platform: 'kobo', units: 12, revenueCents: 3_588, currency: 'EUR', periodStart: '2026-11-01T00:00:00Z' },
  'analytics.sales_spike_detected': { platform: 'kobo', units: 140, baselineUnits: 12, ratio: 11.7, windowMs: 86_400_000 },
  'analytics.goal_met': { goalId: 'g1', kind: 'daily_words', target: 1_000, actual: 1_240 },
  'analytics.goal_missed': { goalId: 'g1', kind: 'daily_words', target: 1_000, actual: 310 },
  'analytics.digest_generated': { digestId: 'd1', period: 'weekly', periodStart: '2026-11-16T00:00:00Z', periodEnd: '2026-11-23T00:00:00Z', items: 7 },
  'automation.workflow_triggered': { runId: 'r1', workflowId: 'w1', trigger: 'event', triggerEventId: 'e1' },
  'automation.step_completed': { runId: 'r1', workflowId: 'w1', step: 'export', durationMs: 5_000, output: { url: 'https://x', pages: 312 } },
  'automation.step_failed': { runId: 'r1', workflowId: 'w1', step: 'upload', error: 'timeout', attempt: 1, willRetry: true },
  'automation.workflow_completed': { runId: 'r1', workflowId: 'w1', durationMs: 60_000, steps: 4 },
  'automation.workflow_failed': { runId: 'r1', workflowId: 'w1', error: 'upload failed 3 times', step: 'upload' },
};

const sample = <T extends EventType>(type: T): StoryloomEvent<T> =>
  createEvent(type, { actor: ACTOR, projectId: 'proj_1', documentId: 'chapter-3', payload: SAMPLES[type] });

function rejection(input: unknown): AppError {
  try {
    parseEvent(input);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected parseEvent to throw');
}

describe('event schema', () => {
  it('has exactly the 27 fixed types in 5 categories', () => {
    expect(EVENT_CATEGORIES).toEqual(['writing', 'collaboration', 'publishing', 'analytics', 'automation']);
    expect(EVENT_TYPES).toHaveLength(27);
    expect(new Set(EVENT_TYPES).size).toBe(27);
    const byCategory = Object.fromEntries(EVENT_CATEGORIES.map((c) => [c, EVENT_TYPES.filter((t) => categoryOf(t) === c).map((t) => t.split('.')[1])]));
    expect(byCategory).toEqual({
      writing: ['session_started', 'session_state_changed', 'session_ended', 'words_written', 'flow_entered', 'flow_exited', 'milestone_reached'],
      collaboration: ['user_joined', 'user_left', 'cursor_moved', 'conflict_predicted', 'conflict_cleared', 'document_edited'],
      publishing: ['status_changed', 'export_completed', 'upload_completed', 'upload_failed', 'sales_recorded'],
      analytics: ['sales_spike_detected', 'goal_met', 'goal_missed', 'digest_generated'],
      automation: ['workflow_triggered', 'step_completed', 'step_failed', 'workflow_completed', 'workflow_failed'],
    });
    expect(eventSchema.options).toHaveLength(27);
  });

  it('publishes a JSON Schema for every type', () => {
    const schemas = eventJsonSchemas();
    expect(Object.keys(schemas).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const schema = schemas[type] as { type: string; title: string; required: string[]; properties: Record<string, { const?: string }> };
      expect(schema).toMatchObject({ type: 'object', title: type });
      expect(schema.properties.type!.const).toBe(type);
      expect(schema.properties.category!.const).toBe(categoryOf(type));
      expect(schema.required).toEqual(expect.arrayContaining(['id', 'type', 'category', 'v', 'occurredAt', 'actor', 'payload']));
    }
  });

  it.each(EVENT_TYPES)('builds and parses a %s event', (type) => {
    const event = sample(type);
    expect(event).toMatchObject({ type, category: categoryOf(type), v: 1, actor: ACTOR, projectId: 'proj_1', documentId: 'chapter-3' });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('rejects an unknown type or category, and a category that is not the type prefix', () => {
    const event = sample('writing.words_written');
    for (const [input, path, text] of [
      [{ ...event, type: 'writing.words_typed' }, 'type', /unknown event type "writing.words_typed"/],
      [{ ...event, type: 42 }, 'type', /unknown event type 42/],
      [{ ...event, category: 'marketing' }, 'category', /unknown event category "marketing"/],
      [{ ...event, category: 'analytics' }, 'category', /does not match type "writing.words_written" \(expected "writing"\)/],
    ] as const) {
      const error = rejection(input);
      expect(error.code).toBe('validation-failed');
      expect(error.details).toEqual({ issues: [{ path, message: expect.stringMatching(text) }] });
    }
    expect(rejection(null).code).toBe('validation-failed');
    expect(rejection([event]).code).toBe('validation-failed');
  });

  it('rejects a bad envelope or payload with the path of each problem', () => {
    const event = sample('collaboration.conflict_predicted');
    const cases: [unknown, string][] = [
      [{ ...event, id: 'not-an-id' }, 'id'],
      [{ ...event, v: 2 }, 'v'],
      [{ ...event, v: 0 }, 'v'],
      [{ ...event, occurredAt: 'yesterday' }, 'occurredAt'],
      [{ ...event, projectId: 'has/slash' }, 'projectId'],
      [{ ...event, actor: 'alice@example.com' }, 'actor'],
      [{ ...event, actor: 'Alice Smith' }, 'actor'],
      [{ ...event, payload: { ...event.payload, severity: 'low' } }, 'payload.severity'],
      [{ ...event, payload: { ...event.payload, users: [ACTOR, 'bob'] } }, 'payload.users.1'],
      [{ ...event, payload: { ...event.payload, blocks: [] } }, 'payload.blocks'],
      [{ ...event, payload: undefined }, 'payload'],
    ];
    for (const [input, path] of cases) {
      const error = rejection(input);
      expect(error.code, path).toBe('validation-failed');
      expect((error.details as { issues: { path: string }[] }).issues.map((i) => i.path), path).toContain(path);
    }
    const missing = rejection({ ...sample('writing.words_written'), payload: { sessionId: 's1' } });
    expect(missing.message).toMatch(/^Invalid event: payload\.added: /);
  });

  it('rejects a payload over 64 KiB with message-too-large, and accepts one at the limit', () => {
    const base = sample('publishing.upload_failed');
    const sized = (bytes: number) => {
      const payload = { ...base.payload, error: 'x', pad: '' };
      payload.pad = 'é'.repeat(Math.floor((bytes - JSON.stringify(payload).length) / 2)); // 2 bytes each in UTF-8
      return { ...base, payload };
    };
    const over = rejection(sized(MAX_PAYLOAD_BYTES + 2));
    expect(over.code).toBe('message-too-large');
    expect(over.details).toMatchObject({ limit: 65_536 });
    expect(() => parseEvent(sized(MAX_PAYLOAD_BYTES))).not.toThrow();
    const wide = sample('automation.step_completed');
    const output = Object.fromEntries(Array.from({ length: 8_000 }, (_, i) => [`k${i}`, 1234567]));
    expect(rejection({ ...wide, payload: { ...wide.payload, output } }).code).toBe('message-too-large');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rejection({ ...base, payload: cyclic }).code).toBe('validation-failed');
  });

  it('drops unknown keys instead of carrying them through', () => {
    const event = sample('writing.flow_entered');
    const parsed = parseEvent({ ...event, extra: 1, payload: { ...event.payload, newerField: true } });
    expect(parsed).toEqual(event);
  });

  it('createEvent fills the envelope and rejects what parseEvent rejects', () => {
    const at = Date.UTC(2026, 10, 27, 9, 30);
    const event = createEvent('analytics.goal_met', { actor: 'system', occurredAt: new Date(at), payload: SAMPLES['analytics.goal_met'] });
    expect(event.occurredAt).toBe('2026-11-27T09:30:00.000Z');
    expect(parseInt(event.id.replace(/-/g, '').slice(0, 12), 16)).toBe(at); // UUIDv7 of occurredAt
    expect(createEvent('analytics.goal_met', { actor: 'system', id: event.id, occurredAt: at, payload: SAMPLES['analytics.goal_met'] }).id).toBe(event.id);
    expect(() => createEvent('analytics.goal_met', { actor: 'system', occurredAt: NaN, payload: SAMPLES['analytics.goal_met'] })).toThrow(AppError);
    expect(() => createEvent('writing.words_written', { actor: ACTOR, payload: { sessionId: 's1', added: 1.5, removed: 0, net: 1 } })).toThrow(/added/);
  });

  it('round-trips any valid words_written event through JSON (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(
        fc.record({
          actor: fc.oneof(fc.constant('system'), fc.stringMatching(/^[0-9a-f]{16,64}$/)),
          projectId: fc.option(id, { nil: undefined }),
          documentId: fc.option(id, { nil: undefined }),
          occurredAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
          sessionId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/),
          added: fc.nat(),
          removed: fc.nat(),
          wpm: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: undefined }),
          paste: fc.option(fc.boolean(), { nil: undefined }),
        }),
        ({ sessionId, added, removed, wpm, paste, ...fields }) => {
          const payload = { sessionId, added, removed, net: added - removed, ...(wpm === undefined ? {} : { wpm }), ...(paste === undefined ? {} : { paste }) };
          const event = createEvent('writing.words_written', { ...fields, payload });
          const again = parseEvent(JSON.parse(JSON.stringify(event)));
          expect(again).toEqual(JSON.parse(JSON.stringify(event)));
          expect(again.type).toBe('writing.words_written');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('actor hasher', () => {
  it('is a stable 32-hex-character HMAC per key that reveals nothing of the user id', () => {
    const actorOf = createActorHasher('a server secret of enough length');
    const actor = actorOf('user-42@example.com');
    expect(actor).toMatch(/^[0-9a-f]{32}$/);
    expect(actorOf('user-42@example.com')).toBe(actor);
    expect(actorOf('user-43@example.com')).not.toBe(actor);
    expect(createActorHasher('another server secret, same length')('user-42@example.com')).not.toBe(actor);
    expect(() => createEvent('collaboration.user_left', { actor, payload: {} })).not.toThrow();
    expect(() => createActorHasher('short')).toThrow(/16 characters/);
  });
});
