/** Every table, for drizzle-kit (drizzle.config.ts) and for drizzle's typed query builder. */
export * from './documents.js';
export * from './events.js';
export * from './writing.js';
export * from './document-clients.js';
export * from './notifications.js';
export * from './versions.js';
export * from './workflows.js';
export * from './word-journal.js';
export * from './word-ranges.js';
