/**
 * The audit archive's port lives with the service that owns it (services/archive/ports.ts);
 * re-exported here for the db implementation and the archive consumer.
 */
export type { EventArchive, EventPage, EventQuery } from '../services/archive/ports.js';
