import { lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Json } from '../../../workflows/definition.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import type { Sandbox } from './sandbox.js';

/** Largest file `file` reads or writes (the content travels in the run's checkpoint). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

const path = z.string().min(1).max(512);
const encoding = z.enum(['utf8', 'base64']).default('utf8');

const input = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('read'), path, encoding }),
  z.strictObject({ op: z.literal('write'), path, content: z.string().max(8 * 1024 * 1024), encoding, overwrite: z.boolean().default(true) }),
  z.strictObject({ op: z.literal('delete'), path, missingOk: z.boolean().default(true) }),
]);

const output = z.union([
  z.strictObject({ op: z.literal('read'), path: z.string(), bytes: z.number(), encoding: z.enum(['utf8', 'base64']), content: z.string() }),
  z.strictObject({ op: z.literal('write'), path: z.string(), bytes: z.number() }),
  z.strictObject({ op: z.literal('delete'), path: z.string(), deleted: z.boolean() }),
]);

/**
 * `file`: reads, writes or deletes one file in the project's files directory
 * (`DATA_DIR/files/<projectId>/`, see sandbox.ts), up to MAX_FILE_BYTES.
 */
export function createFileAction(deps: { sandbox: Sandbox; maxBytes?: number }): ActionHandler {
  const maxBytes = deps.maxBytes ?? MAX_FILE_BYTES;
  return {
    spec: {
      name: 'file',
      description: `Reads, writes or deletes a file under DATA_DIR/files/<projectId>/ (relative paths only; no "..", no symlinks out; up to ${maxBytes} bytes).`,
      input,
      output,
    },
    async run(raw, ctx): Promise<Json> {
      const args = input.parse(raw);
      if (args.op === 'read') {
        const file = await deps.sandbox.resolve(ctx.projectId, args.path);
        const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
          throw new ActionError(error.code === 'ENOENT' ? `file ${args.path} does not exist` : `file ${args.path}: ${error.message}`, { permanent: error.code === 'ENOENT' });
        });
        if (!info.isFile()) throw new ActionError(`${args.path} is not a file`, { permanent: true });
        if (info.size > maxBytes) throw new ActionError(`file ${args.path} is ${info.size} bytes; the limit is ${maxBytes}`, { permanent: true });
        const bytes = await readFile(file, { signal: ctx.signal });
        return { op: 'read', path: args.path, bytes: bytes.byteLength, encoding: args.encoding, content: bytes.toString(args.encoding) };
      }
      if (args.op === 'write') {
        const bytes = Buffer.from(args.content, args.encoding);
        if (bytes.byteLength > maxBytes) throw new ActionError(`content is ${bytes.byteLength} bytes; the limit is ${maxBytes}`, { permanent: true });
        const file = await deps.sandbox.resolve(ctx.projectId, args.path, { create: true });
        await writeFile(file, bytes, { flag: args.overwrite ? 'w' : 'wx', signal: ctx.signal }).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') throw new ActionError(`file ${args.path} exists and overwrite is false`, { permanent: true });
          if (error.code === 'EISDIR') throw new ActionError(`${args.path} is a directory`, { permanent: true });
          throw error;
        });
        return { op: 'write', path: args.path, bytes: bytes.byteLength };
      }
      // A symlink (one that stays inside) is removed itself, not the file it points to.
      const file = await deps.sandbox.resolve(ctx.projectId, args.path, { link: true });
      const info = await lstat(file).catch(() => null);
      if (info === null) {
        if (args.missingOk) return { op: 'delete', path: args.path, deleted: false };
        throw new ActionError(`file ${args.path} does not exist`, { permanent: true });
      }
      if (!info.isFile() && !info.isSymbolicLink()) throw new ActionError(`${args.path} is not a file`, { permanent: true });
      await rm(file);
      return { op: 'delete', path: args.path, deleted: true };
    },
  };
}
