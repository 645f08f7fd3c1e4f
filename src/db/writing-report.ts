/**
 * @deprecated Calendar math moved to src/tracking/calendar.ts (pure domain, shared by services,
 * api and db). Re-exported only while files being edited in parallel may still import this path;
 * delete once nothing does.
 */
export { addDays, canonicalTimeZone, computeStreaks, dayIn, daysBetween, parseDay, type Streaks } from '../tracking/calendar.js';
