import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generatedSource, openApiDocument } from '../../scripts/gen-api-types.js';

/**
 * client-sdk/src/openapi.gen.ts is generated from the server's OpenAPI document; this fails
 * while it is stale (fix: `npx tsx scripts/gen-api-types.ts`). It also pins that every operation
 * declares its access level, which the authorization matrix reads.
 */
describe('generated SDK API types', { timeout: 120_000 }, () => {
  it('match the live OpenAPI document', async () => {
    expect(await readFile(GENERATED_FILE, 'utf8')).toBe(await generatedSource());
  });

  it('list every path, each operation with an x-access level', async () => {
    const doc = (await openApiDocument()) as { paths: Record<string, Record<string, { 'x-access'?: string }>> };
    // 11 of them notifications (inbox, read, read-all, archive, send, deliveries, digest preview, preferences, push subscriptions x2, unsubscribe); 2 workflow templates (list, instantiate)
    expect(Object.keys(doc.paths)).toHaveLength(56);
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => typeof op === 'object' && op !== null && !op['x-access'])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
