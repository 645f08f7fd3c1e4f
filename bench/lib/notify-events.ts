/**
 * The events of the notifications bench: one per (rule, user), shared by the rules-consumer
 * capacity run (bench/scenarios/notifications.ts) and the push run's publisher
 * (bench/lib/notify-server.ts), so both measure the same eight rules.
 */
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';

/** Eight rules: each user gets one event of a different rule per second (auto-mute folds repeats). */
export const RULE_ROUNDS = 8;

/** One event of rule `round` (0..7) for user `u` (actor `actor`, owner of project `project`). */
export function ruleEvent(round: number, actor: string, project: string, u: number): StoryloomEvent {
  const base = { actor, projectId: project, occurredAt: Date.now() };
  const id = `b${round}-${u}`;
  switch (round) {
    case 0: return createEvent('analytics.goal_met', { ...base, payload: { goalId: id, kind: 'daily_words', target: 500, actual: 612 } });
    case 1: return createEvent('analytics.goal_missed', { ...base, payload: { goalId: id, kind: 'daily_words', target: 500, actual: 210 } });
    case 2: return createEvent('writing.flow_entered', { ...base, payload: { sessionId: id, wpm: 40 } });
    case 3: return createEvent('automation.workflow_failed', { ...base, actor: 'system', payload: { runId: id, workflowId: 'export', error: 'timeout' } });
    case 4: return createEvent('analytics.sales_spike_detected', { ...base, actor: 'system', payload: { units: 40, baselineUnits: 10, ratio: 4, windowMs: 3_600_000 } });
    case 5: return createEvent('publishing.upload_completed', { ...base, actor: 'system', payload: { uploadId: id, platform: 'kdp' } });
    case 6: return createEvent('publishing.upload_failed', { ...base, actor: 'system', payload: { uploadId: id, platform: 'kdp', error: 'cover refused' } });
    default: return createEvent('collaboration.conflict_predicted', { ...base, payload: { severity: 'high', blocks: [3], users: [actor, actor] } });
  }
}
