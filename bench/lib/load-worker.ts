/**
 * A load-generator process (forked by load.ts with `--import tsx`): runs its share of writers
 * and answers over IPC. Protocol, parent -> worker:
 *   connect {url, clients, secret, concurrency}  -> connected {synced, failed, ms}
 *   go {until, editsPerSecond, caretHz}           -> progress {sent} once a second until `until`
 *   collect                                       -> report {writers, latency, cpu}
 *   close                                         -> the worker destroys its clients and exits
 * The worker also exits by itself if the parent goes away or after `lifetimeMs`, so a crashed
 * harness never leaves clients typing at a server.
 */
import { signToken } from '../../src/auth/tokens.js';
import { createHistogram, type HistogramData } from './histogram.js';
import { createWriter, type Writer, type WriterReport } from './writer.js';

export interface ClientSpec {
  document: string;
  userId: string;
}

export type ParentMessage =
  | { type: 'connect'; url: string; clients: ClientSpec[]; secret: string; concurrency: number; timeoutMs: number; lifetimeMs: number }
  | { type: 'go'; until: number; steadyFrom: number; editsPerSecond: number; caretHz: number }
  | { type: 'collect' }
  | { type: 'close' };

export type WorkerMessage =
  | { type: 'connected'; synced: number; failed: number; ms: number; errors: string[] }
  | { type: 'progress'; sent: number }
  | { type: 'report'; writers: WriterReport[]; latency: HistogramData; steadyLatency: HistogramData; cpu: { userMs: number; systemMs: number; wallMs: number } }
  | { type: 'error'; message: string };

const latency = createHistogram();
const steady = { from: Infinity, latency: createHistogram() };
const writers: Writer[] = [];
let cpuMark = { usage: process.cpuUsage(), at: performance.now() };

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function connect(message: Extract<ParentMessage, { type: 'connect' }>): Promise<void> {
  const t0 = performance.now();
  setTimeout(() => process.exit(3), message.lifetimeMs).unref();
  const errors: string[] = [];
  let synced = 0;
  let failed = 0;
  let next = 0;
  // A bounded number of handshakes in flight, as many tabs opening at once would not all be.
  const lane = async (): Promise<void> => {
    while (next < message.clients.length) {
      const spec = message.clients[next++]!;
      const token = await signToken(message.secret, { userId: spec.userId, name: spec.userId, projects: { bench: 'editor' } });
      const writer = createWriter({ url: message.url, document: spec.document, token, name: spec.userId, latency, steady });
      writers.push(writer);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('sync timed out')), message.timeoutMs);
      });
      try {
        await Promise.race([writer.synced, timeout]);
        synced++;
      } catch (error) {
        failed++;
        if (errors.length < 5) errors.push(String(error));
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, message.concurrency) }, lane));
  send({ type: 'connected', synced, failed, ms: performance.now() - t0, errors });
}

function go(message: Extract<ParentMessage, { type: 'go' }>): void {
  cpuMark = { usage: process.cpuUsage(), at: performance.now() };
  steady.from = message.steadyFrom;
  for (const writer of writers) writer.start(message);
  const progress = setInterval(() => {
    send({ type: 'progress', sent: writers.reduce((n, w) => n + w.sent, 0) });
    if (Date.now() >= message.until) clearInterval(progress);
  }, 1_000);
}

function collect(): void {
  const usage = process.cpuUsage(cpuMark.usage);
  const wallMs = performance.now() - cpuMark.at;
  for (const writer of writers) writer.stop();
  send({
    type: 'report',
    writers: writers.map((w) => w.report()),
    latency: latency.data(),
    steadyLatency: steady.latency.data(),
    cpu: { userMs: usage.user / 1000, systemMs: usage.system / 1000, wallMs },
  });
}

function close(): void {
  for (const writer of writers) writer.destroy();
  // Give the close frames a moment to leave, then go.
  setTimeout(() => process.exit(0), 200).unref();
}

process.on('message', (message: ParentMessage) => {
  try {
    if (message.type === 'connect') void connect(message).catch((error: unknown) => send({ type: 'error', message: String(error) }));
    else if (message.type === 'go') go(message);
    else if (message.type === 'collect') collect();
    else close();
  } catch (error) {
    send({ type: 'error', message: String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
