/**
 * The REST surface as the server itself describes it: operations read from GET /api/openapi.json
 * of a running server, so the security suites (tests/security) cover every endpoint without a
 * hand-kept list. Also fills an operation's parameters and body with values that point at a
 * seeded fixture (a real project, document, writer and session), so authorization is exercised
 * against resources that exist.
 */

/** A JSON Schema object as @hono/zod-openapi emits it (3.1); only the parts the suites read. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  example?: unknown;
  nullable?: boolean;
  $ref?: string;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

/** One REST operation (method + path template) of the document. */
export interface Operation {
  /** Upper-case HTTP method. */
  method: string;
  /** OpenAPI path template, e.g. `/api/realtime/writing/sessions/{id}/keystroke`. */
  path: string;
  /** `GET /path` — how failures name it. */
  key: string;
  /** The `x-access` extension, when the operation declares one. */
  access: string | undefined;
  parameters: OpenApiParameter[];
  /** The JSON body schema, when the operation takes one. */
  body: { required: boolean; schema: JsonSchema } | undefined;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

export async function fetchOpenApi(httpUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${httpUrl}/api/openapi.json`);
  if (response.status !== 200) throw new Error(`GET /api/openapi.json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

/** Follows local `$ref`s (`#/components/schemas/X`) until a concrete schema. */
export function deref(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 32; hops++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const op = raw as {
        parameters?: OpenApiParameter[];
        requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
        'x-access'?: unknown;
      };
      const jsonBody = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        access: typeof op['x-access'] === 'string' ? op['x-access'] : undefined,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: deref(doc, p.schema ?? {}) })),
        body: jsonBody ? { required: op.requestBody?.required ?? false, schema: deref(doc, jsonBody) } : undefined,
      });
    }
  }
  return operations;
}

/** Real resources of the seeded project that parameters and body fields are filled with. */
export interface Fixture {
  projectId: string;
  /** A document id inside the project (without the project prefix). */
  documentId: string;
  /** The writer whose session and numbers exist ("self" of self-or-owner operations). */
  writerId: string;
  sessionId: string;
}

/**
 * Candidate values for a parameter or property, by its name; the first that matches the
 * schema's pattern wins, so `id` becomes the session id or `<project>/<document>` depending on
 * which one the operation's pattern accepts.
 */
function candidates(name: string, f: Fixture): unknown[] {
  const docName = `${f.projectId}/${f.documentId}`;
  switch (name) {
    case 'projectId':
    case 'pId':
      return [f.projectId];
    case 'documentId':
    case 'dId':
      return [f.documentId, docName];
    case 'id':
      return [docName, f.sessionId];
    case 'userId':
      return [f.writerId];
    case 'user':
      return ['security-suite-user'];
    case 'channel':
      return [`project:${f.projectId}`];
    case 'at':
      return [Date.now()];
    case 'timeZone':
    case 'tz':
      return ['Europe/Paris'];
    default:
      return [];
  }
}

function matchesPattern(schema: JsonSchema, value: unknown): boolean {
  if (!schema.pattern) return true;
  return typeof value === 'string' && new RegExp(schema.pattern).test(value);
}

/** A schema-valid value pointing at the fixture (best effort: names first, then the schema). */
export function sampleValue(doc: OpenApiDocument, raw: JsonSchema, f: Fixture, name = ''): unknown {
  const schema = deref(doc, raw);
  const named = candidates(name, f).find((v) => matchesPattern(schema, v));
  if (named !== undefined) return named;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  const options = schema.anyOf ?? schema.oneOf;
  if (options && options.length > 0) return sampleValue(doc, options[0]!, f, name);
  if (schema.allOf && schema.allOf.length > 0) return sampleValue(doc, schema.allOf[0]!, f, name);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sampleValue(doc, schema.properties?.[key] ?? {}, f, key);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sampleValue(doc, schema.items ?? {}, f, name));
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1) <= (schema.maximum ?? Infinity) ? Math.max(schema.minimum ?? 1, 1) : (schema.minimum ?? 0);
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return null;
  }
}

/** Path with every `{param}` replaced (URL-encoded) from `values`. */
export function fillPath(path: string, values: Record<string, unknown>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for path parameter ${name} of ${path}`);
    return encodeURIComponent(String(values[name]));
  });
}

/** Sample values of an operation's path parameters and (required, plus `projectId`) query parameters. */
export function sampleParameters(doc: OpenApiDocument, op: Operation, f: Fixture): { path: Record<string, unknown>; query: Record<string, unknown> } {
  const path: Record<string, unknown> = {};
  const query: Record<string, unknown> = {};
  for (const p of op.parameters) {
    if (p.in === 'path') path[p.name] = sampleValue(doc, p.schema, f, p.name);
    // projectId is optional in the schema but scopes the call to the project (the archive list
    // needs it from non-admins), so it is always sent: the matrix is about that project.
    else if (p.in === 'query' && (p.required || p.name === 'projectId')) query[p.name] = sampleValue(doc, p.schema, f, p.name);
  }
  return { path, query };
}

/** The request URL of an operation with the given parameters. */
export function urlOf(httpUrl: string, op: Operation, params: { path: Record<string, unknown>; query: Record<string, unknown> }): string {
  const url = new URL(httpUrl + fillPath(op.path, params.path));
  for (const [k, v] of Object.entries(params.query)) url.searchParams.set(k, String(v));
  return url.toString();
}
