/**
 * The event contract: a versioned envelope around one payload per type, 27 types in 5 categories
 * (fixed names). Every event that enters a bus goes through `parseEvent`, and every event a
 * consumer reads from Redis goes through it again, so a handler only ever sees valid events.
 *
 * This file is a leaf (it imports zod and src/lib only): domain modules, adapters and the buses
 * all depend on it.
 */
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { RESOURCE_ID_PATTERN, uuidv7 } from '../lib/ids.js';
import { EVENT_DESCRIPTIONS, PAYLOAD_SCHEMAS, actorHash } from './schema/payloads.js';

export const EVENT_CATEGORIES = ['writing', 'collaboration', 'publishing', 'analytics', 'automation'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

export const EVENT_TYPES = [
  'writing.session_started',
  'writing.session_state_changed',
  'writing.session_ended',
  'writing.words_written',
  'writing.flow_entered',
  'writing.flow_exited',
  'writing.milestone_reached',
  'collaboration.user_joined',
  'collaboration.user_left',
  'collaboration.cursor_moved',
  'collaboration.conflict_predicted',
  'collaboration.conflict_cleared',
  'collaboration.document_edited',
  'publishing.status_changed',
  'publishing.export_completed',
  'publishing.upload_completed',
  'publishing.upload_failed',
  'publishing.sales_recorded',
  'analytics.sales_spike_detected',
  'analytics.goal_met',
  'analytics.goal_missed',
  'analytics.digest_generated',
  'automation.workflow_triggered',
  'automation.step_completed',
  'automation.step_failed',
  'automation.workflow_completed',
  'automation.workflow_failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Whether an event's payload is one writer's numbers (words, pace, flow, milestones, goal
 * outcomes; the writer is its actor): the one list the visibility rule (lib/visibility.ts) is
 * applied with, by the audit archive and by the live channels alike.
 */
export function isWriterEvent(type: string): boolean {
  return type.startsWith('writing.') || type === 'analytics.goal_met' || type === 'analytics.goal_missed';
}

// Compile-time proof that payloads.ts describes exactly the 27 types, no more, no fewer.
type PayloadSchemas = typeof PAYLOAD_SCHEMAS;
const _everyTypeHasAPayload: Record<EventType, z.ZodObject> = PAYLOAD_SCHEMAS;
const _noPayloadWithoutAType: Record<keyof PayloadSchemas, unknown> = {} as Record<EventType, unknown>;

/** Largest accepted payload, measured as UTF-8 bytes of `JSON.stringify(payload)`. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Current envelope/payload version per type. Parsing accepts 1..current; a consumer that meets an
 * event from a newer producer (v above what it knows) rejects it instead of misreading it.
 */
export const EVENT_VERSIONS: Readonly<Record<EventType, number>> = Object.fromEntries(EVENT_TYPES.map((type) => [type, 1])) as Record<
  EventType,
  number
>;

/** The category a type belongs to: the part before the dot. */
export type CategoryOf<T extends EventType> = T extends `${infer C extends EventCategory}.${string}` ? C : never;
/** A type's payload after parsing. */
export type EventPayload<T extends EventType> = z.output<PayloadSchemas[T]>;
/** What a producer passes as a type's payload (before parsing). */
export type EventPayloadInput<T extends EventType> = z.input<PayloadSchemas[T]>;

interface EventEnvelope {
  /** UUIDv7 (src/lib/ids.ts) or ULID; consumers dedupe on it. */
  id: string;
  v: number;
  /** ISO-8601 with offset (`toISOString()` gives `...Z`). */
  occurredAt: string;
  projectId?: string;
  documentId?: string;
  /** HMAC of the user id under the server key (actor.ts), or 'system'; never a name or an email. */
  actor: string;
}

/**
 * One event; `StoryloomEvent` alone is the union of all 27, so `switch (event.type)` narrows the
 * payload. `StoryloomEvent<'writing.words_written'>` is one type.
 */
export type StoryloomEvent<T extends EventType = EventType> = {
  [K in T]: EventEnvelope & { type: K; category: CategoryOf<K>; payload: EventPayload<K> };
}[T];

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const CATEGORY_SET: ReadonlySet<string> = new Set(EVENT_CATEGORIES);
const ID_PATTERN = RESOURCE_ID_PATTERN;
const ID_MESSAGE = 'expected 1-64 characters of A-Z a-z 0-9 _ -';

/** The category of a type (its prefix). */
export function categoryOf<T extends EventType>(type: T): CategoryOf<T> {
  return type.slice(0, type.indexOf('.')) as CategoryOf<T>;
}

function envelopeFor<T extends EventType>(type: T) {
  return z
    .object({
      id: z.union([z.uuid(), z.ulid()]),
      type: z.literal(type),
      category: z.literal(categoryOf(type)),
      v: z.number().int().min(1).max(EVENT_VERSIONS[type]),
      occurredAt: z.iso.datetime({ offset: true }),
      projectId: z.string().regex(ID_PATTERN, ID_MESSAGE).optional(),
      documentId: z.string().regex(ID_PATTERN, ID_MESSAGE).optional(),
      actor: z.union([actorHash, z.literal('system')]),
      payload: PAYLOAD_SCHEMAS[type],
    })
    .meta({ title: type, description: EVENT_DESCRIPTIONS[type] });
}

const TYPE_SCHEMAS = Object.fromEntries(EVENT_TYPES.map((type) => [type, envelopeFor(type)])) as {
  [K in EventType]: ReturnType<typeof envelopeFor<K>>;
};

/**
 * Every event, discriminated on `type`. Prefer `parseEvent`, which adds clear messages for unknown
 * types and categories and the payload size limit.
 */
export const eventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((type) => TYPE_SCHEMAS[type]) as unknown as [ReturnType<typeof envelopeFor>, ...ReturnType<typeof envelopeFor>[]],
);

export interface ValidationIssue {
  /** Dotted path into the event (`payload.sessionId`); '' for the event itself. */
  path: string;
  message: string;
}

function invalid(issues: ValidationIssue[]): AppError {
  const first = issues[0];
  const where = first && first.path ? `${first.path}: ` : '';
  return new AppError('validation-failed', `Invalid event: ${where}${first?.message ?? 'invalid'}`, { issues });
}

/**
 * An upper bound of a value's JSON size in UTF-8 bytes, computed without building the JSON (the
 * bus validates 100,000 events/s; a throwaway string per event is measurable garbage). A UTF-16
 * unit costs at most 6 bytes (`\u001f`). Infinity when it cannot tell cheaply: toJSON, deep
 * nesting, or a bound already over the limit.
 */
function jsonBytesBound(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'object': {
      if (value === null) return 4;
      if (depth > 16 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) if ((total += jsonBytesBound(item, depth + 1) + 1) > MAX_PAYLOAD_BYTES) return Infinity;
        return total;
      }
      for (const key of Object.keys(value)) {
        total += key.length * 6 + 4 + jsonBytesBound((value as Record<string, unknown>)[key], depth + 1);
        if (total > MAX_PAYLOAD_BYTES) return Infinity;
      }
      return total;
    }
    default:
      return 24; // numbers, booleans; undefined and functions are left out of JSON altogether
  }
}

/** The payload's exact JSON size when it may exceed MAX_PAYLOAD_BYTES, or null when it surely does not. */
function oversizePayloadBytes(payload: unknown): number | null {
  if (jsonBytesBound(payload, 0) <= MAX_PAYLOAD_BYTES) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    throw invalid([{ path: 'payload', message: `payload is not JSON-serializable (${(error as Error).message})` }]);
  }
  const bytes = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  return bytes > MAX_PAYLOAD_BYTES ? bytes : null;
}

/**
 * Validates anything (parsed JSON, an object a producer built) as an event and returns it typed.
 * Throws AppError('validation-failed', ..., {issues: [{path, message}]}) for an unknown type or
 * category, a category that is not the type's prefix, a bad envelope field or payload; throws
 * AppError('message-too-large') when the payload's JSON exceeds MAX_PAYLOAD_BYTES. Unknown keys
 * are dropped (see payloads.ts).
 */
export function parseEvent(input: unknown): StoryloomEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid([{ path: '', message: 'expected an event object' }]);
  }
  // An event this function returned before (createEvent, then publish): already valid. Events
  // are values: nothing in the server changes one after creating it.
  if (VALIDATED.has(input)) return input as StoryloomEvent;
  const { type, category, payload } = input as Record<string, unknown>;
  if (typeof type !== 'string' || !TYPE_SET.has(type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 100)}"` : String(type);
    throw invalid([{ path: 'type', message: `unknown event type ${shown}; known types: ${EVENT_TYPES.join(', ')}` }]);
  }
  if (typeof category !== 'string' || !CATEGORY_SET.has(category)) {
    const shown = typeof category === 'string' ? `"${category.slice(0, 100)}"` : String(category);
    throw invalid([{ path: 'category', message: `unknown event category ${shown}; known categories: ${EVENT_CATEGORIES.join(', ')}` }]);
  }
  const expected = categoryOf(type as EventType);
  if (category !== expected) {
    throw invalid([{ path: 'category', message: `category "${category}" does not match type "${type}" (expected "${expected}")` }]);
  }
  const bytes = oversizePayloadBytes(payload);
  if (bytes !== null) {
    throw new AppError('message-too-large', `Event payload is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES}`, {
      bytes,
      limit: MAX_PAYLOAD_BYTES,
      type,
    });
  }
  const result = TYPE_SCHEMAS[type as EventType].safeParse(input);
  if (!result.success) {
    throw invalid(result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })));
  }
  VALIDATED.add(result.data);
  return result.data as StoryloomEvent;
}

/** Objects parseEvent produced (zod returns fresh objects, so a caller's input is never in here). */
const VALIDATED = new WeakSet<object>();

/** What a producer supplies; the rest of the envelope (id, category, v, occurredAt) is filled in. */
export interface EventFields<T extends EventType> {
  actor: string;
  projectId?: string;
  documentId?: string;
  payload: EventPayloadInput<T>;
  /** Default: now. */
  occurredAt?: Date | number;
  /** Default: a fresh UUIDv7. Pass one to make a retried publish dedupe with the first. */
  id?: string;
}

// toISOString() costs about 1 µs; producers emit many events per millisecond, so the last
// millisecond's string is kept (a pure memo: same input, same output).
let isoCache = { ms: NaN, iso: '' };
function isoOf(ms: number): string {
  if (ms !== isoCache.ms) isoCache = { ms, iso: new Date(ms).toISOString() };
  return isoCache.iso;
}

/**
 * Builds a valid event of the current version, or throws exactly as `parseEvent` does. The id is a
 * UUIDv7 of `occurredAt`, so ids sort by time.
 */
export function createEvent<T extends EventType>(type: T, fields: EventFields<T>): StoryloomEvent<T> {
  const at = fields.occurredAt === undefined ? Date.now() : typeof fields.occurredAt === 'number' ? fields.occurredAt : fields.occurredAt.getTime();
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15) throw invalid([{ path: 'occurredAt', message: 'expected a valid date' }]);
  return parseEvent({
    id: fields.id ?? uuidv7(Math.max(0, at)),
    type,
    category: categoryOf(type),
    v: EVENT_VERSIONS[type],
    occurredAt: isoOf(at),
    ...(fields.projectId === undefined ? {} : { projectId: fields.projectId }),
    ...(fields.documentId === undefined ? {} : { documentId: fields.documentId }),
    actor: fields.actor,
    payload: fields.payload,
  }) as StoryloomEvent<T>;
}

/**
 * The JSON Schema (draft 2020-12, as zod 4 writes it) of every type's full event, for
 * `GET /api/realtime/events/schema`. Fresh objects on each call: callers may annotate them.
 */
export function eventJsonSchemas(): Record<EventType, object> {
  return Object.fromEntries(EVENT_TYPES.map((type) => [type, z.toJSONSchema(TYPE_SCHEMAS[type], { io: 'input' })])) as Record<EventType, object>;
}
