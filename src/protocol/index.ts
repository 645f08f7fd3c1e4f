/**
 * The wire protocol: every message the server sends on /collaboration (stateless) and /ws/*.
 * Depends on lib only, so any layer may import it; the SDK mirrors it (client-sdk/src/protocol.ts).
 */
export * from './collaboration.js';
export * from './gateway.js';
export * from './notifications.js';
