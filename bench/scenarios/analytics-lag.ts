/**
 * analytics-lag: from an edit to its appearance in the REST writing analytics (target p99 < 1 s).
 *
 * A Storyloom server process; a few real providers (role editor), each in its own document,
 * type " word" into the first paragraph, one word per transaction every TYPE_EVERY_MS, for
 * 20 s (quick) or 60 s (--full). A poller (project owner token) fetches
 * GET /api/realtime/analytics/project/:projectId/writing every POLL_EVERY_MS and sums each
 * writer's `wordsNet` over the days around today (UTC). When a writer's cumulative net words
 * first reaches n, word n became visible: lag = that response's arrival − the time word n was
 * typed. Words typed later than that are counted as soon as the count covers them.
 * Bare Hocuspocus has no analytics, so there is no baseline column.
 */
import { signToken } from '../../src/auth/tokens.js';
import { TEST_SECRET, connectClient, typeInto, type TestClient } from '../../tests/helpers/test-server.js';
import { FULL, header, table, writeResult } from '../lib/report.js';
import { startBenchServer } from '../lib/server-procs.js';
import { summarize } from '../lib/stats.js';

const PROJECT = 'bench';
const WRITERS = 3;
const TYPE_EVERY_MS = 200;
const POLL_EVERY_MS = 25;
const DURATION_MS = FULL ? 60_000 : 20_000;
/** After the last word, how long the poller keeps waiting for stragglers. */
const DRAIN_MS = 10_000;
const CONNECT_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bounded<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const dayOffset = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

interface ReportJson {
  writers: { userId: string; days: { day: string; wordsNet: number }[] }[];
}

interface Writer {
  userId: string;
  client: TestClient;
  /** sentAt[n - 1]: performance.now() when the writer's n-th word was typed. */
  sentAt: number[];
  /** Highest cumulative net-word count seen in the report so far. */
  visible: number;
}

export async function analyticsLag(): Promise<string> {
  const server = await startBenchServer('storyloom');
  const httpUrl = server.wsUrl.replace(/^ws:/, 'http:').replace(/\/collaboration$/, '');
  const writers: Writer[] = [];
  try {
    for (let i = 0; i < WRITERS; i++) {
      const userId = `writer${i}`;
      const token = await signToken(TEST_SECRET, { userId, name: userId, projects: { [PROJECT]: 'editor' } });
      const client = connectClient(server.wsUrl, `${PROJECT}/lag-${i}`, token);
      writers.push({ userId, client, sentAt: [], visible: 0 });
      await bounded(`${userId} sync`, client.synced, CONNECT_TIMEOUT_MS);
    }
    const ownerToken = await signToken(TEST_SECRET, { userId: 'owner', name: 'owner', projects: { [PROJECT]: 'owner' } });
    const reportUrl = `${httpUrl}/api/realtime/analytics/project/${PROJECT}/writing?from=${dayOffset(-1)}&to=${dayOffset(1)}&tz=UTC`;

    const lags: number[] = [];
    const pollMs: number[] = [];
    let pollErrors = 0;
    let lastPollError = '';
    let typing = true;
    const t0 = performance.now();
    const typeDeadline = t0 + DURATION_MS;

    // Writers: staggered so their transactions do not all land on the same tick.
    const typers = writers.map(async (w, i) => {
      await sleep((TYPE_EVERY_MS / writers.length) * i);
      let next = performance.now();
      while (next < typeDeadline) {
        w.sentAt.push(performance.now());
        typeInto(w.client.ydoc, ' word');
        next += TYPE_EVERY_MS;
        await sleep(Math.max(0, next - performance.now()));
      }
    });

    const totalSent = () => writers.reduce((s, w) => s + w.sentAt.length, 0);
    const totalVisible = () => writers.reduce((s, w) => s + Math.min(w.visible, w.sentAt.length), 0);

    const poller = (async () => {
      let next = performance.now();
      let drainDeadline = Infinity;
      for (;;) {
        const now = performance.now();
        if (!typing) {
          if (drainDeadline === Infinity) drainDeadline = now + DRAIN_MS;
          if (totalVisible() >= totalSent() || now > drainDeadline) return;
        }
        const start = performance.now();
        try {
          const res = await fetch(reportUrl, { headers: { authorization: `Bearer ${ownerToken}` }, signal: AbortSignal.timeout(10_000) });
          if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
          const body = (await res.json()) as ReportJson;
          const arrived = performance.now();
          pollMs.push(arrived - start);
          for (const w of writers) {
            const report = body.writers.find((r) => r.userId === w.userId);
            const net = report ? report.days.reduce((s, d) => s + d.wordsNet, 0) : 0;
            const upTo = Math.min(net, w.sentAt.length);
            for (let n = w.visible + 1; n <= upTo; n++) lags.push(arrived - w.sentAt[n - 1]!);
            if (upTo > w.visible) w.visible = upTo;
          }
        } catch (error) {
          pollErrors++;
          lastPollError = (error as Error).message;
        }
        next += POLL_EVERY_MS;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else next = performance.now();
      }
    })();

    let lastLagCount = 0;
    const progress = setInterval(() => {
      const fresh = summarize(lags.slice(lastLagCount));
      lastLagCount = lags.length;
      console.log(
        `  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${totalSent()} words typed, ${totalVisible()} visible, ` +
          `lag this second p50 ${fresh.p50.toFixed(0)} ms max ${fresh.max.toFixed(0)} ms, ${pollMs.length} polls, ${pollErrors} poll errors${lastPollError ? ` (${lastPollError})` : ''}`,
      );
    }, 1_000);
    try {
      await Promise.all(typers);
      typing = false;
      await poller;
    } finally {
      clearInterval(progress);
    }

    const sent = totalSent();
    const seen = totalVisible();
    const lag = summarize(lags);
    const poll = summarize(pollMs);
    await writeResult('analytics-lag', {
      writers: WRITERS,
      typeEveryMs: TYPE_EVERY_MS,
      pollEveryMs: POLL_EVERY_MS,
      durationMs: DURATION_MS,
      wordsTyped: sent,
      wordsVisible: seen,
      pollErrors,
      lagMs: lag,
      pollRequestMs: poll,
      perWriter: writers.map((w) => ({ userId: w.userId, typed: w.sentAt.length, visible: w.visible })),
    });
    const na = 'n/a (bare has no analytics)';
    return [
      header(),
      `${WRITERS} providers (editor), each typing " word" every ${TYPE_EVERY_MS} ms into its own document for ${DURATION_MS / 1000} s; ` +
        `the report polled every ${POLL_EVERY_MS} ms by the project owner. Lag = response arrival − time the word was typed, ` +
        `per word, when the writer's cumulative wordsNet first covers it. Words visible: ${seen} of ${sent}${pollErrors ? `; ${pollErrors} failed polls` : ''}. ` +
        `Target: p99 < 1,000 ms — ${lag.p99 < 1_000 && seen === sent ? 'met' : 'NOT met'}. Bare Hocuspocus has no writing analytics, so it has no figures here.`,
      '',
      table([
        { label: 'edit → REST analytics lag p50 (ms)', storyloom: lag.p50, bare: NaN, digits: 0, ratio: na },
        { label: 'edit → REST analytics lag p95 (ms)', storyloom: lag.p95, bare: NaN, digits: 0, ratio: na },
        { label: 'edit → REST analytics lag p99 (ms)', storyloom: lag.p99, bare: NaN, digits: 0, ratio: na },
        { label: 'edit → REST analytics lag max (ms)', storyloom: lag.max, bare: NaN, digits: 0, ratio: na },
        { label: 'words measured', storyloom: lag.count, bare: NaN, digits: 0, ratio: na },
        { label: 'report request p50 / p99 (ms)', storyloom: poll.p50, bare: NaN, digits: 1, ratio: `p99 ${poll.p99.toFixed(1)} ms` },
      ]),
    ].join('\n');
  } finally {
    for (const w of writers) w.client.destroy();
    await server.cleanup();
  }
}
