import { z } from 'zod';
import type { ActionSpec } from '../../workflows/actions.js';
import type { Json } from '../../workflows/definition.js';

/**
 * How the runner performs an action: the domain's spec (name, input and output schemas) plus
 * the IO. Handlers throw ActionError for failures they can classify; anything else thrown
 * counts as transient (retried when the step's policy allows).
 */
export interface ActionContext {
  runId: string;
  workflowId: string;
  projectId: string;
  stepId: string;
  attempt: number;
  /** Aborted on timeout and on cancel: pass it to fetch and friends. */
  signal: AbortSignal;
}

export interface ActionHandler {
  readonly spec: ActionSpec;
  run(input: Json, ctx: ActionContext): Promise<Json>;
}

export class ActionError extends Error {
  readonly permanent: boolean;
  constructor(message: string, options: { permanent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ActionError';
    this.permanent = options.permanent;
  }
}

/** `noop`: does nothing and succeeds (tests, benchmarks, placeholders in a draft workflow). */
export const noopAction: ActionHandler = {
  spec: { name: 'noop', description: 'Does nothing and succeeds; returns its input as `echo`.', input: z.record(z.string(), z.unknown()) },
  async run(input) {
    return { echo: input };
  },
};
