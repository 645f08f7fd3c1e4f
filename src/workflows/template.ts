import type { Json } from './definition.js';

/**
 * Step inputs are JSON in which strings may name values with `{{path}}`: `{{trigger.event.payload.words}}`,
 * `{{steps.validate.output.ok}}`, `{{input.chapter}}`, `{{run.id}}`. Plain path lookup, no
 * expressions: a definition is data a project owner typed, and it must never run code on the
 * server (no eval, no Function, no expression library with an escape hatch).
 *
 * A string that is exactly one template takes the value's own type (a number stays a number); a
 * template inside longer text is replaced by the value's text. A path that leads nowhere is an
 * error naming the path, never a silent empty string.
 */

const TEMPLATE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

export class TemplateError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Every `{{path}}` used anywhere in a value (for registration checks). */
export function templatePaths(value: Json | undefined): string[] {
  const found: string[] = [];
  const walk = (v: Json | undefined): void => {
    if (typeof v === 'string') for (const match of v.matchAll(TEMPLATE)) found.push(match[1]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}

export function isTemplated(value: Json | undefined): boolean {
  return templatePaths(value).length > 0;
}

/** Looks a dotted path up in `scope`; own properties only (no prototype walking). */
export function lookup(scope: unknown, path: string): unknown {
  let current: unknown = scope;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) {
      throw new TemplateError(path, `{{${path}}} does not resolve: "${part}" is missing`);
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Paths the caller renders later (a loop's `{{item}}` and `{{index}}`): left as text here. */
export interface RenderOptions {
  leave?: ReadonlySet<string>;
}

/** Substitutes every template in `value` from `scope`; throws TemplateError on a missing path. */
export function renderTemplate<T extends Json | undefined>(value: T, scope: unknown, options: RenderOptions = {}): T {
  const left = (path: string) => options.leave?.has(path.split('.')[0]!) === true;
  const render = (v: Json | undefined): Json | undefined => {
    if (typeof v === 'string') {
      const whole = WHOLE.exec(v);
      if (whole) return left(whole[1]!) ? v : toJson(lookup(scope, whole[1]!));
      return v.replace(TEMPLATE, (text, path: string) => (left(path) ? text : textOf(lookup(scope, path))));
    }
    if (Array.isArray(v)) return v.map((item) => render(item) as Json);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, render(item) as Json]));
    return v;
  };
  return render(value) as T;
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Values from outputs and events are JSON already; anything else (undefined) becomes null. */
function toJson(value: unknown): Json {
  return value === undefined ? null : (value as Json);
}
