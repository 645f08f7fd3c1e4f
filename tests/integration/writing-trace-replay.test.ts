import type { HocuspocusProvider } from '@hocuspocus/provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createWritingSession, editFromWords, transition, type WritingSession } from '../../src/tracking/writing/session-model.js';
import { countWords, createParagraphWordIndex, type TransactionWords } from '../../src/tracking/writing/word-count.js';
import { connectGateway } from '../helpers/gateway-client.js';
import { redisUrl, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, type TestClient, type TestServer } from '../helpers/test-server.js';
import { AGENT_LOCAL_ORIGIN, concurrentTraceToUpdates, loadConcurrentTrace, loadSequentialTrace } from '../helpers/traces.js';

/**
 * Real editing traces through real HocuspocusProvider clients, one per author, with the
 * server's clock following the trace's timestamps. Time is compressed (nobody waits 53 minutes),
 * but every update is applied on the server at its trace time, in trace order.
 */

/**
 * Months of typing replayed in seconds through one socket is a frame flood by design: lift the
 * per-socket frame limit (4429 past it) so every update arrives as its own message, as it did live.
 */
const REPLAY_RATE = { COLLAB_MESSAGES_PER_SECOND: '1000000', COLLAB_MESSAGE_BURST: '10000000' };

/** Resolves once the server acknowledged (applied) everything the provider sent. */
function acked(provider: HocuspocusProvider): Promise<void> {
  if (!provider.hasUnsyncedChanges) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (provider.hasUnsyncedChanges) return;
      provider.off('unsyncedChanges', check);
      resolve();
    };
    provider.on('unsyncedChanges', check);
  });
}

/**
 * Bounded backlog on both sides of the socket. With DURABLE_ACK=false an acknowledgement means
 * applied, not committed, so pacing on acks alone lets the update log's outbox grow without limit
 * (the replay outruns PGlite's group commit), and past PENDING_LOG_MAX_UPDATES_PER_DOCUMENT the
 * server rightly refuses the writer 4503; its reconnect re-sends the rest as one merged sync step,
 * which is no longer the trace's one update per transaction. So wait for the log too.
 */
async function drained(t: TestServer, provider: HocuspocusProvider, documentName: string): Promise<void> {
  await acked(provider);
  await t.server.collaboration.persistence.settled(documentName);
}

/** The first close of a client's socket, if any: a replay must run on one unbroken connection. */
function watchClose(client: TestClient): () => { code: number; reason: string } | null {
  let closed: { code: number; reason: string } | null = null;
  void client.closed.then((event) => (closed = event));
  return () => closed;
}

/** Collects bus events of one project (its own consumer group). */
function collect(t: TestServer, projectId: string): StoryloomEvent[] {
  const events: StoryloomEvent[] = [];
  t.server.bus.subscribe({
    group: uniqueName('replay'),
    categories: ['writing'],
    async handle(event) {
      if (event.projectId === projectId) events.push(event);
    },
  });
  return events;
}

/**
 * Makes the server's clock follow the trace exactly, without a round trip per trace second: the
 * test queues each update's time as its provider sends it, and the server doc's
 * beforeTransaction for a connection's update (one transaction per message, applied in send
 * order) sets the clock to it, so the tracker reads that time in afterTransaction.
 */
function followTraceTime(serverDoc: Y.Doc, clock: ReturnType<typeof createManualClock>) {
  const times: number[] = [];
  let applied = 0;
  const took = new WeakSet<Y.Transaction>();
  const fromConnection = (tr: Y.Transaction) => (tr.origin as { source?: string } | null)?.source === 'connection';
  serverDoc.on('beforeTransaction', (tr: Y.Transaction) => {
    if (!fromConnection(tr) || applied >= times.length) return;
    clock.set(times[applied++]!);
    took.add(tr);
  });
  // A provider's late handshake (an empty sync step 2) is a connection transaction too: it
  // changed nothing, so the time it took goes back to the queue for the next real update.
  serverDoc.on('afterTransaction', (tr: Y.Transaction) => {
    if (took.has(tr) && tr.changed.size === 0 && tr.deleteSet.clients.size === 0) applied--;
  });
  return {
    sent: (timeMs: number) => void times.push(timeMs),
    count: () => times.length,
    /** Times queued but not yet taken by an applied update. */
    pending: () => times.length - applied,
  };
}

/** The pure session model run over one writer's edits, independently of the server. */
function modelSessions(edits: { at: number; words: TransactionWords }[], endAt: number): WritingSession[] {
  const done: WritingSession[] = [];
  let session: WritingSession | null = null;
  for (const { at, words: w } of edits) {
    if (w.insertedChars === 0 && w.deletedChars === 0 && w.netWords === 0 && w.wordsAdded === 0 && w.wordsRemoved === 0) continue;
    const input = editFromWords(w, 'd', at);
    session ??= createWritingSession({ sessionId: `s${done.length}`, writerId: 'w', projectId: 'p' });
    let t = transition(session, input);
    if (t.ignored) {
      done.push(t.state);
      session = createWritingSession({ sessionId: `s${done.length}`, writerId: 'w', projectId: 'p' });
      t = transition(session, input);
    }
    session = t.state;
  }
  if (session !== null) done.push(transition(session, { kind: 'tick', at: endAt }).state);
  return done;
}

/** With REDIS_URL the replays run on the Redis bus and live store too. */
const backend: Record<string, string> = redisUrl ? { REDIS_URL: redisUrl } : {};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const of = (events: StoryloomEvent[], type: string, actor: string) => events.filter((e) => e.type === type && e.actor === actor);

describe('clownschool (3 writers, 23,136 transactions) through real providers', () => {
  const clock = createManualClock(0);
  let t: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ WRITING_FLUSH_MS: '100', DURABLE_ACK: 'false', ...REPLAY_RATE, ...backend }, { clock });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    // Documents unload once their last client left; let them, before Redis goes away.
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0), { timeout: 30_000 });
    await t.cleanup();
  });

  it('attributes each writer exactly their own words, and the analytics report agrees', async () => {
    const trace = loadConcurrentTrace('clownschool');
    // Independent reference: each agent's own transactions measured in that agent's own replica.
    const own: { at: number; words: TransactionWords }[][] = Array.from({ length: trace.numAgents }, () => []);
    const updates = concurrentTraceToUpdates(trace, {
      observeAgentDoc(doc, agent) {
        const index = createParagraphWordIndex(doc.getText('text'));
        doc.on('afterTransaction', (tr: Y.Transaction) => {
          const words = index.applyTransaction(tr);
          if (tr.origin === AGENT_LOCAL_ORIGIN && words !== null) own[agent]!.push({ at: -1, words });
        });
      },
    });
    // Attach times: an agent's k-th non-empty local transaction is its k-th non-empty txn in the trace.
    const cursor = own.map(() => 0);
    for (const u of updates) if (trace.txns[u.index]!.patches.length > 0) own[u.agent]![cursor[u.agent]!++]!.at = u.timeMs;
    const expectedNet = own.map((edits) => sum(edits.map((e) => e.words.netWords)));
    expect(expectedNet).toEqual([2089, 342, 1503]);
    const finalWords = countWords(trace.endContent);
    expect(finalWords).toBe(3934);

    const project = uniqueName('replay').replace(/_/g, '-');
    const users = own.map((_, agent) => `agent-${agent}`);
    const events = collect(t, project);
    clock.set(updates[0]!.timeMs);
    for (const user of users) clients.push(connectClient(t.wsUrl, `${project}/clownschool`, await t.token(user, { [project]: 'editor' })));
    await Promise.all(clients.map((c) => c.synced));

    const serverDoc = t.server.collaboration.hocuspocus.documents.get(`${project}/clownschool`)!;
    const serverClock = followTraceTime(serverDoc, clock);
    const closes = clients.map(watchClose);
    let sent = false;
    for (const c of clients) c.ydoc.on('update', (_update: Uint8Array, origin: unknown) => void (origin !== c.provider && (sent = true)));

    const started = performance.now();
    const given = users.map(() => -1); // last update index each agent's doc was handed directly
    let previous = -1;
    for (const u of updates) {
      const client = clients[u.agent]!;
      // Trace order on the server: another writer's update goes out only once everything sent
      // before it has been applied (each socket is in order by itself).
      if (previous >= 0 && previous !== u.agent) await acked(clients[previous]!.provider);
      if (u.index % 5_000 === 4_999 && previous >= 0) await drained(t, clients[previous]!.provider, `${project}/clownschool`);
      // The writer's replica needs the others' earlier updates to integrate its own at once (the
      // server's broadcasts of them may still be on the wire). Origin = the provider: not re-sent.
      if (given[u.agent]! < u.index - 1) {
        client.ydoc.transact(() => {
          for (let k = given[u.agent]! + 1; k < u.index; k++) if (updates[k]!.agent !== u.agent) Y.applyUpdate(client.ydoc, updates[k]!.update);
        }, client.provider);
      }
      given[u.agent] = u.index;
      sent = false;
      Y.applyUpdate(client.ydoc, u.update);
      if (sent) serverClock.sent(u.timeMs); // a no-op update (e.g. deleting what is already deleted) is not sent
      previous = u.agent;
    }
    await Promise.all(clients.map((c) => acked(c.provider)));
    const seconds = (performance.now() - started) / 1000;
    console.log(`[replay] clownschool: ${updates.length} transactions (${serverClock.count()} updates sent) through 3 providers in ${seconds.toFixed(1)} s`);
    expect(closes.map((closed) => closed())).toEqual(clients.map(() => null));
    expect(serverClock.pending()).toBe(0);

    expect(serverDoc.getText('text').toString()).toBe(trace.endContent);

    // Every session ends by timeout 15 minutes after its writer's last edit.
    const endAt = updates.at(-1)!.timeMs + 16 * 60_000;
    clock.set(endAt);
    await t.server.writing!.flush();
    await t.server.writing!.tick();
    await t.server.writing!.flush();

    const actors = users.map((u) => t.server.actorOf(u));
    const wordsWritten = actors.map((a) => sum(of(events, 'writing.words_written', a).map((e) => (e.payload as { net: number }).net)));
    const sessionNet = actors.map((a) => sum(of(events, 'writing.session_ended', a).map((e) => (e.payload as { netWords: number }).netWords)));
    expect(wordsWritten).toEqual(expectedNet);
    expect(sessionNet).toEqual(expectedNet);
    expect(sum(wordsWritten)).toBe(finalWords - 0); // the document started empty
    const models = own.map((edits) => modelSessions(edits, endAt));
    expect(actors.map((a) => of(events, 'writing.session_started', a).length)).toEqual(models.map((m) => m.length));
    expect(actors.map((a) => of(events, 'writing.session_ended', a).length)).toEqual(models.map((m) => m.length));
    console.log(`[replay] clownschool: net words per writer ${expectedNet.join(' / ')}, sessions ${models.map((m) => m.length).join(' / ')}`);

    // The analytics report (minute buckets and stored sessions) says the same.
    const owner = await t.token('editor-in-chief', { [project]: 'owner' });
    const res = await fetch(`${t.httpUrl}/api/realtime/analytics/project/${project}/writing?from=2023-11-22&to=2023-11-22&tz=UTC`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      writers: { userId: string; days: { day: string; wordsNet: number }[]; sessions: number; writingMs: number; composedWords: number }[];
    };
    const byUser = new Map(report.writers.map((w) => [w.userId, w]));
    users.forEach((user, agent) => {
      const writer = byUser.get(user)!;
      const model = models[agent]!;
      expect(writer.days.map((d) => [d.day, d.wordsNet])).toEqual([['2023-11-22', expectedNet[agent]]]);
      expect(writer.sessions).toBe(model.length);
      expect(writer.composedWords).toBe(sum(model.map((s) => s.totals.composedWords)));
      expect(writer.writingMs).toBe(sum(model.map((s) => s.timeInState.warming_up + s.timeInState.active + s.timeInState.flow)));
    });
  }, 180_000);
});

/**
 * seph-blog1 through a real HocuspocusProvider, like clownschool: 137,154 updates, the server's
 * clock following the trace's 90 days. It takes about a minute on a 2-core machine (every update
 * pays the update log, and the compressed 90 days publish some 26,000 events into the same
 * PGlite). The reference numbers come from a word index on the writer's own replica.
 */
describe('seph-blog1 (one writer, 137,154 transactions over 90 days) through a real provider', () => {
  const clock = createManualClock(0);
  let t: TestServer;
  let client: TestClient | undefined;
  beforeAll(async () => {
    t = await startTestServer({ WRITING_FLUSH_MS: '100', DURABLE_ACK: 'false', ...REPLAY_RATE, ...backend }, { clock });
  });
  afterAll(async () => {
    client?.destroy();
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0), { timeout: 30_000 });
    await t.cleanup();
  });

  it('gives the writer every net word and the sessions of the pure model', async () => {
    const trace = loadSequentialTrace('seph-blog1');
    const project = uniqueName('blog').replace(/_/g, '-');
    const events = collect(t, project);
    // Break suggestions are insights pushed to the writer's own channel (there is no event for them).
    const gateway = await connectGateway(`ws://127.0.0.1:${t.port}/ws/analytics?token=${await t.token('seph', { [project]: 'editor' })}`);
    expect((await gateway.subscribe('user:seph')).type).toBe('subscribed');
    clock.set(Date.parse(trace.txns[0]!.time));
    client = connectClient(t.wsUrl, `${project}/blog`, await t.token('seph', { [project]: 'editor' }));
    await client.synced;
    const serverDoc = t.server.collaboration.hocuspocus.documents.get(`${project}/blog`)!;
    const serverClock = followTraceTime(serverDoc, clock);
    const closed = watchClose(client);
    const doc = client.ydoc;
    const text = doc.getText('text');
    const index = createParagraphWordIndex(text);
    const edits: { at: number; words: TransactionWords }[] = [];
    let words: TransactionWords | null = null;
    let sent = false;
    doc.on('afterTransaction', (tr: Y.Transaction) => void (words = index.applyTransaction(tr)));
    doc.on('update', (_update: Uint8Array, origin: unknown) => void (origin !== client!.provider && (sent = true)));
    const started = performance.now();
    for (let i = 0; i < trace.txns.length; i++) {
      const txn = trace.txns[i]!;
      const at = Date.parse(txn.time);
      words = null;
      sent = false;
      doc.transact(() => {
        for (const [pos, del, ins] of txn.patches) {
          if (del > 0) text.delete(pos, del);
          if (ins.length > 0) text.insert(pos, ins);
        }
      });
      if (sent) serverClock.sent(at);
      if (words !== null) edits.push({ at, words });
      // Bounded backlog: let the socket and the log drain now and then instead of queueing 137k frames.
      if (i % 5_000 === 4_999) await drained(t, client.provider, `${project}/blog`);
    }
    expect(text.toString()).toBe(trace.endContent);
    await acked(client.provider);
    expect(closed()).toBeNull();
    expect(serverClock.pending()).toBe(0);
    expect(serverDoc.getText('text').toString()).toBe(trace.endContent);
    const writing = t.server.writing!;

    const endAt = Date.parse(trace.txns.at(-1)!.time) + 16 * 60_000;
    await writing.flush();
    clock.set(endAt);
    await writing.tick();
    await writing.flush();
    console.log(`[replay] seph-blog1: ${trace.txns.length} transactions through a real provider in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const actor = t.server.actorOf('seph');
    const net = countWords(trace.endContent) - countWords(trace.startContent);
    expect(net).toBe(9040);
    expect(sum(of(events, 'writing.words_written', actor).map((e) => (e.payload as { net: number }).net))).toBe(net);
    const ended = of(events, 'writing.session_ended', actor).map((e) => e.payload as { netWords: number });
    expect(sum(ended.map((p) => p.netWords))).toBe(net);
    const model = modelSessions(edits, endAt);
    expect(ended).toHaveLength(model.length);
    expect(of(events, 'writing.flow_entered', actor)).toHaveLength(sum(model.map((s) => s.flowEpisodes)));
    const composed = sum(model.map((s) => s.totals.composedWords));
    const pasted = sum(model.map((s) => s.totals.pastedWords));
    // The core's own replay of this trace (docs/writing-analytics.md): 38 sessions, 25 flow
    // episodes, 6 break suggestions, 22,404 composed and 3,649 pasted words.
    expect([model.length, sum(model.map((s) => s.flowEpisodes)), composed, pasted]).toEqual([38, 25, 22_404, 3_649]);
    const isBreak = (m: { type: string; data?: unknown }) => m.type === 'event' && (m.data as { kind?: string }).kind === 'writing.break_suggested';
    await vi.waitFor(() => expect(gateway.messages.filter(isBreak)).toHaveLength(6), { timeout: 10_000 });
    gateway.close();

    // Buckets and stored sessions, through the REST report over the whole 90 days.
    const owner = await t.token('seph', { [project]: 'owner' });
    const res = await fetch(`${t.httpUrl}/api/realtime/analytics/project/${project}/writing?from=2021-05-12&to=2021-08-10&tz=UTC`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(res.status).toBe(200);
    const [writer] = ((await res.json()) as { writers: { days: { wordsNet: number }[]; sessions: number; composedWords: number; writingMs: number }[] }).writers;
    expect(sum(writer!.days.map((d) => d.wordsNet))).toBe(net);
    expect(writer!.sessions).toBe(38);
    expect(writer!.composedWords).toBe(composed);
    expect(writer!.writingMs).toBe(sum(model.map((s) => s.timeInState.warming_up + s.timeInState.active + s.timeInState.flow)));
    console.log(`[replay] seph-blog1: net ${net}, ${model.length} sessions, composed ${composed}, pasted ${pasted}`);
  }, 300_000);
});
