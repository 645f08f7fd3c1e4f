import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has embedded defaults: port 8080, PGlite in ./data, no Redis, features on', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(c.dataDir).toBe('./data');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.features).toEqual({ realTimeTracking: true, workflowAutomation: true });
    expect(c.persistence.durableAck).toBe(true);
    expect(Object.isFrozen(c.persistence)).toBe(true);
  });

  it('reads the writing-session timeouts and the presence retention: the product defaults unless set, pause < break < end', () => {
    const defaults = loadConfig({});
    expect(defaults.writing.thresholds).toEqual({ pauseAfterMs: 60_000, breakAfterMs: 300_000, endAfterMs: 900_000 });
    expect(defaults.presence.idleRetentionMs).toBe(900_000);
    const short = loadConfig({ WRITING_PAUSE_AFTER_MS: '5000', WRITING_BREAK_AFTER_MS: '10000', WRITING_END_AFTER_MS: '20000', PRESENCE_IDLE_RETENTION_MS: '20000' });
    expect(short.writing.thresholds).toEqual({ pauseAfterMs: 5_000, breakAfterMs: 10_000, endAfterMs: 20_000 });
    expect(short.presence.idleRetentionMs).toBe(20_000);
    // An end before the default break would make the session model refuse to start: refused here, by name.
    expect(() => loadConfig({ WRITING_END_AFTER_MS: '60000' })).toThrow(/WRITING_BREAK_AFTER_MS: must lie between/);
  });

  it('reads the notification lookup cache lifetime: 10 s unless set, 0 turns it off, nothing negative', () => {
    expect(loadConfig({}).notifications.cacheTtlMs).toBe(10_000);
    expect(loadConfig({ NOTIFICATIONS_CACHE_TTL_MS: '0' }).notifications.cacheTtlMs).toBe(0);
    expect(() => loadConfig({ NOTIFICATIONS_CACHE_TTL_MS: '-1' })).toThrow(/NOTIFICATIONS_CACHE_TTL_MS/);
  });

  it('names every bad variable in one readable message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', REAL_TIME_TRACKING_ENABLED: 'maybe', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const variable of ['PORT', 'DATABASE_URL', 'REAL_TIME_TRACKING_ENABLED', 'LOG_LEVEL']) expect(message).toContain(`${variable}:`);
    expect((error as ConfigError).issues).toHaveLength(4);
  });

  it('refuses production without AUTH_SECRET, and short secrets anywhere', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_SECRET: is required when NODE_ENV=production/);
    expect(() => loadConfig({ AUTH_SECRET: 'short' })).toThrow(/AUTH_SECRET: must be at least 32 characters/);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(32) }).production).toBe(true);
  });

  it('reads flags and limits', () => {
    const c = loadConfig({ WORKFLOW_AUTOMATION_ENABLED: 'false', MAX_MESSAGE_BYTES: '4096', PORT: '0' });
    expect(c.features.workflowAutomation).toBe(false);
    expect(c.limits.maxMessageBytes).toBe(4096);
    expect(c.http.port).toBe(0);
  });

  it('reads the REST body limit and the token binding (AUTH_ISSUER / AUTH_AUDIENCE)', () => {
    expect(loadConfig({}).limits.maxBodyBytes).toBe(1024 * 1024);
    expect(loadConfig({ MAX_BODY_BYTES: '4096' }).limits.maxBodyBytes).toBe(4096);
    expect(() => loadConfig({ MAX_BODY_BYTES: '10' })).toThrow(/MAX_BODY_BYTES: must be at least 1024/);
    expect(loadConfig({}).tokens).toEqual({ issuer: undefined, audience: undefined });
    expect(loadConfig({ AUTH_ISSUER: ' https://auth.example ', AUTH_AUDIENCE: 'storyloom' }).tokens).toEqual({ issuer: 'https://auth.example', audience: 'storyloom' });
    expect(() => loadConfig({ DEV_TOKENS: 'maybe' })).toThrow(/DEV_TOKENS: must be true or false/);
  });
});
