import { z } from 'zod';
import type { Json } from '../../../workflows/definition.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { bareAddress, isLoopbackAddress, isPublicAddress, pinnedRequest, systemResolver, type ResolvedAddress, type Resolver } from './http-pinned.js';

/**
 * `http`: one request to a host on the allowlist (WORKFLOW_HTTP_ALLOW). Redirects are followed
 * by hand, at most MAX_REDIRECTS, and each hop is checked against the allowlist again, so an
 * allowed host cannot bounce the request to a forbidden one. 5xx, 429 and network errors are
 * transient (the step's retry policy applies); other 4xx are permanent. Each hop's name is
 * resolved once and the connection pinned to a checked address (http-pinned.ts): a name on the
 * allowlist cannot lead to loopback or a private network unless the operator listed that address.
 */

export const MAX_REDIRECTS = 5;
export const DEFAULT_HTTP_MAX_BYTES = 256 * 1024;
export const HTTP_MAX_BYTES_LIMIT = 4 * 1024 * 1024;
/** Response headers copied into the output (the rest are dropped: cookies, server details). */
const KEPT_HEADERS = ['content-type', 'content-length', 'location', 'etag', 'last-modified', 'retry-after', 'x-request-id'];

/** One allowlist entry: `host`, `host:port`, `*.example.com` or `*.example.com:8443`; no port = any port. */
interface HostPattern {
  host: string;
  wildcard: boolean;
  port: string | null;
}

export function parseAllowlist(text: string | undefined): HostPattern[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry); // [::1]:8080
      const [host, port] = bracket ? [`[${bracket[1]}]`, bracket[2] ?? null] : splitPort(entry);
      const wildcard = host.startsWith('*.');
      return { host: wildcard ? host.slice(2) : host, wildcard, port };
    });
}

function splitPort(entry: string): [string, string | null] {
  const at = entry.lastIndexOf(':');
  return at > 0 && /^\d+$/.test(entry.slice(at + 1)) ? [entry.slice(0, at), entry.slice(at + 1)] : [entry, null];
}

export function hostAllowed(url: URL, patterns: readonly HostPattern[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return patterns.some((p) => (p.port === null || p.port === port) && (p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host));
}

/**
 * The address to connect to for `url` (its host already on the allowlist): every address the
 * name resolves to must be public, or named on the allowlist as an IP literal (with a matching
 * port, if the entry has one), or loopback for the host `localhost` itself.
 */
export async function destination(url: URL, patterns: readonly HostPattern[], resolve: Resolver): Promise<ResolvedAddress> {
  const host = bareAddress(url.hostname.toLowerCase());
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new ActionError(`http: ${url.host} did not resolve: ${networkError(error)}`, { permanent: false, cause: error });
  }
  if (addresses.length === 0) throw new ActionError(`http: ${url.host} did not resolve to any address`, { permanent: false });
  const named = (address: string) => patterns.some((p) => !p.wildcard && (p.port === null || p.port === port) && bareAddress(p.host) === address);
  const refused = addresses.find(({ address }) => {
    const bare = bareAddress(address);
    return !(isPublicAddress(bare) || named(bare) || (host === 'localhost' && isLoopbackAddress(bare)));
  });
  if (refused) {
    throw new ActionError(
      `http: ${url.host} resolves to ${refused.address}, which is not a public address; only an address listed on WORKFLOW_HTTP_ALLOW as an IP is reached`,
      { permanent: true },
    );
  }
  return addresses[0]!;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const input = z.strictObject({
  url: z.string().url().max(4096),
  method: z.enum(METHODS).default('GET'),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'not a header name'), z.string().max(8192)).default({}),
  /** Sent as JSON (Content-Type application/json unless a header says otherwise). */
  json: z.unknown().optional(),
  /** Sent as is; give a Content-Type header. */
  body: z.string().max(1024 * 1024).optional(),
  /** How to read the response: `auto` parses JSON when the Content-Type says so. */
  responseType: z.enum(['auto', 'json', 'text']).default('auto'),
  maxBytes: z.number().int().min(1).max(HTTP_MAX_BYTES_LIMIT).default(DEFAULT_HTTP_MAX_BYTES),
});

const output = z.strictObject({
  status: z.number().int(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
  truncated: z.boolean(),
  bytes: z.number().int(),
});

export function createHttpAction(deps: { allow: string | undefined; resolve?: Resolver }): ActionHandler {
  const patterns = parseAllowlist(deps.allow);
  const resolve = deps.resolve ?? systemResolver;
  return {
    spec: {
      name: 'http',
      description: 'Calls an HTTP(S) endpoint whose host is on WORKFLOW_HTTP_ALLOW; 5xx/429/network errors are retried by the step policy, other 4xx fail the step.',
      input: input.refine((v) => v.json === undefined || v.body === undefined, { message: 'give json or body, not both', path: ['body'] }),
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      let url = new URL(args.url);
      let method: string = args.method;
      const headers = new Headers(args.headers);
      let body: string | undefined = args.body;
      if (args.json !== undefined) {
        body = JSON.stringify(args.json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      for (let hop = 0; ; hop++) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ActionError(`http: ${url.protocol} URLs are not allowed`, { permanent: true });
        if (!hostAllowed(url, patterns)) {
          const what = hop === 0 ? 'host' : 'redirect to host';
          throw new ActionError(`http: ${what} ${url.host} is not on WORKFLOW_HTTP_ALLOW${patterns.length === 0 ? ' (empty: no host is allowed)' : ''}`, { permanent: true });
        }
        const address = await destination(url, patterns, resolve);
        ctx.signal.throwIfAborted();
        let response: Response;
        try {
          response = await pinnedRequest(url, address, { method, headers, body, signal: ctx.signal });
        } catch (error) {
          if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
          throw new ActionError(`http: ${method} ${url.host} failed: ${networkError(error)}`, { permanent: false, cause: error });
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location !== null) {
          await response.body?.cancel();
          if (hop >= MAX_REDIRECTS) throw new ActionError(`http: more than ${MAX_REDIRECTS} redirects`, { permanent: true });
          const next = new URL(location, url);
          // Fetch's rules: 303 (and 301/302 after POST) continue as GET without a body.
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            headers.delete('content-type');
          }
          // Credentials meant for one origin are not handed to another.
          if (next.origin !== url.origin) {
            headers.delete('authorization');
            headers.delete('cookie');
          }
          url = next;
          continue;
        }
        const read = await readBounded(response, args.maxBytes);
        const text = new TextDecoder().decode(read.bytes);
        if (response.status >= 400) {
          const detail = text.slice(0, 300).replace(/\s+/g, ' ').trim();
          const transient = response.status >= 500 || response.status === 429 || response.status === 408;
          throw new ActionError(`http: ${method} ${url.host}${url.pathname} answered ${response.status}${detail ? `: ${detail}` : ''}`, { permanent: !transient });
        }
        const type = response.headers.get('content-type') ?? '';
        let parsed: Json = text;
        if (method !== 'HEAD' && (args.responseType === 'json' || (args.responseType === 'auto' && /[/+]json\b/i.test(type))) && !read.truncated && text !== '') {
          try {
            parsed = JSON.parse(text) as Json;
          } catch {
            if (args.responseType === 'json') throw new ActionError(`http: the response of ${url.host} is not JSON`, { permanent: true });
          }
        }
        const kept: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = response.headers.get(name);
          if (value !== null) kept[name] = value;
        }
        return { status: response.status, url: url.toString(), headers: kept, body: parsed, truncated: read.truncated, bytes: read.bytes.byteLength };
      }
    },
  };
}

/** Reads at most `max` bytes of the body and cancels the rest (a huge response costs nothing more). */
export async function readBounded(response: Response, max: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (response.body === null) return { bytes: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = max - total;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      total += room;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, truncated };
}

function networkError(error: unknown): string {
  const { code, cause } = error as { code?: string; cause?: { code?: string; message?: string } };
  return code ?? cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
