import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = fileURLToPath(new URL('../helpers/pglite-writer.ts', import.meta.url));
const logger = createLogger({ level: 'silent' });

interface Ack {
  documentName: string;
  seq: number;
}

/** Runs the writer until it has acknowledged `atLeast` appends, then SIGKILLs it. */
async function writeUntilKilled(dataDir: string, atLeast: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /^ack (\S+) (\d+)$/.exec(line);
      if (match) acks.push({ documentName: match[1]!, seq: Number(match[2]) });
    }
  });
  // 'close' fires after the process exited and its stdout was read to the end, so acks printed
  // just before the kill are counted too.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  try {
    await vi.waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`writer exited early (${child.exitCode}): ${stderr}`);
        expect(acks.length).toBeGreaterThanOrEqual(atLeast);
      },
      { timeout: 30_000, interval: 10 },
    );
  } finally {
    child.kill('SIGKILL');
  }
  const { signal } = await closed;
  expect(signal).toBe('SIGKILL');
  return acks;
}

describe('PGlite durability across kill -9', () => {
  let dataDir = '';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-durability-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged update after SIGKILL, twice in a row', { timeout: 90_000 }, async () => {
    const acks = [...(await writeUntilKilled(dataDir, 400)), ...(await writeUntilKilled(dataDir, 400))];

    const db = await createDatabase({ dataDir, logger });
    try {
      const documentNames = [...new Set(acks.map((a) => a.documentName))];
      const stored = new Set<number>();
      for (const documentName of documentNames) {
        for (const update of (await db.documents.load(documentName)).updates) stored.add(update.seq);
      }
      const missing = acks.filter((a) => !stored.has(a.seq));
      console.log(`[durability] ${acks.length} acknowledged, ${stored.size} stored, ${missing.length} missing`);
      expect(missing).toEqual([]);
      expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
    } finally {
      await db.close();
    }
  });
});
