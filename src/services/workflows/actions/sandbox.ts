import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ActionError } from '../action-handlers.js';
import { isResourceId } from '../../../lib/ids.js';

/**
 * Where workflow actions may touch files: `DATA_DIR/files/<projectId>/`, one directory per project
 * so that one project's workflow never reads another's exports. A definition names files by a
 * relative path; absolute paths, `..` segments and symlinks leading out are refused (the real
 * path of the file, or of its nearest existing parent for a new file, must stay inside).
 */
export interface Sandbox {
  /** The project's directory (created on first use). */
  root(projectId: string): Promise<string>;
  /** The absolute real path of `path` inside the project's directory; throws a permanent ActionError otherwise. */
  /**
   * `create`: make the missing parent directories. `link`: the path of a symlink itself (its
   * directory resolved), not of what it points to — for deleting a link, not its target.
   */
  resolve(projectId: string, path: string, options?: { create?: boolean; link?: boolean }): Promise<string>;
  /** The path relative to the project's directory, with `/` separators (what outputs show). */
  relative(projectId: string, absolute: string): Promise<string>;
}

/** Largest relative path a definition may give. */
const MAX_PATH = 512;

export function createSandbox(filesDir: string): Sandbox {
  const base = resolve(filesDir);

  async function root(projectId: string): Promise<string> {
    if (!isResourceId(projectId)) throw new ActionError(`bad project id ${JSON.stringify(projectId)}`, { permanent: true });
    const dir = join(base, projectId);
    await mkdir(dir, { recursive: true });
    return realpath(dir);
  }

  const inside = (rootDir: string, path: string) => path === rootDir || path.startsWith(rootDir + sep);

  return {
    root,

    async resolve(projectId, path, options = {}) {
      const refuse = (why: string) => new ActionError(`file path ${JSON.stringify(path.slice(0, 200))} refused: ${why}`, { permanent: true });
      if (path.length === 0 || path.length > MAX_PATH) throw refuse(`must be 1-${MAX_PATH} characters`);
      if (path.includes('\0')) throw refuse('contains a NUL character');
      if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('\\')) throw refuse('absolute paths are not allowed; give a path relative to the project files directory');
      if (path.split(/[/\\]+/).includes('..')) throw refuse('".." is not allowed');
      const rootDir = await root(projectId);
      const target = resolve(rootDir, path);
      if (!inside(rootDir, target) || target === rootDir) throw refuse('outside the project files directory');
      // The real path of the target (or its nearest existing ancestor) decides: a symlink anywhere
      // on the way that leads out is refused.
      let existing = target;
      for (;;) {
        try {
          await lstat(existing);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          existing = dirname(existing);
        }
      }
      const real = await realpath(existing).catch((error: NodeJS.ErrnoException) => {
        // A dangling symlink: where it points cannot be checked, so it is not followed.
        if (error.code === 'ENOENT') throw refuse('a symbolic link on the way points nowhere');
        throw error;
      });
      if (!inside(rootDir, real)) throw refuse('a symbolic link leads outside the project files directory');
      let resolved = join(real, relative(existing, target));
      if (options.link && existing === target) {
        const parent = await realpath(dirname(target));
        if (!inside(rootDir, parent)) throw refuse('a symbolic link leads outside the project files directory');
        resolved = join(parent, basename(target));
      }
      if (options.create) await mkdir(dirname(resolved), { recursive: true });
      return resolved;
    },

    async relative(projectId, absolute) {
      return relative(await root(projectId), absolute).split(sep).join('/');
    },
  };
}
