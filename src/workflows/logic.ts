import jsonLogic from 'json-logic-js';

/**
 * Conditions (event triggers, `condition` steps) are json-logic rules: data, not code, so a
 * definition cannot run anything on the server. `log` is refused: it would let a definition
 * write to the server's console.
 */

const REFUSED = new Set(['log']);

function operatorsOf(rule: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(rule)) for (const item of rule) operatorsOf(item, out);
  else if (rule !== null && typeof rule === 'object') {
    for (const [key, value] of Object.entries(rule)) {
      out.add(key);
      operatorsOf(value, out);
    }
  }
  return out;
}

/** A message saying why the rule cannot be evaluated, or null when it can. */
export function checkCondition(rule: unknown): string | null {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return 'a condition is a json-logic rule object, e.g. {"==": [{"var": "event.payload.to"}, "ready_for_review"]}';
  for (const op of operatorsOf(rule)) if (REFUSED.has(op)) return `the json-logic operator "${op}" is not allowed`;
  try {
    jsonLogic.apply(rule as jsonLogic.RulesLogic, {});
    return null;
  } catch (error) {
    return `the condition does not evaluate: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The rule's truth for `data` (json-logic truthiness). Throws for a rule checkCondition refuses. */
export function evaluateCondition(rule: unknown, data: unknown): boolean {
  const refused = checkCondition(rule);
  if (refused !== null) throw new Error(refused);
  return jsonLogic.truthy(jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
}
