/**
 * Event bus throughput and latency on Redis Streams.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run bench -- event-bus
 *
 * 1. Reference: redis-benchmark's XADD of an entry the size of a real event, on the same Redis in
 *    the same run (one connection and 50 connections, 64 commands per pipeline).
 * 2. Publish: BENCH_EVENTS events through RedisStreamsBus.publish() (validation, JSON, one
 *    pipeline per tick), at most 40,000 unconfirmed at a time; events are built in the loop from
 *    ids generated beforehand.
 * 3. Consume: a new consumer group reads them all (and the 20,000 untimed warm-up events published
 *    before them) from the start of the stream (XREADGROUP, parse + validate, handler, XACK).
 * 4. Latency: BENCH_RATE events/s, paced, for BENCH_SECONDS, with a live group; time from the
 *    publish() call to the handler, same process, same clock.
 * Every loop is bounded in count and time; loopback only; keys under a unique prefix, deleted after.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import { createRedisStreamsBus } from '../src/events/redis-streams-bus.js';
import type { StoryloomEvent } from '../src/events/schema.js';
import { uuidv7 } from '../src/lib/ids.js';
import { createLogger } from '../src/lib/logger.js';
import { summarize, type Summary } from './lib/stats.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PHASE_LIMIT_MS = 60_000;
const CHUNK = 2_000;
const WARMUP = 20_000;
const MAX_UNCONFIRMED = 40_000;

const ACTOR = randomBytes(16).toString('hex');

/**
 * Ids are generated before the timed phases (uuidv7() draws 16 random bytes per call, which would
 * be measured as bus time); building the rest of the event is in the loop, as a caller would.
 */
let idPool: string[] = [];
/** A producer's cheap clock: one toISOString() (about 1 µs) per millisecond, as createEvent does. */
let isoCache = { ms: 0, iso: '' };
function nowIso(): string {
  const ms = Date.now();
  if (ms !== isoCache.ms) isoCache = { ms, iso: new Date(ms).toISOString() };
  return isoCache.iso;
}

function wordsWritten(i: number): StoryloomEvent<'writing.words_written'> {
  return {
    id: idPool[i] ?? uuidv7(),
    type: 'writing.words_written',
    category: 'writing',
    v: 1,
    occurredAt: nowIso(),
    projectId: 'bench',
    documentId: `chapter-${i % 20}`,
    actor: ACTOR,
    payload: { sessionId: `s-${i % 50}`, added: 12, removed: 2, net: 10, wpm: 28.5, windowMs: 5_000 },
  };
}

const yieldTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const progress = (text: string) => process.stdout.write(`\r  ${text}`.padEnd(72));

/** redis-benchmark's figure for XADD of `value` (requests/s), on a throwaway key. */
async function redisBenchmark(url: URL, key: string, clients: number, value: string): Promise<number> {
  const args = ['-h', url.hostname, '-p', url.port || '6379', '-q', '-n', '200000', '-c', String(clients), '-P', '64', 'XADD', key, '*', 'e', value];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', () => (clearTimeout(timer), resolve(text)));
  });
  const match = /([\d.]+) requests per second/.exec(output);
  if (!match) throw new Error(`cannot read redis-benchmark output: ${output.slice(-200)}`);
  return Number(match[1]);
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

interface Result {
  machine: string;
  redisVersion: string;
  eventBytes: number;
  uuidv7Micros: number;
  redisBenchmark: { clients: number; pipeline: number; xaddPerSecond: number }[];
  publish: { events: number; seconds: number; perSecond: number };
  consume: { events: number; seconds: number; perSecond: number };
  paced: { rate: number; seconds: number; published: number; consumed: number; latencyMs: Summary };
}

export async function eventBus(): Promise<string> {
  const url = new URL(REDIS_URL);
  const prefix = `bench_events_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const logger = createLogger({ level: 'warn' });
  // Retention above the run's size, so the consumer phase finds every event still there.
  const bus = createRedisStreamsBus({ redis, logger, prefix, retention: { writing: { maxLen: EVENTS * 2 } } });
  try {
    const info = await redis.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const sample = JSON.stringify(wordsWritten(0));

    console.log(`  redis-benchmark XADD (${sample.length}-byte field, 200,000 commands, -P 64)`);
    const reference: Result['redisBenchmark'] = [];
    for (const clients of [1, 50]) {
      const xaddPerSecond = await redisBenchmark(url, `${prefix}:redis-benchmark`, clients, sample);
      reference.push({ clients, pipeline: 64, xaddPerSecond });
      console.log(`  -c ${clients}: ${Math.round(xaddPerSecond).toLocaleString('en-US')} XADD/s`);
    }
    await redis.del(`${prefix}:redis-benchmark`);

    progress(`generating ${EVENTS.toLocaleString('en-US')} event ids`);
    const idStart = performance.now();
    idPool = Array.from({ length: EVENTS }, () => uuidv7());
    const uuidMicros = ((performance.now() - idStart) * 1000) / EVENTS;
    progress(`generated ids (${uuidMicros.toFixed(2)} µs each)\n`);

    // Warm-up (untimed): the JIT compiles the validators and the publish path before the clock
    // starts. These events are in the stream too; the consumer phase reads them with the rest.
    const warmup = Array.from({ length: WARMUP }, (_, i) => ({ ...wordsWritten(i), id: uuidv7() }));
    for (let i = 0; i < WARMUP; i += CHUNK) await Promise.all(warmup.slice(i, i + CHUNK).map((event) => bus.publish(event)));
    await bus.flush();

    // Publish: bounded by EVENTS and PHASE_LIMIT_MS.
    const publishStart = performance.now();
    const inFlight: Promise<unknown>[] = [];
    let published = 0;
    let lastReport = publishStart;
    while (published < EVENTS && performance.now() - publishStart < PHASE_LIMIT_MS) {
      const chunk: Promise<void>[] = [];
      for (let j = 0; j < CHUNK && published < EVENTS; j++, published++) chunk.push(bus.publish(wordsWritten(published)));
      inFlight.push(Promise.all(chunk));
      if (inFlight.length * CHUNK >= MAX_UNCONFIRMED) await inFlight.shift();
      else await yieldTick();
      if (performance.now() - lastReport > 500) {
        lastReport = performance.now();
        progress(`publish: ${published.toLocaleString('en-US')} events`);
      }
    }
    await Promise.all(inFlight);
    await bus.flush();
    const publishSeconds = (performance.now() - publishStart) / 1000;
    progress(`publish: ${published.toLocaleString('en-US')} events in ${publishSeconds.toFixed(2)} s\n`);

    // Consume everything from the start with a fresh group.
    let consumed = 0;
    const consumeStart = performance.now();
    const reader = bus.subscribe({ group: 'bench-reader', categories: ['writing'], startAt: 'beginning', handle: async () => void consumed++ });
    while (consumed < published + WARMUP && performance.now() - consumeStart < PHASE_LIMIT_MS) {
      await sleep(250);
      progress(`consume: ${consumed.toLocaleString('en-US')} of ${(published + WARMUP).toLocaleString('en-US')}`);
    }
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    await reader.stop();
    progress(`consume: ${consumed.toLocaleString('en-US')} events in ${consumeSeconds.toFixed(2)} s\n`);

    // Paced publish with a live group: publish-to-handler latency.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const live = bus.subscribe({
      group: 'bench-live',
      categories: ['writing'],
      handle: async (event) => {
        const t0 = sentAt.get(event.id);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
      },
    });
    await live.ready;
    let sent = 0;
    const pacedStart = performance.now();
    const pending: Promise<void>[] = [];
    for (let elapsed = 0; elapsed < SECONDS * 1000; elapsed = performance.now() - pacedStart) {
      const due = Math.min(Math.floor((elapsed / 1000) * RATE), RATE * SECONDS);
      for (; sent < due; sent++) {
        const event = { ...wordsWritten(sent), id: uuidv7() }; // fresh ids: the pool's are in the stream already
        sentAt.set(event.id, performance.now());
        pending.push(bus.publish(event));
      }
      if (pending.length > 10_000) await Promise.all(pending.splice(0));
      if (sent % RATE < RATE / 200) progress(`paced ${RATE.toLocaleString('en-US')}/s: ${sent.toLocaleString('en-US')} sent`);
      await sleep(2);
    }
    await Promise.all(pending);
    const drainStart = performance.now();
    while (latencies.length < sent && performance.now() - drainStart < 10_000) await sleep(50);
    await live.stop();
    progress(`paced: ${sent.toLocaleString('en-US')} sent, ${latencies.length.toLocaleString('en-US')} received\n`);

    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${redisVersion}`;
    const result: Result = {
      machine,
      redisVersion,
      eventBytes: sample.length,
      uuidv7Micros: uuidMicros,
      redisBenchmark: reference,
      publish: { events: published, seconds: publishSeconds, perSecond: published / publishSeconds },
      consume: { events: consumed, seconds: consumeSeconds, perSecond: consumed / consumeSeconds },
      paced: { rate: RATE, seconds: SECONDS, published: sent, consumed: latencies.length, latencyMs: summarize(latencies) },
    };
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/event-bus.json', JSON.stringify(result, null, 2));
    return render(result);
  } finally {
    await bus.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}

function render(r: Result): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const l = r.paced.latencyMs;
  return [
    `Machine: ${r.machine}. Event: writing.words_written, ${r.eventBytes} bytes of JSON. Redis, load generator and consumer share the machine.`,
    '',
    '| measurement | events | events/s |',
    '|---|---|---|',
    ...r.redisBenchmark.map((b) => `| redis-benchmark XADD, -c ${b.clients} -P ${b.pipeline} (reference) | 200,000 | ${n(b.xaddPerSecond)} |`),
    `| RedisStreamsBus.publish (validate, JSON, one pipeline per tick) | ${n(r.publish.events)} | ${n(r.publish.perSecond)} |`,
    `| consumer group read (XREADGROUP + validate + handler + XACK) | ${n(r.consume.events)} | ${n(r.consume.perSecond)} |`,
    '',
    `Event ids were generated before the timed phases (uuidv7() costs ${r.uuidv7Micros.toFixed(2)} µs here); the rest of each event is built in the publish loop. ` +
      `${n(WARMUP)} untimed warm-up events are published first; the consumer row reads them too.`,
    '',
    `Paced at ${n(r.paced.rate)} events/s for ${r.paced.seconds} s with a live consumer group: ${n(r.paced.published)} published, ${n(r.paced.consumed)} received.`,
    '',
    '| publish-to-handler latency | p50 ms | p95 ms | p99 ms | max ms |',
    '|---|---|---|---|---|',
    `| ${n(r.paced.rate)} events/s | ${l.p50.toFixed(2)} | ${l.p95.toFixed(2)} | ${l.p99.toFixed(2)} | ${l.max.toFixed(2)} |`,
  ].join('\n');
}
