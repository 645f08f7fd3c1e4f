import { envSchema, type Env } from './config-env.js';

/**
 * The environment, parsed once. `loadConfig(process.env)` is called only from main.ts; every
 * factory gets the slice it needs. A bad value stops start-up with one message that names each
 * offending variable.
 */

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
  /** When set, every token must carry this `iss` / `aud`, and tokens minted here carry them. */
  readonly tokens: { readonly issuer: string | undefined; readonly audience: string | undefined };
  /** Whether GET /api/dev/token is served, to whom, and why (logged at start-up). */
  readonly devTokens: DevTokenPolicy;
  /** maxBodyBytes: the REST body limit of every route that declares no smaller one; maxImportBytes: the import route's own. */
  readonly limits: { readonly maxMessageBytes: number; readonly maxDocumentBytes: number; readonly maxBodyBytes: number; readonly maxImportBytes: number };
  readonly persistence: {
    readonly snapshotDebounceMs: number;
    readonly snapshotMaxDebounceMs: number;
    readonly compactAfterUpdates: number;
    readonly groupCommitMaxBatch: number;
    readonly groupCommitMaxDelayMs: number;
    /** When true an update is acknowledged only after its log row is committed. */
    readonly durableAck: boolean;
    /**
     * Updates applied and delivered while the store refuses writes, held (and retried) until
     * their rows commit: past any bound a client's change is refused with 4503 instead.
     */
    readonly pending: { readonly maxBytesPerDocument: number; readonly maxUpdatesPerDocument: number; readonly maxBytes: number; readonly maxUpdates: number };
  };
  readonly features: { readonly realTimeTracking: boolean; readonly workflowAutomation: boolean };
  /**
   * Live writing service: session timeouts are advanced every tickMs; buckets, words and metrics
   * flushed every flushMs. A session pauses, takes a break and ends after that long without input
   * (the session model's pauseAfterMs < breakAfterMs < endAfterMs); it is held in memory until it ends.
   */
  readonly writing: {
    readonly tickMs: number;
    readonly flushMs: number;
    readonly thresholds: { readonly pauseAfterMs: number; readonly breakAfterMs: number; readonly endAfterMs: number };
  };
  /** Presence of a document nobody is on (its counters for the metrics route) is forgotten after idleRetentionMs. */
  readonly presence: { readonly idleRetentionMs: number };
  /** In-process bus (no REDIS_URL): events every consumer has read kept per category (the rest is only memory). */
  readonly events: { readonly memoryBusKeepConsumed: number };
  /**
   * Notification lookups (recipients, preferences, zones) are cached this long; this instance's
   * own writes invalidate them at once, other instances' changes are seen within it.
   */
  readonly notifications: { readonly cacheTtlMs: number };
  /** Who may use a cookie credential on /ws/* (cross-site WebSocket hijacking), and abuse limits. */
  readonly abuse: AbuseConfig;
  /** Notification delivery channels: email (SMTP or Brevo), SMS (Brevo), web push (VAPID). */
  readonly delivery: DeliveryConfig;
  /** What the workflow actions may reach: http's host allowlist, the upload endpoint, the AI API (unset: the extractive fallback). */
  readonly workflowActions: {
    readonly httpAllow: string | undefined;
    readonly uploadUrl: string | undefined;
    readonly ai: { readonly baseUrl: string | undefined; readonly apiKey: string | undefined; readonly model: string | undefined };
  };
}

/** What the channels in src/delivery/ need; an unset transport leaves its channel "not configured". */
export interface DeliveryConfig {
  /** Base of the links in emails and pushes (PUBLIC_URL). */
  readonly publicUrl: string | undefined;
  readonly smtpUrl: string | undefined;
  /** The From of every email, e.g. `Storyloom <notifications@example.com>`. */
  readonly mailFrom: string | undefined;
  readonly brevo: { readonly apiKey: string | undefined; readonly baseUrl: string; readonly smsSender: string };
  /** Both keys or neither; outside production, neither means "generate once into DATA_DIR". */
  readonly vapid: { readonly publicKey: string | undefined; readonly privateKey: string | undefined; readonly subject: string | undefined };
}

/** Origins and per-IP / per-user / per-socket limits (README, "Abuse limits"). */
export interface AbuseConfig {
  /** The server's public origin (e.g. https://write.example.com); default for allowedOrigins. */
  readonly publicUrl: string | undefined;
  /** Exact origins allowed with a cookie credential; empty means "PUBLIC_URL's, else the Host's". */
  readonly allowedOrigins: readonly string[];
  /** Open WebSockets (both /collaboration and /ws/*) per remote address; 0 = no limit. */
  readonly maxConnectionsPerIp: number;
  /** Open WebSockets per user on each of /collaboration and /ws/*; 0 = no limit. */
  readonly maxConnectionsPerUser: number;
  readonly maxDocumentsPerSocket: number;
  readonly collabMessages: { readonly ratePerSecond: number; readonly burst: number };
  /** Awareness frames forwarded per socket and second (burst: 3 s worth); the rest are dropped. */
  readonly awarenessPerSecond: number;
  readonly gatewayMessages: { readonly ratePerSecond: number; readonly burst: number };
  /** REST requests per IP and, separately, per authenticated user. */
  readonly restRequests: { readonly ratePerSecond: number; readonly burst: number };
}

/**
 * The dev token endpoint mints a token for anyone who asks, so it fails closed: on by default
 * only on a development server without AUTH_SECRET (its secret is a throwaway one in DATA_DIR)
 * and then only for loopback clients; DEV_TOKENS=true serves every client; never in production.
 */
export interface DevTokenPolicy {
  readonly enabled: boolean;
  /** Serve only requests from 127.0.0.0/8 or ::1 that did not come through a proxy. */
  readonly loopbackOnly: boolean;
  readonly reason: string;
}

function devTokenPolicy(explicit: boolean | undefined, production: boolean, hasSecret: boolean): DevTokenPolicy {
  if (production) return { enabled: false, loopbackOnly: true, reason: 'NODE_ENV=production' };
  if (explicit === true) return { enabled: true, loopbackOnly: false, reason: 'DEV_TOKENS=true' };
  if (explicit === false) return { enabled: false, loopbackOnly: true, reason: 'DEV_TOKENS=false' };
  if (hasSecret) return { enabled: false, loopbackOnly: true, reason: 'AUTH_SECRET is set (DEV_TOKENS=true to serve them anyway)' };
  return { enabled: true, loopbackOnly: true, reason: 'no AUTH_SECRET outside production; loopback clients only' };
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
  const parsed = envSchema.safeParse(source);
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
  if ((env.VAPID_PUBLIC_KEY === undefined) !== (env.VAPID_PRIVATE_KEY === undefined)) {
    throw new ConfigError([
      { variable: env.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', message: 'must be set together with the other VAPID key' },
    ]);
  }
  if ((env.AI_BASE_URL === undefined) !== (env.AI_MODEL === undefined)) {
    throw new ConfigError([{ variable: env.AI_BASE_URL ? 'AI_MODEL' : 'AI_BASE_URL', message: 'must be set together with the other (AI_BASE_URL and AI_MODEL, or neither)' }]);
  }
  if (!(env.WRITING_PAUSE_AFTER_MS < env.WRITING_BREAK_AFTER_MS && env.WRITING_BREAK_AFTER_MS < env.WRITING_END_AFTER_MS)) {
    throw new ConfigError([{ variable: 'WRITING_BREAK_AFTER_MS', message: 'must lie between WRITING_PAUSE_AFTER_MS and WRITING_END_AFTER_MS (pause < break < end)' }]);
  }
  if (production && env.DEV_TOKENS === true) {
    throw new ConfigError([{ variable: 'DEV_TOKENS', message: 'must not be true when NODE_ENV=production (anyone could mint a token)' }]);
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
    tokens: { issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE },
    devTokens: devTokenPolicy(env.DEV_TOKENS, production, env.AUTH_SECRET !== undefined),
    limits: { maxMessageBytes: env.MAX_MESSAGE_BYTES, maxDocumentBytes: env.MAX_DOCUMENT_BYTES, maxBodyBytes: env.MAX_BODY_BYTES, maxImportBytes: env.MAX_IMPORT_BYTES },
    persistence: {
      snapshotDebounceMs: env.SNAPSHOT_DEBOUNCE_MS,
      snapshotMaxDebounceMs: env.SNAPSHOT_MAX_DEBOUNCE_MS,
      compactAfterUpdates: env.COMPACT_AFTER_UPDATES,
      groupCommitMaxBatch: env.GROUP_COMMIT_MAX_BATCH,
      groupCommitMaxDelayMs: env.GROUP_COMMIT_MAX_DELAY_MS,
      durableAck: env.DURABLE_ACK,
      pending: {
        maxBytesPerDocument: env.PENDING_LOG_MAX_BYTES_PER_DOCUMENT,
        maxUpdatesPerDocument: env.PENDING_LOG_MAX_UPDATES_PER_DOCUMENT,
        maxBytes: env.PENDING_LOG_MAX_BYTES,
        maxUpdates: env.PENDING_LOG_MAX_UPDATES,
      },
    },
    features: {
      realTimeTracking: env.REAL_TIME_TRACKING_ENABLED,
      workflowAutomation: env.WORKFLOW_AUTOMATION_ENABLED,
    },
    writing: {
      tickMs: env.WRITING_TICK_MS,
      flushMs: env.WRITING_FLUSH_MS,
      thresholds: { pauseAfterMs: env.WRITING_PAUSE_AFTER_MS, breakAfterMs: env.WRITING_BREAK_AFTER_MS, endAfterMs: env.WRITING_END_AFTER_MS },
    },
    presence: { idleRetentionMs: env.PRESENCE_IDLE_RETENTION_MS },
    events: { memoryBusKeepConsumed: env.MEMORY_BUS_KEEP_CONSUMED },
    notifications: { cacheTtlMs: env.NOTIFICATIONS_CACHE_TTL_MS },
    abuse: {
      publicUrl: env.PUBLIC_URL,
      allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o !== ''),
      maxConnectionsPerIp: env.MAX_CONNECTIONS_PER_IP,
      maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
      maxDocumentsPerSocket: env.MAX_DOCUMENTS_PER_SOCKET,
      collabMessages: { ratePerSecond: env.COLLAB_MESSAGES_PER_SECOND, burst: env.COLLAB_MESSAGE_BURST },
      awarenessPerSecond: env.AWARENESS_PER_SECOND,
      gatewayMessages: { ratePerSecond: env.GATEWAY_MESSAGES_PER_SECOND, burst: env.GATEWAY_MESSAGE_BURST },
      restRequests: { ratePerSecond: env.REST_REQUESTS_PER_SECOND, burst: env.REST_REQUEST_BURST },
    },
    delivery: {
      publicUrl: env.PUBLIC_URL,
      smtpUrl: env.SMTP_URL,
      mailFrom: env.MAIL_FROM,
      brevo: { apiKey: env.BREVO_API_KEY, baseUrl: env.BREVO_BASE_URL, smsSender: env.BREVO_SMS_SENDER },
      vapid: { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY, subject: env.VAPID_SUBJECT },
    },
    workflowActions: {
      httpAllow: env.WORKFLOW_HTTP_ALLOW,
      uploadUrl: env.WORKFLOW_UPLOAD_URL,
      ai: { baseUrl: env.AI_BASE_URL, apiKey: env.AI_API_KEY, model: env.AI_MODEL },
    },
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
