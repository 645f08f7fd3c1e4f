import { z } from 'zod';

/**
 * What the domain knows about an action: its name and the shapes of its input and output. The
 * code that performs an action (HTTP, email, versions, ...) lives in the services layer and
 * registers a spec here, so registration can refuse an input before any run starts.
 *
 * Two actions are the engine's own and need no IO: `delay` (a durable timer: the run is
 * checkpointed with the time it may continue, so a restart does not restart the wait) and
 * `condition` (a json-logic rule on the run's scope; the steps that depend on a false condition
 * are skipped).
 */
export interface ActionSpec {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType;
  readonly output?: z.ZodType;
}

export type ActionCatalog = ReadonlyMap<string, ActionSpec>;

export const DELAY_ACTION: ActionSpec = {
  name: 'delay',
  description: 'Waits a number of milliseconds (a durable timer: survives restarts).',
  input: z.strictObject({ ms: z.number().int().min(0).max(30 * 86_400_000) }),
  output: z.strictObject({ waitedMs: z.number() }),
};

export const CONDITION_ACTION: ActionSpec = {
  name: 'condition',
  description: 'Evaluates a json-logic rule on the run (trigger, input, step outputs); dependants of a false condition are skipped.',
  input: z.strictObject({ rule: z.unknown() }),
  output: z.strictObject({ passed: z.boolean() }),
};

/** The engine's own actions plus the given ones; a name registered twice is a bug at start-up. */
export function createActionCatalog(specs: readonly ActionSpec[]): ActionCatalog {
  const catalog = new Map<string, ActionSpec>();
  for (const spec of [DELAY_ACTION, CONDITION_ACTION, ...specs]) {
    if (catalog.has(spec.name)) throw new Error(`workflow action ${spec.name} registered twice`);
    catalog.set(spec.name, spec);
  }
  return catalog;
}
