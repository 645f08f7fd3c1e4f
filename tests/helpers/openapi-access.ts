/**
 * What each principal may do at each `x-access` level of the OpenAPI document, as the
 * authorization matrix (tests/security/authz-matrix.test.ts) checks it. The levels are the
 * contract the API declares per operation; this file is the one place that turns a level and a
 * principal into an expected answer.
 */

// The levels are the server's contract (src/api/access.ts); what each one allows is decided here.
import { ACCESS_LEVELS, type AccessLevel } from '../../src/api/access.js';

export { ACCESS_LEVELS, type AccessLevel };

export function isAccessLevel(value: unknown): value is AccessLevel {
  return typeof value === 'string' && (ACCESS_LEVELS as readonly string[]).includes(value);
}

/**
 * The principals of every cell. `expired` and `other` hold the owner role (in the seeded project
 * and in another one respectively), so a pass can only come from the expiry or the project being
 * ignored. `editor` is also the writer whose session and numbers are seeded ("self").
 */
export const PRINCIPALS = ['none', 'expired', 'other', 'reader', 'reviewer', 'editor', 'owner', 'admin'] as const;
export type Principal = (typeof PRINCIPALS)[number];

/**
 * `allow`: the call goes through (2xx, or 400/404/409 about the resource); `deny`: one of
 * `statuses`; `level-passed`: the principal passes the operation's level but the path names
 * someone else's resource, whose own checks may still refuse (403/404) or allow it.
 */
export type Expectation = { kind: 'allow' } | { kind: 'deny'; statuses: number[] } | { kind: 'level-passed' };

/** Whether the principal passes the level (authentication aside). */
function passes(level: AccessLevel, principal: Exclude<Principal, 'none' | 'expired'>): boolean {
  if (principal === 'admin') return level !== 'dev';
  switch (level) {
    case 'public':
    case 'authenticated':
      return true;
    case 'dev':
      return false;
    case 'project:read':
      return principal !== 'other';
    case 'project:write':
      return principal === 'editor' || principal === 'owner';
    case 'project:owner':
      return principal === 'owner';
    case 'self-or-owner':
      return principal === 'editor' || principal === 'owner';
    case 'admin':
      return false;
  }
}

/**
 * Expected answer of one cell.
 * - no token or an expired one: 401 (except `public`, which ignores credentials, and `dev`);
 * - `dev`: 404 for everyone (the suite's server has an AUTH_SECRET and no DEV_TOKENS);
 * - a principal below the level, or with a role only in another project: 403. Project ids are
 *   named by the caller's own token, so a 403 on a project leaks nothing the caller didn't say.
 *   Where the path names a resource by an opaque id (`hidesExistence`: a writing session), 404 is
 *   accepted as well: not confirming that someone else's session exists is the stricter answer.
 */
export function expectationFor(level: AccessLevel, principal: Principal, hidesExistence: boolean): Expectation {
  if (level === 'dev') return { kind: 'deny', statuses: [404] };
  if (level === 'public') return { kind: 'allow' };
  if (principal === 'none' || principal === 'expired') return { kind: 'deny', statuses: [401] };
  if (!passes(level, principal)) return { kind: 'deny', statuses: hidesExistence ? [403, 404] : [403] };
  // x-access is the minimum (src/api/access.ts): a session is changed only by its own writer, so
  // on a resource path only its owner ('editor', the seeded writer) must get through.
  if (hidesExistence && principal !== 'editor') return { kind: 'level-passed' };
  return { kind: 'allow' };
}

/** Statuses an allowed call may answer besides 2xx: the resource is missing, invalid or in the wrong state. */
export const ALLOWED_CLIENT_ERRORS = [400, 404, 409];

/** Checks one answer against the expectation; returns why it does not match, or undefined. */
export function mismatch(expected: Expectation, status: number): string | undefined {
  if (expected.kind === 'deny') return expected.statuses.includes(status) ? undefined : `expected ${expected.statuses.join('|')}, got ${status}`;
  if (expected.kind === 'level-passed' && (status === 403 || status === 404)) return undefined;
  if (status >= 200 && status < 300) return undefined;
  if (ALLOWED_CLIENT_ERRORS.includes(status)) return undefined;
  const also = expected.kind === 'level-passed' ? ' or the resource check: 403/404' : '';
  return `expected allowed (2xx or ${ALLOWED_CLIENT_ERRORS.join('/')}${also}), got ${status}`;
}

/**
 * The security review's reading of each known operation (issue 13). Only a cross-check: the
 * matrix takes the level from `x-access`; a disagreement is printed for the API owner to judge.
 */
export const REVIEWED: Record<string, AccessLevel> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'POST /api/admin/users/{userId}/disconnect': 'admin',
  'GET /api/realtime/events/schema': 'public',
  'POST /api/realtime/events/publish': 'admin',
  'GET /api/realtime/events/{category}': 'project:read',
  'GET /api/realtime/events/{category}/info': 'admin',
  'GET /api/realtime/websocket/stats': 'admin',
  'POST /api/realtime/websocket/broadcast': 'admin',
  'GET /api/realtime/analytics/project/{projectId}/writing': 'project:read',
  'GET /api/realtime/analytics/project/{projectId}/writers/{userId}/best-hours': 'self-or-owner',
  'PUT /api/realtime/writing/goals/{projectId}': 'project:read',
  'GET /api/realtime/writing/goals/{projectId}': 'project:read',
  'PUT /api/realtime/writing/preferences': 'authenticated',
  'GET /api/realtime/writing/preferences': 'authenticated',
  'POST /api/realtime/writing/sessions/start': 'project:write',
  'POST /api/realtime/writing/sessions/{id}/keystroke': 'project:write',
  'GET /api/realtime/writing/sessions/{id}/metrics': 'self-or-owner',
  'POST /api/realtime/writing/sessions/{id}/end': 'project:write',
  'POST /api/realtime/writing/sessions/{id}/resume': 'project:write',
  'GET /api/realtime/writing/sessions/active': 'authenticated',
  'POST /api/realtime/collaboration/presence': 'project:write',
  'POST /api/realtime/collaboration/cursor': 'project:write',
  'POST /api/realtime/collaboration/edit': 'project:write',
  'GET /api/realtime/collaboration/document/{id}/collaborators': 'project:read',
  'GET /api/realtime/collaboration/document/{id}/conflicts': 'project:read',
  'GET /api/realtime/collaboration/project/{pId}/document/{dId}/metrics': 'project:read',
  'GET /api/dev/token': 'dev',
  'POST /api/documents/{projectId}/{documentId}/versions': 'project:write',
  'GET /api/documents/{projectId}/{documentId}/versions': 'project:read',
  'GET /api/documents/{projectId}/{documentId}/versions/{versionId}': 'project:read',
  'GET /api/documents/{projectId}/{documentId}/versions/{versionId}/diff': 'project:read',
  'POST /api/documents/{projectId}/{documentId}/versions/{versionId}/restore': 'project:write',
};

export function isPrincipal(name: string): name is Principal {
  return (PRINCIPALS as readonly string[]).includes(name);
}

/**
 * The seeded writer on their own session after losing the write role: as a reader they still
 * read their own numbers (`self-or-owner`, `project:read`) but change nothing; with a role only
 * in another project they get nothing in this one.
 */
export function demotedWriter(level: AccessLevel, who: string): Expectation {
  if (level === 'public' || level === 'authenticated') return { kind: 'allow' };
  if (who === 'writer-as-reader' && (level === 'self-or-owner' || level === 'project:read')) return { kind: 'allow' };
  return { kind: 'deny', statuses: [403, 404] };
}
