import { describe, expect, it } from 'vitest';
// The SDK copies these tables; the server is the source of truth.
import { ROLES as SERVER_ROLES } from '../../src/lib/identity.js';
import { EVENT_CATEGORIES as SERVER_CATEGORIES, EVENT_TYPES as SERVER_TYPES } from '../../src/events/schema.js';
import { RESOURCE_ID_PATTERN as SERVER_ID } from '../../src/gateway/protocol.js';
import * as SERVER_PROTOCOL from '../../src/protocol/index.js';
import * as SDK_PROTOCOL from '../src/protocol.js';
import { EVENT_CATEGORIES, EVENT_TYPES, RESOURCE_ID_PATTERN, ROLES, backoffDelay, errorFromClose, isRetryable } from '../src/index.js';

describe('tables mirrored from the server', () => {
  it('event types and categories', () => {
    expect([...EVENT_TYPES]).toEqual([...SERVER_TYPES]);
    expect([...EVENT_CATEGORIES]).toEqual([...SERVER_CATEGORIES]);
  });
  it('roles and the id pattern', () => {
    expect([...ROLES]).toEqual([...SERVER_ROLES]);
    expect(RESOURCE_ID_PATTERN.source).toBe(SERVER_ID.source);
  });
});

describe('wire protocol mirrored from src/protocol', () => {
  it('message types, conflict fields and values, gateway paths and push kinds', () => {
    for (const table of ['STATELESS_MESSAGE_TYPES', 'CONFLICT_STATUSES', 'CONFLICT_SEVERITIES', 'CONFLICT_MESSAGE_FIELDS', 'GATEWAY_PATH_NAMES', 'SERVER_MESSAGE_TYPES', 'PUSH_KINDS'] as const) {
      expect([...SDK_PROTOCOL[table]], table).toEqual([...SERVER_PROTOCOL[table]]);
    }
  });
  it('collaboration close reasons: code and whether to reconnect', () => {
    expect(SDK_PROTOCOL.COLLAB_CLOSE_REASONS).toEqual(SERVER_PROTOCOL.COLLAB_CLOSE_REASONS);
  });
  it('the server-built conflict message is exactly what the SDK parses, from a stateless payload or an event', () => {
    const sent = SERVER_PROTOCOL.conflictMessage({ status: 'predicted', document: 'p/d', severity: 'high', users: ['a', 'b'], blocks: [2, 3], since: 10, at: 20 });
    expect(SERVER_PROTOCOL.conflictMessageSchema.strict().parse(sent)).toEqual(sent);
    expect(SDK_PROTOCOL.parseConflictMessage(JSON.stringify(sent))).toEqual(sent);
    expect(SDK_PROTOCOL.parseConflictMessage(sent)).toEqual(sent);
    expect(SDK_PROTOCOL.parseConflictMessage(JSON.stringify({ ...sent, severity: 'low' }))).toBeNull();
    expect(SDK_PROTOCOL.parseConflictMessage('not json')).toBeNull();
  });
});

describe('errorFromClose', () => {
  it('uses the reason when it is a code, else the close code', () => {
    expect(errorFromClose(4401, 'unauthorized').code).toBe('unauthorized');
    expect(errorFromClose(undefined, 'forbidden').code).toBe('forbidden');
    expect(errorFromClose(4403, 'access-revoked').code).toBe('forbidden');
    expect(errorFromClose(4400, '').code).toBe('validation-failed');
    expect(errorFromClose(4503, '').code).toBe('service-unavailable');
    expect(errorFromClose(1006, '').code).toBe('service-unavailable');
  });
  it('reads the server close reasons: storage-unavailable and server-restarting are retryable, access-revoked is not', () => {
    const storage = errorFromClose(4503, 'storage-unavailable');
    expect(storage).toMatchObject({ code: 'service-unavailable', details: { closeCode: 4503, reason: 'storage-unavailable' } });
    expect(isRetryable(storage)).toBe(true);
    expect(isRetryable(errorFromClose(1012, 'server-restarting'))).toBe(true);
    expect(isRetryable(errorFromClose(4403, 'access-revoked'))).toBe(false);
    expect(isRetryable(errorFromClose(undefined, 'unauthorized'))).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles its ceiling from 0.5 s up to 30 s, with full jitter below it', () => {
    expect(backoffDelay(0, undefined, () => 0)).toBe(0);
    expect(backoffDelay(0, undefined, () => 1)).toBe(500);
    expect(backoffDelay(3, undefined, () => 1)).toBe(4_000);
    expect(backoffDelay(20, undefined, () => 1)).toBe(30_000);
    expect(backoffDelay(20, undefined, () => 0.5)).toBe(15_000);
    expect(backoffDelay(20, undefined, () => 0)).toBe(0);
  });
});
