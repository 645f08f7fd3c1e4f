/**
 * Every environment variable the server reads, with its default and bounds (the README's
 * configuration table lists the same). Only the shape lives here; config.ts turns the parsed
 * values into the Config slices the factories get, and checks the rules between variables.
 */
import { z } from 'zod';

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

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const envSchema = z.object({
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
  AUTH_ISSUER: optionalText,
  AUTH_AUDIENCE: optionalText,
  // Tri-state: unset (or empty) means "decide from AUTH_SECRET and NODE_ENV", see devTokenPolicy.
  DEV_TOKENS: z
    .enum(['', 'true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v === 'true' || v === '1' || v === 'yes')),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_MESSAGE_BYTES: int(2 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  MAX_BODY_BYTES: int(1024 * 1024, 1024, 64 * 1024 * 1024),
  MAX_IMPORT_BYTES: int(8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  MAX_DOCUMENT_BYTES: int(32 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
  SNAPSHOT_DEBOUNCE_MS: int(2_000, 0, 600_000),
  SNAPSHOT_MAX_DEBOUNCE_MS: int(10_000, 0, 3_600_000),
  COMPACT_AFTER_UPDATES: int(500, 1, 10_000_000),
  GROUP_COMMIT_MAX_BATCH: int(256, 1, 100_000),
  GROUP_COMMIT_MAX_DELAY_MS: int(5, 0, 1_000),
  DURABLE_ACK: bool(true),
  PENDING_LOG_MAX_BYTES_PER_DOCUMENT: int(8 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
  PENDING_LOG_MAX_UPDATES_PER_DOCUMENT: int(20_000, 1, 10_000_000),
  PENDING_LOG_MAX_BYTES: int(64 * 1024 * 1024, 1024, 8 * 1024 * 1024 * 1024),
  PENDING_LOG_MAX_UPDATES: int(200_000, 1, 100_000_000),
  REAL_TIME_TRACKING_ENABLED: bool(true),
  WORKFLOW_AUTOMATION_ENABLED: bool(true),
  WRITING_TICK_MS: int(5_000, 100, 600_000),
  WRITING_FLUSH_MS: int(500, 50, 60_000),
  // Writing-session timeouts (src/tracking/writing/thresholds.ts); pause < break < end (config.ts checks).
  WRITING_PAUSE_AFTER_MS: int(60_000, 1_000, 86_400_000),
  WRITING_BREAK_AFTER_MS: int(5 * 60_000, 1_000, 86_400_000),
  WRITING_END_AFTER_MS: int(15 * 60_000, 1_000, 86_400_000),
  // How long presence state of a document nobody is on stays readable (src/services/presence/).
  PRESENCE_IDLE_RETENTION_MS: int(15 * 60_000, 1_000, 86_400_000),
  MEMORY_BUS_KEEP_CONSUMED: int(256, 0, 1_000_000),
  // Abuse limits (src/lib/rate-limit.ts); 0 turns a connection limit off.
  PUBLIC_URL: url(['http', 'https']),
  ALLOWED_ORIGINS: z.string().optional(),
  MAX_CONNECTIONS_PER_IP: int(1_000, 0, 1_000_000),
  MAX_CONNECTIONS_PER_USER: int(100, 0, 1_000_000),
  MAX_DOCUMENTS_PER_SOCKET: int(100, 1, 100_000),
  COLLAB_MESSAGES_PER_SECOND: int(200, 1, 1_000_000),
  COLLAB_MESSAGE_BURST: int(2_000, 1, 10_000_000),
  AWARENESS_PER_SECOND: int(10, 1, 10_000),
  GATEWAY_MESSAGES_PER_SECOND: int(20, 1, 100_000),
  GATEWAY_MESSAGE_BURST: int(100, 1, 1_000_000),
  REST_REQUESTS_PER_SECOND: int(50, 1, 1_000_000),
  REST_REQUEST_BURST: int(200, 1, 10_000_000),
  // How long notification lookups (recipients, preferences, zones) may be served from memory;
  // 0 reads them every batch (src/services/notifications/lookup-cache.ts).
  NOTIFICATIONS_CACHE_TTL_MS: int(10_000, 0, 3_600_000),
  // Notification delivery channels (src/delivery/, docs/notifications.md "Channels").
  SMTP_URL: url(['smtp', 'smtps']),
  MAIL_FROM: optionalText,
  BREVO_API_KEY: optionalText,
  BREVO_BASE_URL: url(['http', 'https']).transform((v) => (v ?? 'https://api.brevo.com/v3').replace(/\/+$/, '')),
  BREVO_SMS_SENDER: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'Storyloom' : v.trim()))
    .refine((v) => /^([A-Za-z0-9 ]{3,11}|\d{3,15})$/.test(v), { message: 'must be 3-11 letters/digits or up to 15 digits' }),
  VAPID_PUBLIC_KEY: optionalText,
  VAPID_PRIVATE_KEY: optionalText,
  VAPID_SUBJECT: optionalText.refine((v) => v === undefined || /^(mailto:|https:\/\/)/.test(v), {
    message: 'must be a mailto: address or an https:// URL',
  }),
  // Workflow actions (src/services/workflows/actions/, docs/workflows.md "Actions").
  WORKFLOW_HTTP_ALLOW: optionalText,
  WORKFLOW_UPLOAD_URL: url(['http', 'https']),
  AI_BASE_URL: url(['http', 'https']),
  AI_API_KEY: optionalText,
  AI_MODEL: optionalText,
});

export type Env = z.output<typeof envSchema>;
