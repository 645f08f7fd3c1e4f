import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The README's "Embed in your TipTap editor" example must be real code: it is the SDK's
 * examples/embed-tiptap.ts, which the SDK's examples tsconfig compiles against the SDK sources.
 */
describe('README TipTap example', () => {
  it('is the compiled example file, line for line, in at most 15 non-blank lines of code', async () => {
    const readme = await readFile('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Embed in your TipTap editor'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const example = await readFile('client-sdk/examples/embed-tiptap.ts', 'utf8');
    expect(block?.trim()).toBe(example.trim());
    expect(example.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(15);
  });

  it('compiles', async () => {
    const tsc = 'node_modules/typescript/bin/tsc';
    const run = promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', 'client-sdk/tsconfig.examples.json']);
    await expect(run).resolves.toBeDefined();
  }, 120_000);
});
