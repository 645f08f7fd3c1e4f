import type { Json } from '../../workflows/definition.js';
import { ActionError, type ActionContext, type ActionHandler } from './action-handlers.js';

/**
 * Runs one action the way every step and compensation runs: its input checked against the
 * action's schema first (a misfit is permanent: retrying cannot fix it), the handler raced
 * against the abort signal (a handler that ignores its signal still loses: the step fails at its
 * timeout), and its output checked against the output schema.
 */
export async function invokeAction(handlers: ReadonlyMap<string, ActionHandler>, action: string, input: Json, ctx: ActionContext): Promise<Json> {
  const handler = handlers.get(action);
  if (handler === undefined) throw new ActionError(`no handler for action "${action}" on this server`, { permanent: true });
  const parsed = handler.spec.input.safeParse(input);
  if (!parsed.success) {
    throw new ActionError(`input does not fit ${action}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`, { permanent: true });
  }
  const { signal } = ctx;
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
  const output = await Promise.race([handler.run(parsed.data as Json, ctx), aborted]);
  if (handler.spec.output) {
    const checked = handler.spec.output.safeParse(output);
    if (!checked.success) throw new ActionError(`${action} returned an output that does not fit its schema`, { permanent: true });
  }
  return output ?? null;
}
