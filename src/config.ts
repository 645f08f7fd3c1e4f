import { z } from 'zod';

/**
 * The environment, parsed once. `loadConfig(process.env)` is called only from main.ts; every
 * factory gets the slice it needs. A bad value stops start-up with one message that names each
 * offending variable.
 */
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

const int = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` })
    .default(fallback);

const url = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

const schema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']),
  AUTH_SECRET: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || v.length >= 32, { message: 'must be at least 32 characters' }),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_MESSAGE_BYTES: int(2 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  MAX_DOCUMENT_BYTES: int(32 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
  SNAPSHOT_DEBOUNCE_MS: int(2_000, 0, 600_000),
  SNAPSHOT_MAX_DEBOUNCE_MS: int(10_000, 0, 3_600_000),
  COMPACT_AFTER_UPDATES: int(500, 1, 10_000_000),
  GROUP_COMMIT_MAX_BATCH: int(256, 1, 100_000),
  GROUP_COMMIT_MAX_DELAY_MS: int(5, 0, 1_000),
  DURABLE_ACK: bool(true),
  REAL_TIME_TRACKING_ENABLED: bool(true),
  WORKFLOW_AUTOMATION_ENABLED: bool(true),
  WRITING_TICK_MS: int(5_000, 100, 600_000),
  WRITING_FLUSH_MS: int(500, 50, 60_000),
});

type Env = z.output<typeof schema>;

export interface Config {
  readonly http: { readonly port: number; readonly host: string };
  readonly env: Env['NODE_ENV'];
  readonly production: boolean;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** Undefined outside production means "generate one and keep it in DATA_DIR". */
  readonly authSecret: string | undefined;
  readonly limits: { readonly maxMessageBytes: number; readonly maxDocumentBytes: number };
  readonly persistence: {
    readonly snapshotDebounceMs: number;
    readonly snapshotMaxDebounceMs: number;
    readonly compactAfterUpdates: number;
    readonly groupCommitMaxBatch: number;
    readonly groupCommitMaxDelayMs: number;
    /** When true an update is acknowledged only after its log row is committed. */
    readonly durableAck: boolean;
  };
  readonly features: { readonly realTimeTracking: boolean; readonly workflowAutomation: boolean };
  /** Live writing service: session timeouts are advanced every tickMs; buckets, words and metrics flushed every flushMs. */
  readonly writing: { readonly tickMs: number; readonly flushMs: number };
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Parses an environment-like record into a frozen Config, or throws one ConfigError. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  if (production && !env.AUTH_SECRET) {
    throw new ConfigError([
      { variable: 'AUTH_SECRET', message: 'is required when NODE_ENV=production (at least 32 characters)' },
    ]);
  }
  return deepFreeze({
    http: { port: env.PORT, host: env.HOST },
    env: env.NODE_ENV,
    production,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    authSecret: env.AUTH_SECRET,
    limits: { maxMessageBytes: env.MAX_MESSAGE_BYTES, maxDocumentBytes: env.MAX_DOCUMENT_BYTES },
    persistence: {
      snapshotDebounceMs: env.SNAPSHOT_DEBOUNCE_MS,
      snapshotMaxDebounceMs: env.SNAPSHOT_MAX_DEBOUNCE_MS,
      compactAfterUpdates: env.COMPACT_AFTER_UPDATES,
      groupCommitMaxBatch: env.GROUP_COMMIT_MAX_BATCH,
      groupCommitMaxDelayMs: env.GROUP_COMMIT_MAX_DELAY_MS,
      durableAck: env.DURABLE_ACK,
    },
    features: {
      realTimeTracking: env.REAL_TIME_TRACKING_ENABLED,
      workflowAutomation: env.WORKFLOW_AUTOMATION_ENABLED,
    },
    writing: { tickMs: env.WRITING_TICK_MS, flushMs: env.WRITING_FLUSH_MS },
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
