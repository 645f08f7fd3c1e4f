/**
 * Options and defaults both buses share, so the memory bus and the Redis Streams bus behave the
 * same under the one contract suite.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSpec } from './bus.js';
import { EVENT_CATEGORIES, EVENT_TYPES, type EventCategory } from './schema.js';

export { SeenIds } from './seen-ids.js';

/** Retention of one category's stream; an absent field is no limit of that kind. */
export interface RetentionPolicy {
  /** Keep about this many entries (XADD MAXLEN ~). */
  maxLen?: number;
  /** Drop entries older than this (XADD/XTRIM MINID ~). */
  maxAgeMs?: number;
}

/** Per-category override; a category given here replaces its default policy as a whole. */
export type RetentionOptions = Partial<Record<EventCategory, RetentionPolicy>>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Streams are the transport to consumers, not the archive (the audit archive in Postgres is), so
 * retention only has to outlast a consumer being down. An entry is about 350-450 bytes in Redis:
 * - writing, collaboration: the busy categories (words_written every few seconds per writer,
 *   sampled cursors), capped by count at 250,000 entries (~100 MB each): hours of backlog at a
 *   busy instance's rates, and a hard memory ceiling however busy it gets.
 * - publishing, analytics, automation: a few events per hour per project, so 30 days of history
 *   (a consumer fixed after a long weekend still catches up) and a 100,000-entry ceiling.
 * Worst case for all five streams together: about 300 MB of Redis memory.
 */
export const DEFAULT_RETENTION: Readonly<Record<EventCategory, RetentionPolicy>> = {
  writing: { maxLen: 250_000 },
  collaboration: { maxLen: 250_000 },
  publishing: { maxLen: 100_000, maxAgeMs: 30 * DAY_MS },
  analytics: { maxLen: 100_000, maxAgeMs: 30 * DAY_MS },
  automation: { maxLen: 100_000, maxAgeMs: 30 * DAY_MS },
};

/** Dead letters need a person to look at them; the ceiling only stops a poison flood eating memory. */
export const DEAD_LETTER_MAX_LEN = 100_000;

export interface ResolvedRetention {
  maxLen: number | null;
  maxAgeMs: number | null;
}

export function resolveRetention(overrides: RetentionOptions = {}): Record<EventCategory, ResolvedRetention> {
  const resolved = {} as Record<EventCategory, ResolvedRetention>;
  for (const category of EVENT_CATEGORIES) {
    const policy = overrides[category] ?? DEFAULT_RETENTION[category];
    for (const [name, value] of Object.entries(policy)) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new Error(`retention.${category}.${name} must be a positive integer, got ${String(value)}`);
      }
    }
    resolved[category] = { maxLen: policy.maxLen ?? null, maxAgeMs: policy.maxAgeMs ?? null };
  }
  return resolved;
}

/** Consumer timing, shared by both buses. */
export interface ConsumerTuning {
  /**
   * An entry pending longer than this with its consumer is taken over (XAUTOCLAIM) by another
   * member: the consumer is presumed dead. Must exceed the slowest handler. Default 30 s.
   */
  claimIdleMs: number;
  /** Longest blocking read; new events wake it at once, this only bounds idle wake-ups. Default 2 s. */
  blockMs: number;
  /** Retry delay after a handler throws: full jitter up to min(max, base * 2^(delivery-1)) (lib/backoff.ts). Default 500 ms / 10 s. */
  retryDelayMs: { base: number; max: number };
  /** How long stop()/close() wait for an in-flight handler before abandoning it unacked. Default 10 s. */
  drainTimeoutMs: number;
  /**
   * Event ids remembered for dedupe (per group on the memory bus, per consumer on Redis): a
   * window by count that covers a producer's retry seconds apart even at 10,000 events/s. Our
   * UUIDs take about 30 bytes each, allocated with the window (seen-ids.ts): ~0.6 MB per group at the
   * default. By count, not time: a re-sent batch or an unacknowledged entry can come back after a
   * Redis outage of any length, so no age makes forgetting safe. Default 20,000.
   */
  dedupeWindow: number;
  /** Entries per read. Default 256. */
  batchSize: number;
}

export const DEFAULT_TUNING: Readonly<ConsumerTuning> = {
  claimIdleMs: 30_000,
  blockMs: 2_000,
  retryDelayMs: { base: 500, max: 10_000 },
  drainTimeoutMs: 10_000,
  dedupeWindow: 20_000,
  batchSize: 256,
};

export const DEFAULT_MAX_DELIVERIES = 5;

/** Options both factories accept. */
export interface BusCommonOptions extends Partial<ConsumerTuning> {
  logger?: Logger;
  /** Stream key prefix; streams are `<prefix>:<category>`, dead letters `<prefix>:dead:<category>`. Default 'storyloom:events'. */
  prefix?: string;
  retention?: RetentionOptions;
  /** Trim exactly (MAXLEN =) instead of approximately (~). Only for tests: exact trimming costs Redis CPU. */
  exactTrim?: boolean;
}

export function resolveTuning(options: Partial<ConsumerTuning>): ConsumerTuning {
  const tuning: ConsumerTuning = {
    claimIdleMs: options.claimIdleMs ?? DEFAULT_TUNING.claimIdleMs,
    blockMs: options.blockMs ?? DEFAULT_TUNING.blockMs,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_TUNING.retryDelayMs,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_TUNING.drainTimeoutMs,
    dedupeWindow: options.dedupeWindow ?? DEFAULT_TUNING.dedupeWindow,
    batchSize: options.batchSize ?? DEFAULT_TUNING.batchSize,
  };
  if (tuning.retryDelayMs.max * 2 > tuning.claimIdleMs) {
    // A retry must happen (and reset the entry's idle time) before other members think the
    // consumer died, or a failing event would bounce between members instead of backing off.
    throw new Error(`retryDelayMs.max (${tuning.retryDelayMs.max}) must be at most half of claimIdleMs (${tuning.claimIdleMs})`);
  }
  return tuning;
}

const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Checks a subscription before it touches any stream; returns its categories without duplicates.
 * Throws AppError('validation-failed') for an unknown category or type, no category, or a group
 * or consumer name outside [A-Za-z0-9_.:-]{1,128}.
 */
export function checkConsumerSpec(spec: ConsumerSpec): EventCategory[] {
  const problems: string[] = [];
  const categories = [...new Set(spec.categories)];
  if (categories.length === 0) problems.push('categories: at least one category is needed');
  for (const category of categories) if (!EVENT_CATEGORIES.includes(category)) problems.push(`categories: unknown category "${category}"`);
  for (const type of spec.types ?? []) if (!EVENT_TYPES.includes(type)) problems.push(`types: unknown event type "${type}"`);
  if (!GROUP_NAME.test(spec.group)) problems.push('group: expected 1-128 characters of A-Z a-z 0-9 _ . : -');
  if (spec.consumer !== undefined && !GROUP_NAME.test(spec.consumer)) problems.push('consumer: expected 1-128 characters of A-Z a-z 0-9 _ . : -');
  if (problems.length > 0) {
    throw new AppError('validation-failed', `Invalid subscription: ${problems[0]}`, {
      issues: problems.map((problem) => ({ path: problem.slice(0, problem.indexOf(':')), message: problem.slice(problem.indexOf(':') + 2) })),
    });
  }
  return categories;
}

/** A member name unique per subscription: host, process and a random suffix. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
