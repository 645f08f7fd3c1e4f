import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { Json } from '../../../workflows/definition.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { stableUuid } from './event-emit.js';
import { readBounded } from './http.js';
import type { Sandbox } from './sandbox.js';

/** Largest file `upload` sends (it is read into memory once). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

const input = z.strictObject({
  /** Relative to the project's files directory, e.g. document.export's `path`. */
  path: z.string().min(1).max(512),
  /** The uploaded file's name; default: the file's own name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'expected a plain file name (letters, digits, . _ -)').optional(),
  method: z.enum(['PUT', 'POST']).default('PUT'),
  contentType: z.string().max(200).optional(),
});

const output = z.strictObject({
  /** Stable for the run and step (the `publishing.upload_completed` event's uploadId). */
  uploadId: z.string(),
  target: z.enum(['http', 'directory']),
  /** The URL or the storage path the file went to (and that upload.delete removes). */
  location: z.string(),
  bytes: z.number().int(),
  status: z.number().int().optional(),
});

const deleteOutput = z.strictObject({ target: z.enum(['http', 'directory']), location: z.string(), deleted: z.boolean() });

export interface UploadConfig {
  /** WORKFLOW_UPLOAD_URL: files go to `{url}/{projectId}/{name}`; unset: copied into `directory`. */
  url: string | undefined;
  /** Where files go without an URL: `{directory}/{projectId}/{name}` (DATA_DIR/uploads). */
  directory: string;
  fetch?: typeof fetch;
}

const MEDIA_TYPES: Record<string, string> = { epub: 'application/epub+zip', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', html: 'text/html; charset=utf-8', md: 'text/markdown; charset=utf-8', pdf: 'application/pdf', json: 'application/json' };

/**
 * `upload` sends a file of the project to the configured endpoint (PUT or POST of the raw bytes
 * to `{WORKFLOW_UPLOAD_URL}/{projectId}/{name}`) or, without one, copies it into the storage
 * directory. `upload.delete`, its compensation, takes the same input and removes the same
 * location (DELETE on the URL, or the copy), so a rolled-back run leaves nothing behind.
 */
export function createUploadActions(deps: { sandbox: Sandbox; config: UploadConfig }): ActionHandler[] {
  const doFetch = deps.config.fetch ?? fetch;
  const base = deps.config.url?.replace(/\/+$/, '');

  const locate = (projectId: string, args: z.infer<typeof input>) => {
    const name = args.name ?? basename(args.path);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name)) throw new ActionError(`upload: "${name}" is not a plain file name; give input.name`, { permanent: true });
    return base !== undefined
      ? { target: 'http' as const, location: `${base}/${encodeURIComponent(projectId)}/${encodeURIComponent(name)}`, name }
      : { target: 'directory' as const, location: join(deps.config.directory, projectId, name), name };
  };

  const upload: ActionHandler = {
    spec: {
      name: 'upload',
      description: 'Uploads a file under DATA_DIR/files/<projectId>/ to WORKFLOW_UPLOAD_URL/{projectId}/{name} (PUT or POST), or copies it to DATA_DIR/uploads/{projectId}/ when unset; compensate with upload.delete.',
      input,
      output,
    },
    async run(raw, ctx): Promise<Json> {
      const args = input.parse(raw);
      const file = await deps.sandbox.resolve(ctx.projectId, args.path);
      const info = await stat(file).catch(() => null);
      if (info === null || !info.isFile()) throw new ActionError(`upload: ${args.path} is not a file`, { permanent: true });
      if (info.size > MAX_UPLOAD_BYTES) throw new ActionError(`upload: ${args.path} is ${info.size} bytes; the limit is ${MAX_UPLOAD_BYTES}`, { permanent: true });
      const where = locate(ctx.projectId, args);
      const uploadId = stableUuid(`${ctx.runId}:${ctx.stepId}`);
      if (where.target === 'directory') {
        await mkdir(join(deps.config.directory, ctx.projectId), { recursive: true });
        await copyFile(file, where.location);
        return { uploadId, target: where.target, location: where.location, bytes: info.size };
      }
      const bytes = await readFile(file, { signal: ctx.signal });
      const type = args.contentType ?? MEDIA_TYPES[where.name.slice(where.name.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
      const response = await send(doFetch, where.location, { method: args.method, body: bytes, headers: { 'content-type': type, 'x-storyloom-upload-id': uploadId }, signal: ctx.signal });
      return { uploadId, target: where.target, location: where.location, bytes: bytes.byteLength, status: response.status };
    },
  };

  const remove: ActionHandler = {
    spec: { name: 'upload.delete', description: 'Removes what `upload` with the same input uploaded (its compensation); nothing there is not an error.', input, output: deleteOutput },
    async run(raw, ctx) {
      const args = input.parse(raw);
      const where = locate(ctx.projectId, args);
      if (where.target === 'directory') {
        const existed = (await stat(where.location).catch(() => null)) !== null;
        await rm(where.location, { force: true });
        return { target: where.target, location: where.location, deleted: existed };
      }
      const response = await send(doFetch, where.location, { method: 'DELETE', signal: ctx.signal }, [404, 410]);
      return { target: where.target, location: where.location, deleted: response.status < 400 };
    },
  };

  return [upload, remove];
}

/** One request; 5xx/429/network errors are transient, other 4xx permanent (unless `accepted`). */
async function send(doFetch: typeof fetch, url: string, init: RequestInit & { signal: AbortSignal }, accepted: number[] = []): Promise<Response> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await doFetch(url, { ...init, redirect: 'error' });
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason instanceof Error ? init.signal.reason : new Error('aborted');
    throw new ActionError(`upload: ${init.method} ${host} failed: ${(error as Error).message}`, { permanent: false, cause: error });
  }
  const text = new TextDecoder().decode((await readBounded(response, 2048)).bytes);
  if (response.status >= 400 && !accepted.includes(response.status)) {
    const transient = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new ActionError(`upload: ${init.method} ${url} answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`, { permanent: !transient });
  }
  return response;
}
