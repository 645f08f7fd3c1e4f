/**
 * Child process for tests/integration/pglite-durability.test.ts: opens PGlite in the directory
 * given as argv[2], appends updates through group commit as fast as it can (several documents,
 * many appends in flight) and prints `ack <documentName> <seq>` for each acknowledged append.
 * It never exits on its own; the parent kills it with SIGKILL mid-stream.
 */
import { createDatabase } from '../../src/db/client.js';
import { createGroupCommit } from '../../src/db/group-commit.js';
import { createLogger } from '../../src/lib/logger.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: pglite-writer.ts <dataDir>');

const logger = createLogger({ level: 'silent' });
const db = await createDatabase({ dataDir, logger });
const commit = createGroupCommit({ store: db.documents, maxBatch: 32, maxDelayMs: 1, logger });
const documents = Array.from({ length: 5 }, (_, i) => `durability/doc-${i}`);
let next = 0;

async function writer(): Promise<never> {
  for (;;) {
    const n = next++;
    const documentName = documents[n % documents.length]!;
    const seq = await commit.append({
      documentName,
      update: Uint8Array.of(n % 256, (n >> 8) % 256, 7, 7),
      userId: 'durability',
      receivedAt: Date.now(),
    });
    // stdout to a pipe is synchronous on Linux: once this returns, the parent can read the line.
    process.stdout.write(`ack ${documentName} ${seq}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 64 }, writer));
