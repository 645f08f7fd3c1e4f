import type { z } from 'zod';
import { canonicalTimeZone } from '../lib/time-zones.js';
import type { ActionCatalog } from './actions.js';
import { checkCron } from './cron.js';
import { ancestorsOf, findCycles } from './dag.js';
import { definitionSchema, type Json, type WorkflowDefinition } from './definition.js';
import { checkCondition } from './logic.js';
import { templatePaths } from './template.js';

/**
 * Registration checks. A refused definition gets every problem at once, each with the path of
 * the offending value (`steps[2].dependsOn[0]`), so an author fixes a definition in one round
 * instead of one error per attempt.
 */

export interface Problem {
  path: string;
  message: string;
}

export type Validation = { ok: true; definition: WorkflowDefinition } | { ok: false; problems: Problem[] };

/** Where a template may look: the trigger (event), the run's input, earlier steps, the run. */
const SCOPE_ROOTS = new Set(['trigger', 'input', 'steps', 'run']);

export function validateDefinition(raw: unknown, catalog: ActionCatalog, options: { eventTypes?: readonly string[] } = {}): Validation {
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => ({ path: pathText(issue.path), message: issue.message })) };
  const definition = parsed.data;
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  checkTrigger(definition, options.eventTypes, add);

  const ids = new Map<string, number>();
  definition.steps.forEach((step, i) => {
    if (ids.has(step.id)) add(`steps[${i}].id`, `duplicate step id "${step.id}" (also steps[${ids.get(step.id)}])`);
    else ids.set(step.id, i);
  });
  definition.steps.forEach((step, i) => {
    (step.dependsOn ?? []).forEach((dep, j) => {
      if (dep === step.id) add(`steps[${i}].dependsOn[${j}]`, `step "${step.id}" depends on itself`);
      else if (!ids.has(dep)) add(`steps[${i}].dependsOn[${j}]`, `unknown step "${dep}"`);
    });
  });
  for (const cycle of findCycles(definition.steps)) {
    if (cycle.length > 2) add('steps', `dependency cycle: ${cycle.join(' → ')}`);
  }
  const acyclic = !problems.some((p) => p.message.startsWith('dependency cycle') || p.message.includes('depends on itself'));

  definition.steps.forEach((step, i) => {
    const spec = catalog.get(step.action);
    if (spec === undefined) add(`steps[${i}].action`, `unknown action "${step.action}"; known: ${[...catalog.keys()].sort().join(', ')}`);
    else checkInput(spec.input, step.input ?? {}, `steps[${i}].input`, add);
    if (step.compensate) {
      const undo = catalog.get(step.compensate.action);
      if (undo === undefined) add(`steps[${i}].compensate.action`, `unknown action "${step.compensate.action}"`);
      else checkInput(undo.input, step.compensate.input ?? {}, `steps[${i}].compensate.input`, add);
    }
    if (step.action === 'condition' && step.input && templatePaths(step.input).length === 0) {
      const refused = checkCondition(step.input.rule);
      if (refused !== null) add(`steps[${i}].input.rule`, refused);
    }
    if (acyclic) checkTemplates(definition, i, add);
  });

  return problems.length === 0 ? { ok: true, definition } : { ok: false, problems };
}

function checkTrigger(definition: WorkflowDefinition, eventTypes: readonly string[] | undefined, add: (path: string, message: string) => void): void {
  const trigger = definition.trigger;
  if (trigger.type === 'cron') {
    const zone = canonicalTimeZone(trigger.timeZone);
    if (zone === null) add('trigger.timeZone', `unknown time zone "${trigger.timeZone}" (an IANA name such as Europe/Berlin)`);
    else {
      const cron = checkCron(trigger.cron, zone);
      if (!cron.ok) add('trigger.cron', cron.message);
    }
  } else if (trigger.type === 'event') {
    if (eventTypes && !eventTypes.includes(trigger.event)) add('trigger.event', `unknown event type "${trigger.event}"`);
    if (trigger.condition !== undefined) {
      const refused = checkCondition(trigger.condition);
      if (refused !== null) add('trigger.condition', refused);
    }
  }
}

/**
 * Validates a literal input against the action's schema. Values that hold a `{{template}}` are
 * known only when the step runs, so an issue located at (or inside) one is left to run time,
 * where it fails that step with the same message.
 */
function checkInput(schema: z.ZodType, input: Record<string, Json>, base: string, add: (path: string, message: string) => void): void {
  const result = schema.safeParse(input);
  if (result.success) return;
  for (const issue of result.error.issues) {
    if (touchesTemplate(input, issue.path)) continue;
    add(pathText(issue.path, base), issue.message);
  }
}

function touchesTemplate(input: Json, path: readonly PropertyKey[]): boolean {
  let current: Json | undefined = input;
  for (const key of path) {
    if (typeof current === 'string') break;
    if (current === null || typeof current !== 'object') return false;
    current = (current as Record<string, Json>)[String(key)];
  }
  return templatePaths(current).length > 0;
}

/** A template may read only the trigger, the input, the run, and steps this step depends on. */
function checkTemplates(definition: WorkflowDefinition, index: number, add: (path: string, message: string) => void): void {
  const step = definition.steps[index]!;
  const ancestors = ancestorsOf(definition.steps, step.id);
  for (const [where, value] of [['input', step.input], ['compensate.input', step.compensate?.input]] as const) {
    for (const path of templatePaths(value)) {
      const [root, name] = path.split('.');
      // A loop's own variables, rendered by the loop per item.
      if (step.action === 'loop' && where === 'input' && (root === 'item' || root === 'index')) continue;
      if (!SCOPE_ROOTS.has(root!)) add(`steps[${index}].${where}`, `{{${path}}}: a template starts with trigger, input, steps or run`);
      else if (root === 'steps' && (name === undefined || !ancestors.has(name))) {
        add(`steps[${index}].${where}`, `{{${path}}}: step "${name ?? ''}" is not among the steps "${step.id}" depends on`);
      }
    }
  }
}

function pathText(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out === '' ? '(definition)' : out;
}
