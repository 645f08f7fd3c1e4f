import { z } from 'zod';
import type { Json } from '../../../workflows/definition.js';
import { renderTemplate, TemplateError } from '../../../workflows/template.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';

/** Most items one loop runs (the run's checkpoint holds every output). */
export const MAX_LOOP_ITEMS = 1000;

const input = z.strictObject({
  items: z.array(z.unknown()).max(MAX_LOOP_ITEMS, `a loop runs at most ${MAX_LOOP_ITEMS} items`),
  /** The action run for each item (any registered action but `loop`). */
  action: z.string().min(1).max(64),
  /** The inner action's input; `{{item}}`, `{{item.x}}` and `{{index}}` are replaced per item. */
  input: z.record(z.string(), z.unknown()).default({}),
});

const output = z.strictObject({ count: z.number().int(), outputs: z.array(z.unknown()) });

/**
 * `loop`: runs one action for each item, one after another, and collects the outputs. The first
 * failing item fails the loop with its index (a transient failure stays transient, so the step's
 * retry policy re-runs the loop). Loops do not nest: the work of one step stays bounded by
 * MAX_LOOP_ITEMS.
 *
 * The inner action is looked up when the loop runs (`handlers()`), so the loop can use every
 * action of the registry it is part of.
 */
export function createLoopAction(deps: { handlers: () => ReadonlyMap<string, ActionHandler> }): ActionHandler {
  return {
    spec: {
      name: 'loop',
      description: `Runs an action for each item of items (at most ${MAX_LOOP_ITEMS}, in order) with {{item}} and {{index}} in its input; fails at the first failing item.`,
      input,
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      if (args.action === 'loop') throw new ActionError('loop: loops do not nest', { permanent: true });
      const handler = deps.handlers().get(args.action);
      if (handler === undefined) throw new ActionError(`loop: unknown action "${args.action}"`, { permanent: true });
      const outputs: Json[] = [];
      for (const [index, item] of args.items.entries()) {
        ctx.signal.throwIfAborted();
        const fail = (message: string, permanent: boolean, cause?: unknown) =>
          new ActionError(`loop: item ${index} failed (${args.action}): ${message}`, { permanent, cause });
        let rendered: Json;
        try {
          rendered = renderTemplate(args.input as Json, { item, index });
        } catch (error) {
          if (error instanceof TemplateError) throw fail(error.message, true);
          throw error;
        }
        const parsed = handler.spec.input.safeParse(rendered);
        if (!parsed.success) throw fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; '), true);
        let result: Json;
        try {
          // Each item is its own "step" for the inner action: ids derived from the step (event
          // ids, dedupe keys) differ per item and stay the same when the loop is retried.
          result = await handler.run(parsed.data as Json, { ...ctx, stepId: `${ctx.stepId}[${index}]` });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          const permanent = error instanceof ActionError ? error.permanent : false;
          throw fail(error instanceof Error ? error.message : String(error), permanent, error);
        }
        if (handler.spec.output && !handler.spec.output.safeParse(result).success) throw fail('returned an output that does not fit its schema', true);
        outputs.push(result);
      }
      return { count: outputs.length, outputs };
    },
  };
}
