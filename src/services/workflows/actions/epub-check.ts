import { execFile } from 'node:child_process';
import { open, realpath, stat } from 'node:fs/promises';
import { z } from 'zod';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import type { Sandbox } from './sandbox.js';

const input = z.strictObject({
  /** Relative to the project's files directory, e.g. document.export's `path`. */
  path: z.string().min(1).max(512),
});

const message = z.strictObject({ severity: z.string(), id: z.string(), message: z.string(), location: z.string() });
const output = z.strictObject({
  ok: z.boolean(),
  fatals: z.number().int(),
  errors: z.number().int(),
  warnings: z.number().int(),
  messages: z.array(message),
});

/** Where Debian installs it. */
export const DEFAULT_EPUBCHECK = '/usr/bin/epubcheck';
/** Messages kept in the output (a broken book can report thousands). */
const MAX_MESSAGES = 100;
/** epubcheck is a JVM: give it time, but not forever. */
const EPUBCHECK_TIMEOUT_MS = 10 * 60_000;

interface EpubcheckJson {
  messages?: { ID?: string; severity?: string; message?: string; locations?: { path?: string; line?: number; column?: number }[] }[];
  checker?: { nFatal?: number; nError?: number; nWarning?: number };
}

/**
 * `epub.check`: runs the `epubcheck` tool (Debian package epubcheck) on an EPUB in the project's
 * files directory. Errors or fatals fail the step permanently (the same file fails again);
 * warnings are reported and pass. Debian installs epubcheck as an executable jar that runs
 * directly only where binfmt_misc knows jars, so a jar is started with `java -jar`.
 */
export function createEpubCheckAction(deps: { sandbox: Sandbox; /** Path of the epubcheck executable (or jar). */ command?: string }): ActionHandler {
  return {
    spec: { name: 'epub.check', description: 'Checks an EPUB under DATA_DIR/files/<projectId>/ with epubcheck; fails when it reports errors.', input, output },
    async run(raw, ctx) {
      const args = input.parse(raw);
      const file = await deps.sandbox.resolve(ctx.projectId, args.path);
      const info = await stat(file).catch(() => null);
      if (info === null || !info.isFile()) throw new ActionError(`epub.check: ${args.path} is not a file`, { permanent: true });
      const [cmd, cmdArgs] = await commandLine(deps.command ?? DEFAULT_EPUBCHECK);
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(cmd, [...cmdArgs, file, '--json', '-'], { maxBuffer: 64 * 1024 * 1024, timeout: EPUBCHECK_TIMEOUT_MS, signal: ctx.signal }, (error, out) => {
          // epubcheck exits 1 when it found errors; the report on stdout says which.
          if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new ActionError(`epub.check: ${cmd} is not installed (Debian package epubcheck, which needs java)`, { permanent: true }));
          else if (error && !out.includes('{')) reject(new ActionError(`epub.check: epubcheck failed: ${error.message.slice(0, 500)}`, { permanent: false }));
          else resolve(out);
        });
      });
      let report: EpubcheckJson;
      try {
        report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as EpubcheckJson;
      } catch {
        throw new ActionError('epub.check: epubcheck printed no JSON report', { permanent: false });
      }
      const messages = (report.messages ?? []).map((m) => {
        const at = m.locations?.[0];
        const where = at?.path ? `${at.path.replace(`${file}/`, '')}${at.line !== undefined && at.line >= 0 ? `:${at.line}:${at.column ?? 0}` : ''}` : '';
        return { severity: m.severity ?? 'INFO', id: m.ID ?? '', message: m.message ?? '', location: where };
      });
      const fatals = report.checker?.nFatal ?? 0;
      const errors = report.checker?.nError ?? 0;
      const warnings = report.checker?.nWarning ?? 0;
      if (fatals + errors > 0) {
        const first = messages.filter((m) => m.severity === 'ERROR' || m.severity === 'FATAL').slice(0, 5);
        throw new ActionError(`epub.check: ${args.path}: ${fatals} fatal, ${errors} errors: ${first.map((m) => `${m.id} ${m.location} ${m.message}`).join('; ')}`, { permanent: true });
      }
      return { ok: true, fatals, errors, warnings, messages: messages.slice(0, MAX_MESSAGES) };
    },
  };
}

/** The command to run: the executable, or `java -jar` for an executable jar. */
async function commandLine(bin: string): Promise<[string, string[]]> {
  const real = await realpath(bin).catch(() => null);
  if (real === null) throw new ActionError(`epub.check: ${bin} is not installed (Debian package epubcheck)`, { permanent: true });
  const handle = await open(real, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head.toString('latin1') === 'PK' ? ['java', ['-jar', real]] : [real, []];
  } finally {
    await handle.close();
  }
}
