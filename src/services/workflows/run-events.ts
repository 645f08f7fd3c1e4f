import { createEvent, type StoryloomEvent } from '../../events/schema.js';
import type { Notice } from '../../workflows/engine.js';
import type { RunState } from '../../workflows/run-state.js';

/** How each trigger type is named in `automation.workflow_triggered`. */
const TRIGGER_NAMES = { manual: 'manual', event: 'event', cron: 'schedule' } as const;

/**
 * The five `automation.*` events from the engine's notices. The actor is `system`: a run acts
 * for its workflow, not for the person who registered it.
 */
export function eventOfNotice(run: RunState, notice: Notice, at: number): StoryloomEvent {
  const base = { projectId: run.definition.projectId, actor: 'system', occurredAt: at };
  const ref = { runId: run.id, workflowId: run.workflowId };
  switch (notice.kind) {
    case 'workflow_triggered': {
      const trigger = run.definition.trigger.type;
      const eventId = trigger === 'event' ? triggerEventId(run) : undefined;
      return createEvent('automation.workflow_triggered', { ...base, payload: { ...ref, trigger: TRIGGER_NAMES[trigger], ...(eventId ? { triggerEventId: eventId } : {}) } });
    }
    case 'step_completed':
      return createEvent('automation.step_completed', { ...base, payload: { ...ref, step: notice.stepId, durationMs: notice.durationMs, attempt: notice.attempt } });
    case 'step_failed':
      return createEvent('automation.step_failed', {
        ...base,
        payload: { ...ref, step: notice.stepId, error: notice.error.slice(0, 2000), attempt: Math.max(1, notice.attempt), willRetry: notice.willRetry },
      });
    case 'workflow_completed':
      return createEvent('automation.workflow_completed', { ...base, payload: { ...ref, durationMs: notice.durationMs, steps: run.steps.length } });
    case 'workflow_failed':
      return createEvent('automation.workflow_failed', {
        ...base,
        payload: { ...ref, error: `${notice.status}: ${notice.error}`.slice(0, 2000), ...(notice.stepId ? { step: notice.stepId } : {}), durationMs: notice.durationMs },
      });
  }
}

function triggerEventId(run: RunState): string | undefined {
  const trigger = run.trigger;
  if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger)) return undefined;
  const event = trigger.event;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  return typeof event.id === 'string' ? event.id : undefined;
}
