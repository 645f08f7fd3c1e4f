import fc from 'fast-check';
import { deref, fillPath, type JsonSchema, type OpenApiDocument, type Operation } from './openapi-operations.js';

/**
 * Bad requests derived from an operation's OpenAPI schema (issue 13, "Then prove it" 2): wrong
 * types, missing required fields, huge strings, deep JSON, invalid UTF-8, wrong Content-Type,
 * empty bodies, and broken path and query parameters. Each case says whether the server MUST
 * refuse it with a 4xx (`strict`) or may accept it (a mutation that happens to stay valid); no
 * case may ever get a 5xx.
 */
export interface BadRequest {
  /** What was broken, for failure messages. */
  name: string;
  /** Path and query after the origin. */
  target: string;
  contentType?: string;
  body?: string | Uint8Array;
  strict: boolean;
}

/** 1 MiB: over every route's body limit, and far over any field's length. */
export const HUGE = 1024 * 1024;
/** Deep enough to break a recursive parser or validator. */
export const DEPTH = 10_000;
/**
 * Parameters stay well under Node's 16 KiB header limit: over it, node:http answers 431 itself
 * without our error body, which says nothing about the routes.
 */
const LONG_PARAM = 8 * 1024;

const INVALID_UTF8 = Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/** A value of a different JSON type than the schema asks for, or undefined when any type fits. */
export function wrongTypeFor(schema: JsonSchema): unknown {
  switch (typeOf(schema)) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return 'twelve';
    case 'boolean':
      return 'yes';
    case 'object':
      return [1, 2];
    case 'array':
      return { not: 'an array' };
    default:
      return undefined;
  }
}

/**
 * Whether a parameter's schema restricts its alphabet (so a mangled value must be refused). A
 * free-form string with only length limits (a user id, a display name) may legitimately hold
 * U+FFFD or a literal `%FF`.
 */
function restricted(schema: JsonSchema): boolean {
  return Boolean(schema.pattern || schema.enum || schema.format || ['integer', 'number', 'boolean'].includes(typeOf(schema) ?? ''));
}

/** Whether a parameter's schema bounds its length below LONG_PARAM (or restricts its alphabet). */
function bounded(schema: JsonSchema): boolean {
  return restricted(schema) || (schema.maxLength !== undefined && schema.maxLength < LONG_PARAM);
}

function target(op: Operation, path: Record<string, unknown>, query: Record<string, unknown>, rawPath?: string): string {
  const p = rawPath ?? fillPath(op.path, path);
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return q ? `${p}?${q}` : p;
}

/** The deterministic bad requests of one operation, around a valid sample of it. */
export function badRequestsFor(
  doc: OpenApiDocument,
  op: Operation,
  valid: { path: Record<string, unknown>; query: Record<string, unknown>; body: unknown },
): BadRequest[] {
  const cases: BadRequest[] = [];
  const base = target(op, valid.path, valid.query);
  const json = 'application/json';

  for (const p of op.parameters) {
    if (p.in === 'path') {
      // Invalid UTF-8 percent-encoding and an over-long value, spliced in raw (fillPath would encode them).
      for (const [label, raw, strict] of [
        ['invalid UTF-8 (%FF%FE)', '%FF%FE', restricted(p.schema)],
        [`${LONG_PARAM} characters`, 'a'.repeat(LONG_PARAM), bounded(p.schema)],
        ['a lone %', '%', false],
        ['dot segments', '..%2F..%2Fhealthz', false],
      ] as const) {
        const rawPath = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === p.name ? raw : encodeURIComponent(String(valid.path[name]))));
        cases.push({ name: `path ${p.name}: ${label}`, target: target(op, valid.path, valid.query, rawPath), strict });
      }
    } else if (p.in === 'query') {
      const schema = deref(doc, p.schema);
      const wrong = wrongTypeFor(schema);
      const variants: [string, string, boolean][] = [
        [`${LONG_PARAM} characters`, 'a'.repeat(LONG_PARAM), bounded(schema)],
        ['invalid UTF-8 (%FF%FE)', '\uFFFD\uFFFE', restricted(schema)],
        ['empty', '', false],
      ];
      if (wrong !== undefined && typeOf(schema) !== 'string') variants.push(['wrong type', String(wrong), true]);
      if (schema.enum) variants.push(['not in the enum', 'no-such-value', true]);
      for (const [label, value, strict] of variants) {
        cases.push({ name: `query ${p.name}: ${label}`, target: target(op, valid.path, { ...valid.query, [p.name]: value }), strict });
      }
    }
  }

  if (!op.body) return cases;
  const schema = deref(doc, op.body.schema);
  const hasRequired = (schema.required ?? []).length > 0;
  const sample = valid.body as Record<string, unknown>;
  const sampleText = JSON.stringify(sample);
  const bodyCase = (name: string, body: string | Uint8Array | undefined, strict: boolean, contentType = json) =>
    cases.push({ name: `body: ${name}`, target: base, contentType, ...(body === undefined ? {} : { body }), strict });

  bodyCase('empty', undefined, hasRequired);
  bodyCase('empty string', '', hasRequired);
  bodyCase('null', 'null', true);
  bodyCase('an array', '[]', true);
  bodyCase('a number', '42', true);
  bodyCase('malformed JSON', '{"a":', true);
  bodyCase('valid JSON as text/plain', sampleText, true, 'text/plain');
  bodyCase('valid JSON as application/x-www-form-urlencoded', sampleText, true, 'application/x-www-form-urlencoded');
  bodyCase('invalid UTF-8 bytes', Uint8Array.from([0x7b, 0x22, ...INVALID_UTF8, 0x22, 0x3a, 0x31, 0x7d]), hasRequired);
  bodyCase(`array nested ${DEPTH} deep`, '['.repeat(DEPTH) + ']'.repeat(DEPTH), true);
  bodyCase(`object nested ${DEPTH} deep`, '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH), true);
  bodyCase(`an extra ${HUGE}-character field`, JSON.stringify({ ...sample, padding: 'a'.repeat(HUGE) }), true);

  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const prop = deref(doc, raw);
    if ((schema.required ?? []).includes(key)) {
      const { [key]: _dropped, ...rest } = sample;
      bodyCase(`missing required ${key}`, JSON.stringify(rest), true);
    }
    const wrong = wrongTypeFor(prop);
    if (wrong !== undefined) bodyCase(`${key} of the wrong type`, JSON.stringify({ ...sample, [key]: wrong }), true);
    const deep = JSON.stringify({ ...sample, [key]: '@deep@' }).replace('"@deep@"', '['.repeat(DEPTH) + ']'.repeat(DEPTH));
    bodyCase(`${key} nested ${DEPTH} deep`, deep, typeOf(prop) !== undefined);
    if (typeOf(prop) === 'string') {
      bodyCase(`${key} of ${HUGE} characters`, JSON.stringify({ ...sample, [key]: 'a'.repeat(HUGE) }), true);
      // Raw invalid bytes inside the string: decoders substitute U+FFFD, validators decide.
      const encoded = new TextEncoder().encode(JSON.stringify({ ...sample, [key]: '@@' }));
      const at = indexOfBytes(encoded, new TextEncoder().encode('"@@"')) + 1;
      bodyCase(`${key} with invalid UTF-8 bytes`, Uint8Array.from([...encoded.slice(0, at), ...INVALID_UTF8, ...encoded.slice(at + 2)]), false);
    }
  }
  return cases;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Every path (as key lists) to a value inside `value`, the root included. */
function pathsIn(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsIn(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsIn(v, [...prefix, k]));
  return out;
}

function replaceAt(value: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  const copy: unknown = structuredClone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(node)) node.splice(Number(last), 1);
  else if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

/**
 * Random mutations of a valid body: a value somewhere replaced by arbitrary JSON (or removed, or
 * a key added), or the body replaced by random bytes. Not strict: a mutation may stay valid.
 */
export function mutatedBodyArbitrary(sample: unknown): fc.Arbitrary<{ name: string; body: string | Uint8Array }> {
  const paths = pathsIn(sample);
  const replaced = fc
    .record({ path: fc.constantFrom(...paths), value: fc.jsonValue({ maxDepth: 4 }), remove: fc.boolean() })
    .map(({ path, value, remove }) => ({
      name: `${remove && path.length > 0 ? 'removed' : 'replaced'} ${path.join('.') || '(root)'}`,
      body: JSON.stringify(replaceAt(sample, path, value, remove && path.length > 0)) ?? 'null',
    }));
  const added = fc
    .record({ key: fc.string({ maxLength: 20 }), value: fc.jsonValue({ maxDepth: 3 }) })
    .map(({ key, value }) => ({ name: `added key ${JSON.stringify(key)}`, body: JSON.stringify({ ...(sample as object), [key]: value }) }));
  const bytes = fc.uint8Array({ maxLength: 512 }).map((b) => ({ name: `${b.length} random bytes`, body: b }));
  const text = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ name: 'random text', body: s }));
  return fc.oneof(replaced, added, bytes, text);
}
