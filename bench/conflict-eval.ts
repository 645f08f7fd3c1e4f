/**
 * Evaluation of conflict prediction (docs/conflict-prediction.md): `npx tsx bench/conflict-eval.ts`.
 *
 * (a) A simulated session: writers with home regions in a document of 40 paragraphs, each on its
 *     own Y.Doc synced to a server Y.Doc, moving between paragraphs, typing in bursts, selecting,
 *     pausing and going away; carets sent as y-prosemirror relative positions at 5 Hz and resolved
 *     on the server with resolveCursorBlock. A seeded PRNG makes every run reproducible.
 * (b) clownschool: real timestamps, but no carets: an agent's "caret" is the position of its
 *     latest edit (a proxy), kept as a relative position so others' edits move it.
 *
 * The simulation records an event log once per seed; the presence model is then replayed over
 * that log for each threshold setting, so tuning does not re-run Yjs.
 */
import { pathToFileURL } from 'node:url';
import * as Y from 'yjs';
import { collisionEpisodes, type CollisionEpisode } from '../src/tracking/collab/contributions.js';
import { resolveCursorBlock, type CursorBlocks } from '../src/tracking/collab/cursor-block.js';
import { applyAwareness, createPresenceState, expire, predict, recordEdit, shouldRecompute } from '../src/tracking/collab/presence-model.js';
import { DEFAULT_PRESENCE_OPTIONS, type CollisionHit, type PresenceOptions, type Warning } from '../src/tracking/collab/presence-types.js';
import { concurrentTraceToUpdates, loadConcurrentTrace } from '../tests/helpers/traces.js';
import { prng } from './lib/prng.js';

export type LogEvent =
  | { kind: 'aware'; at: number; clientId: number; userId: string; canEdit: boolean; state: unknown; blocks: CursorBlocks | null }
  | { kind: 'edit'; at: number; userId: string; blocks: number[]; blockIds?: string[] }
  | { kind: 'tick'; at: number };

export interface SimOptions {
  seed: number;
  writers?: number;
  paragraphs?: number;
  durationMs?: number;
}

type Mode = 'pause' | 'typing' | 'selecting' | 'moving' | 'away';
interface SimWriter {
  userId: string;
  clientId: number;
  doc: Y.Doc;
  canEdit: boolean;
  /** Older SDKs send only the caret; half the writers send editMode/typingVelocity/viewport too. */
  sendsOptional: boolean;
  home: number;
  caret: Y.RelativePosition;
  anchor: Y.RelativePosition | null;
  mode: Mode;
  until: number;
  dwellUntil: number;
  target: number;
  rate: number;
  carry: number;
}

const TICK = 100;

/** Runs one simulated session and returns its event log (awareness at 5 Hz, edits, 100 ms ticks). */
export function simulateSession(opts: SimOptions): LogEvent[] {
  const rnd = prng(opts.seed);
  const nWriters = opts.writers ?? 5;
  const nParas = opts.paragraphs ?? 40;
  const duration = opts.durationMs ?? 30 * 60_000;
  const exp = (mean: number) => -Math.log(1 - rnd()) * mean;
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const server = new Y.Doc();
  let version = 0;
  server.on('update', () => version++);
  const init = new Y.Doc();
  init.getXmlFragment('default').insert(
    0,
    Array.from({ length: nParas }, (_, i) => {
      const p = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      t.insert(0, `Paragraph ${i} of the manuscript, a sentence or two of prose to start from.`);
      p.insert(0, [t]);
      return p;
    }),
  );
  Y.applyUpdate(server, Y.encodeStateAsUpdate(init));
  const log: LogEvent[] = [];
  const writers: SimWriter[] = [];
  const textAt = (doc: Y.Doc, block: number) => (doc.getXmlFragment('default').get(block) as Y.XmlElement).get(0) as Y.XmlText;
  const caretAt = (doc: Y.Doc, block: number) => {
    const t = textAt(doc, block);
    return Y.createRelativePositionFromTypeIndex(t, Math.floor(rnd() * (t.length + 1)));
  };
  const total = nWriters + 1; // plus one reader
  for (let i = 0; i < total; i++) {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
    const home = Math.floor(((i % nWriters) + 0.5) * (nParas / nWriters));
    const w: SimWriter = {
      userId: i < nWriters ? `writer-${i}` : 'reader',
      clientId: doc.clientID,
      doc,
      canEdit: i < nWriters,
      sendsOptional: i % 2 === 0,
      home,
      caret: caretAt(doc, home),
      anchor: null,
      mode: 'pause',
      until: exp(5000),
      dwellUntil: exp(90_000),
      target: home,
      rate: 4,
      carry: 0,
    };
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== 'local') return;
      Y.applyUpdate(server, update, 'remote');
      for (const o of writers) if (o !== w) Y.applyUpdate(o.doc, update, 'remote');
    });
    writers.push(w);
  }
  const blockOf = (w: SimWriter, doc: Y.Doc) =>
    resolveCursorBlock(doc, { anchor: Y.relativePositionToJSON(w.caret), head: Y.relativePositionToJSON(w.caret) })?.headBlock ?? 0;
  const edit = (w: SimWriter, now: number, fn: (t: Y.XmlText, index: number) => number) => {
    const abs = Y.createAbsolutePositionFromRelativePosition(w.caret, w.doc);
    const block = blockOf(w, w.doc);
    const t = textAt(w.doc, block);
    const index = abs !== null && abs.type === (t as Y.AbstractType<unknown>) ? abs.index : t.length;
    w.doc.transact(() => {
      w.caret = Y.createRelativePositionFromTypeIndex(t, fn(t, index));
    }, 'local');
    const serverBlock = blockOf(w, server);
    // The paragraph's item id: the same in every replica and stable when indexes shift.
    const id = (t.parent as Y.XmlElement)._item!.id;
    log.push({ kind: 'edit', at: now, userId: w.userId, blocks: [serverBlock], blockIds: [`${id.client}:${id.clock}`] });
  };
  const step = (w: SimWriter, now: number) => {
    const n = w.doc.getXmlFragment('default').length;
    const here = blockOf(w, w.doc);
    if (w.mode === 'moving') {
      // Arrow keys: one paragraph per tick until the target.
      const next = here + Math.sign(w.target - here);
      w.caret = caretAt(w.doc, Math.min(n - 1, Math.max(0, next)));
      if (next === w.target || next < 0 || next >= n) Object.assign(w, { mode: 'pause', until: now + between(500, 3000) });
      return;
    }
    if (w.mode === 'typing' && w.canEdit) {
      w.carry += (w.rate * TICK) / 1000;
      const chars = Math.floor(w.carry);
      if (chars > 0) {
        w.carry -= chars;
        edit(w, now, (t, i) => (t.insert(i, 'x'.repeat(chars)), i + chars));
      }
    }
    if (now < w.until) return;
    if (w.mode === 'selecting') {
      if (rnd() < 0.5) edit(w, now, (t, i) => (t.delete(Math.max(0, i - 5), Math.min(5, i)), Math.max(0, i - 5)));
      w.anchor = null;
    }
    if (w.mode === 'typing' && rnd() < 0.08) {
      // Enter at the end of a burst: a new paragraph, which shifts every block index below it.
      w.doc.transact(() => {
        const p = new Y.XmlElement('paragraph');
        p.insert(0, [new Y.XmlText()]);
        w.doc.getXmlFragment('default').insert(here + 1, [p]);
      }, 'local');
      w.caret = caretAt(w.doc, here + 1);
    }
    if (w.mode !== 'pause') return Object.assign(w, { mode: 'pause', until: now + Math.min(30_000, 500 + exp(5000)) });
    const r = rnd();
    if (r < 0.01) return Object.assign(w, { mode: 'away', until: now + between(60_000, 360_000) });
    if (now >= w.dwellUntil || !w.canEdit) {
      const m = rnd();
      const base = m < 0.55 ? here + Math.round(between(-3, 3)) : m < 0.85 ? w.home + Math.round(between(-3, 3)) : Math.floor(rnd() * n);
      w.target = Math.min(n - 1, Math.max(0, base));
      w.dwellUntil = now + 10_000 + exp(80_000);
      if (rnd() < 0.5) {
        w.caret = caretAt(w.doc, w.target); // a click
        return Object.assign(w, { mode: 'pause', until: now + between(500, 3000) });
      }
      return Object.assign(w, { mode: 'moving', until: now });
    }
    if (r < 0.15) {
      w.anchor = caretAt(w.doc, Math.min(n - 1, here + (rnd() < 0.3 ? 1 : 0)));
      return Object.assign(w, { mode: 'selecting', until: now + between(1000, 3000) });
    }
    Object.assign(w, { mode: 'typing', until: now + between(2000, 10_000), rate: between(2.5, 6) });
  };
  for (let now = 0; now <= duration; now += TICK) {
    for (const w of writers) step(w, now);
    if (now % 200 === 0) {
      for (const w of writers) {
        const cursor = { anchor: Y.relativePositionToJSON(w.anchor ?? w.caret), head: Y.relativePositionToJSON(w.caret) };
        const here = blockOf(w, w.doc);
        const state: Record<string, unknown> = { user: { name: w.userId, color: '#336699' }, cursor };
        if (w.sendsOptional) {
          state.editMode = w.mode === 'typing' ? 'typing' : w.mode === 'selecting' ? 'selecting' : 'idle';
          state.typingVelocity = w.mode === 'typing' ? w.rate : 0;
          state.viewport = { fromBlock: Math.max(0, here - 8), toBlock: here + 8 };
        }
        const blocks = resolveCursorBlock(server, cursor, 'default', { version });
        log.push({ kind: 'aware', at: now, clientId: w.clientId, userId: w.userId, canEdit: w.canEdit, state, blocks });
      }
    }
    log.push({ kind: 'tick', at: now });
  }
  for (const w of writers) w.doc.destroy();
  server.destroy();
  return log;
}

/** One warning's life: raised, then cleared (or still live at the end of the log). */
export interface WarningSpan {
  key: string;
  users: readonly [string, string];
  raisedAt: number;
  clearedAt: number;
  /**
   * When the writers parted while the warning was live: both carets two or more blocks apart and
   * one of them typed at its new place (an edit two or more blocks from the other's caret).
   * Reset when they come back within a block of each other; null when they never parted.
   */
  partedAt: number | null;
  /** Internal: since when the two carets are two or more blocks apart. */
  apartSince: number | null;
}

/**
 * Follows each writer's caret (head block, from any of their clients) and edits, and marks on
 * live spans the moment the writers parted (see WarningSpan.partedAt). Ground truth from the
 * log, not from the model: it is what a person watching the two carets would say.
 */
function trackParting(e: LogEvent, carets: Map<string, number>, open: ReadonlyMap<string, WarningSpan>): void {
  if (e.kind === 'aware') {
    if (!e.canEdit || e.blocks === null) return;
    carets.set(e.userId, e.blocks.headBlock);
  }
  if (e.kind === 'tick') return;
  for (const span of open.values()) {
    const [a, b] = span.users;
    if (e.userId !== a && e.userId !== b) continue;
    const ca = carets.get(a);
    const cb = carets.get(b);
    if (ca === undefined || cb === undefined) continue;
    if (Math.abs(ca - cb) < 2) {
      span.apartSince = null;
      span.partedAt = null;
      continue;
    }
    span.apartSince ??= e.at;
    if (e.kind === 'edit' && span.partedAt === null) {
      const other = e.userId === a ? cb : ca;
      if (e.blocks.length > 0 && e.blocks.every((blk) => Math.abs(blk - other) >= 2)) span.partedAt = e.at;
    }
  }
}

/**
 * Actual collisions from a log. Edits carrying `blockIds` (the simulation) are compared by block
 * identity, so a paragraph inserted above does not make two different paragraphs "the same
 * block"; edits without (clownschool) fall back to the model's index-based hits.
 */
export function groundTruth(log: readonly LogEvent[], modelHits: readonly CollisionHit[], windowMs = 10_000): CollisionEpisode[] {
  if (!log.some((e) => e.kind === 'edit' && e.blockIds !== undefined)) return collisionEpisodes(modelHits, windowMs);
  const last = new Map<string, Map<string, { at: number; block: number }>>();
  const hits: CollisionHit[] = [];
  for (const e of log) {
    if (e.kind !== 'edit' || e.blockIds === undefined) continue;
    e.blockIds.forEach((id, i) => {
      const users = last.get(id) ?? new Map<string, { at: number; block: number }>();
      for (const [other, prev] of users) {
        if (other !== e.userId && e.at - prev.at <= windowMs) {
          hits.push({ users: (other < e.userId ? [other, e.userId] : [e.userId, other]) as [string, string], block: e.blocks[i] ?? prev.block, at: e.at });
        }
      }
      users.set(e.userId, { at: e.at, block: e.blocks[i] ?? 0 });
      last.set(id, users);
    });
  }
  return collisionEpisodes(hits, windowMs);
}

/** Replays the presence model over a log: warning spans, collision episodes, recompute count. */
export function runModel(log: readonly LogEvent[], options: Partial<PresenceOptions> = {}) {
  let state = createPresenceState();
  let warnings: Warning[] = [];
  let last: number | null = null;
  let lastExpire = 0;
  const open = new Map<string, WarningSpan>();
  const spans: WarningSpan[] = [];
  const hits: CollisionHit[] = [];
  const carets = new Map<string, number>();
  let end = 0;
  for (const e of log) {
    end = e.at;
    trackParting(e, carets, open);
    if (e.kind === 'aware') {
      state = applyAwareness(state, { ...e, awarenessState: e.state }, options);
    } else if (e.kind === 'edit') {
      const r = recordEdit(state, e.blockIds === undefined ? e : { ...e, blockKeys: e.blockIds }, options);
      state = r.state;
      hits.push(...r.collisions);
    } else if (shouldRecompute(last, e.at)) {
      last = e.at;
      if (e.at - lastExpire >= 10_000) {
        state = expire(state, e.at, options);
        lastExpire = e.at;
      }
      const r = predict(state, e.at, warnings, options);
      warnings = r.warnings;
      for (const w of r.predicted) {
        if (open.has(w.key)) continue; // an escalation of a live warning, not a new prediction
        const span: WarningSpan = { key: w.key, users: w.users, raisedAt: e.at, clearedAt: Infinity, partedAt: null, apartSince: null };
        open.set(w.key, span);
        spans.push(span);
      }
      for (const w of r.cleared) {
        const span = open.get(w.key);
        if (span !== undefined) span.clearedAt = e.at;
        open.delete(w.key);
      }
    }
  }
  for (const s of spans) if (s.clearedAt === Infinity) s.clearedAt = end;
  const durationMs = log.length === 0 ? 0 : log[log.length - 1]!.at - log[0]!.at;
  return { spans, durationMs, episodes: groundTruth(log, hits, options.collisionWindowMs ?? DEFAULT_PRESENCE_OPTIONS.collisionWindowMs) };
}

/** How warnings end: time from parting to clearing, and warning time that no collision justified. */
export interface Clearing {
  /** partedAt -> clearedAt of each span whose writers parted before it cleared, in ms. */
  timesToClear: number[];
  /** Spans whose writers parted (the sample of timesToClear). */
  parted: number;
  /** Summed live time of warnings that matched no collision (false alarms), in ms. */
  falseAlarmMs: number;
  /** Simulated time the logs cover, in ms. */
  durationMs: number;
}

export function clearing(spans: readonly WarningSpan[], episodes: readonly CollisionEpisode[], durationMs: number, windowMs = 10_000): Clearing {
  const key = (u: readonly [string, string]) => JSON.stringify(u);
  const timesToClear: number[] = [];
  let falseAlarmMs = 0;
  for (const s of spans) {
    if (s.partedAt !== null) timesToClear.push(Math.max(0, s.clearedAt - s.partedAt));
    const matched = episodes.some((ep) => key(s.users) === key(ep.users) && s.raisedAt <= ep.startAt + windowMs && s.clearedAt >= ep.startAt - windowMs);
    if (!matched) falseAlarmMs += s.clearedAt - s.raisedAt;
  }
  return { timesToClear, parted: timesToClear.length, falseAlarmMs, durationMs };
}

export function addClearings(cs: readonly Clearing[]): Clearing {
  return {
    timesToClear: cs.flatMap((c) => c.timesToClear),
    parted: cs.reduce((n, c) => n + c.parted, 0),
    falseAlarmMs: cs.reduce((n, c) => n + c.falseAlarmMs, 0),
    durationMs: cs.reduce((n, c) => n + c.durationMs, 0),
  };
}

/** p50 / p95 time-to-clear in seconds and false-alarm seconds per simulated hour. */
export function clearingRates(c: Clearing): { p50: number; p95: number; falseAlarmSecondsPerHour: number } {
  const sorted = [...c.timesToClear].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! / 1000);
  return { p50: q(0.5), p95: q(0.95), falseAlarmSecondsPerHour: c.durationMs === 0 ? 0 : c.falseAlarmMs / 1000 / (c.durationMs / 3_600_000) };
}

export interface Score {
  predictions: number;
  collisions: number;
  truePredictions: number;
  /** Collisions with a warning for the pair live within 10 s of the collision's start. */
  caught: number;
  /** Collisions whose pair already had a warning live when the collision started. */
  caughtBefore: number;
}

/**
 * Matching: a warning span [r, c] and a collision episode starting at s of the same pair match
 * when [r, c] intersects [s − 10 s, s + 10 s] (the brief's "before or within the window").
 * Strict recall (`caughtBefore`) needs r <= s <= c.
 */
export function score(spans: readonly WarningSpan[], episodes: readonly CollisionEpisode[], windowMs = 10_000): Score {
  const key = (u: readonly [string, string]) => JSON.stringify(u);
  const near = (s: WarningSpan, ep: CollisionEpisode) => key(s.users) === key(ep.users) && s.raisedAt <= ep.startAt + windowMs && s.clearedAt >= ep.startAt - windowMs;
  return {
    predictions: spans.length,
    collisions: episodes.length,
    truePredictions: spans.filter((s) => episodes.some((ep) => near(s, ep))).length,
    caught: episodes.filter((ep) => spans.some((s) => near(s, ep))).length,
    caughtBefore: episodes.filter((ep) => spans.some((s) => key(s.users) === key(ep.users) && s.raisedAt <= ep.startAt && s.clearedAt >= ep.startAt)).length,
  };
}

export function addScores(scores: readonly Score[]): Score {
  const z: Score = { predictions: 0, collisions: 0, truePredictions: 0, caught: 0, caughtBefore: 0 };
  for (const s of scores) for (const k of Object.keys(z) as (keyof Score)[]) z[k] += s[k];
  return z;
}

export function rates(s: Score): { precision: number; recall: number; strictRecall: number } {
  return {
    precision: s.predictions === 0 ? 1 : s.truePredictions / s.predictions,
    recall: s.collisions === 0 ? 1 : s.caught / s.collisions,
    strictRecall: s.collisions === 0 ? 1 : s.caughtBefore / s.collisions,
  };
}


/**
 * The clownschool trace as a log: each transaction with patches is an edit of its agent at the
 * trace's time; the agent's "caret" is the end of its latest edit (a proxy: the trace has no
 * carets), kept as a relative position on the merged Y.Text and sent as awareness every 200 ms.
 * Blocks are lines (paragraphs separated by \n), tracked as a sorted list of newline offsets.
 */
export function clownschoolLog(): LogEvent[] {
  const trace = loadConcurrentTrace('clownschool');
  const updates = concurrentTraceToUpdates(trace);
  const doc = new Y.Doc();
  const text = doc.getText('text');
  let newlines: number[] = [];
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let changed: [number, number] | null = null;
  text.observe((event) => {
    let pos = 0;
    for (const op of event.delta) {
      if (op.retain !== undefined) pos += op.retain;
      else if (typeof op.insert === 'string') {
        const ins = op.insert;
        newlines = newlines.map((n) => (n >= pos ? n + ins.length : n));
        for (let i = 0; i < ins.length; i++) if (ins[i] === '\n') newlines.push(pos + i);
        newlines.sort((a, b) => a - b);
        changed = [changed?.[0] ?? pos, pos + ins.length];
        pos += ins.length;
      } else if (op.delete !== undefined) {
        const del = op.delete;
        newlines = newlines.filter((n) => n < pos || n >= pos + del).map((n) => (n >= pos + del ? n - del : n));
        changed = [changed?.[0] ?? pos, pos];
      }
    }
  });
  const carets = new Map<number, Y.RelativePosition>();
  const log: LogEvent[] = [];
  let now = updates[0]!.timeMs;
  let nextTick = now;
  const tickUntil = (t: number) => {
    for (; nextTick <= t; nextTick += 100) {
      if ((nextTick - updates[0]!.timeMs) % 200 === 0) {
        for (const [agent, rpos] of carets) {
          const abs = Y.createAbsolutePositionFromRelativePosition(rpos, doc);
          const line = abs === null ? null : lineOf(abs.index);
          const blocks = line === null ? null : { anchorBlock: line, headBlock: line };
          const state = { cursor: { anchor: Y.relativePositionToJSON(rpos), head: Y.relativePositionToJSON(rpos) } };
          log.push({ kind: 'aware', at: nextTick, clientId: agent + 1, userId: `agent-${agent}`, canEdit: true, state, blocks });
        }
      }
      log.push({ kind: 'tick', at: nextTick });
    }
  };
  for (const u of updates) {
    now = Math.max(now, u.timeMs); // 1 s timestamps are not monotonic across agents
    tickUntil(now);
    changed = null;
    Y.applyUpdate(doc, u.update);
    const c = changed as [number, number] | null;
    if (c === null || trace.txns[u.index]!.patches.length === 0) continue;
    const [from, to] = c;
    const first = lineOf(from);
    const last = lineOf(Math.max(from, to));
    log.push({ kind: 'edit', at: now, userId: `agent-${u.agent}`, blocks: Array.from({ length: last - first + 1 }, (_, i) => first + i) });
    carets.set(u.agent, Y.createRelativePositionFromTypeIndex(text, to));
  }
  tickUntil(now + 15_000);
  doc.destroy();
  return log;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function row(name: string, s: Score, c?: Clearing): string {
  const r = rates(s);
  const cl = c === undefined ? '' : (() => { const k = clearingRates(c); return ` ${k.p50.toFixed(1)} s / ${k.p95.toFixed(1)} s (${c.parted}) | ${k.falseAlarmSecondsPerHour.toFixed(0)} s/h |`; })();
  return `| ${name} | ${s.collisions} | ${s.predictions} | ${pct(r.precision)} | ${pct(r.recall)} | ${pct(r.strictRecall)} |${cl}`;
}

export const TUNING_SEEDS = Array.from({ length: 20 }, (_, i) => 1 + i);
/** Held out: never used to choose a setting. 101–112 were the first held-out set; 113–130 were added for sample size. */
export const EVALUATION_SEEDS = Array.from({ length: 30 }, (_, i) => 101 + i);

/**
 * The grid searched on the tuning seeds. Fixed, not searched: settleMs 300 (awareness comes at
 * about 5 Hz, so a caret travelling by arrow keys is seen once per paragraph) and footprintMs =
 * the collision window (an older edit cannot be half of a collision by definition).
 */
export function grid(): Partial<PresenceOptions>[] {
  const out: Partial<PresenceOptions>[] = [];
  for (const activeWindowMs of [5_000, 7_000, 10_000])
    for (const clearAfterMs of [6_000, 10_000])
      for (const partClearMs of [0, 1_000, 2_000])
        for (const [raiseDistance, approachMs] of [[0, 0], [1, 1_000]] as const) out.push({ activeWindowMs, clearAfterMs, partClearMs, raiseDistance, approachMs });
  return out;
}

export const label = (o: Partial<PresenceOptions>) =>
  `N=${(o.activeWindowMs ?? 0) / 1000}s clear=${(o.clearAfterMs ?? 0) / 1000}s part=${(o.partClearMs ?? 0) / 1000}s ${o.raiseDistance === 0 ? 'high only' : `+medium${o.approachMs ? ` if approaching ${(o.approachMs ?? 0) / 1000}s` : ''}`}`;

/**
 * The selection rule, applied to tuning seeds only. The target is on high warnings (the
 * prediction that two writers will edit one block): among high-only settings with recall >= 0.9
 * whose warnings clear within 2 s (p50) and 5 s (p95) of the writers parting, the most precise
 * (ties: the fewer false-alarm seconds); failing that the best F1. Medium warnings then ride on
 * the same thresholds.
 */
export function choose(tuned: readonly { o: Partial<PresenceOptions>; s: Score; c: Clearing }[]): { o: Partial<PresenceOptions>; s: Score; c: Clearing } {
  const f1 = (s: Score) => { const r = rates(s); return (2 * r.precision * r.recall) / (r.precision + r.recall || 1); };
  const high = tuned.filter((t) => t.o.raiseDistance === 0);
  const clears = (c: Clearing) => { const k = clearingRates(c); return k.p50 <= 2 && k.p95 <= 5; };
  const ok = high
    .filter((t) => rates(t.s).recall >= 0.9 && clears(t.c))
    .sort((a, b) => rates(b.s).precision - rates(a.s).precision || a.c.falseAlarmMs - b.c.falseAlarmMs);
  return ok[0] ?? [...high].sort((a, b) => f1(b.s) - f1(a.s))[0]!;
}

/** Score of one setting summed over logs. */
export function scoreLogs(logs: readonly (readonly LogEvent[])[], o: Partial<PresenceOptions>): Score {
  return evaluateLogs(logs, o).score;
}

/** Score and clearing of one setting summed over logs. */
export function evaluateLogs(logs: readonly (readonly LogEvent[])[], o: Partial<PresenceOptions>): { score: Score; clearing: Clearing } {
  const runs = logs.map((log) => runModel(log, o));
  return {
    score: addScores(runs.map((r) => score(r.spans, r.episodes))),
    clearing: addClearings(runs.map((r) => clearing(r.spans, r.episodes, r.durationMs))),
  };
}

/** The defaults' thresholds that the grid varies (the model's DEFAULT_PRESENCE_OPTIONS). */
export const DEFAULTS: Partial<PresenceOptions> = {
  activeWindowMs: DEFAULT_PRESENCE_OPTIONS.activeWindowMs,
  clearAfterMs: DEFAULT_PRESENCE_OPTIONS.clearAfterMs,
  partClearMs: DEFAULT_PRESENCE_OPTIONS.partClearMs,
  raiseDistance: DEFAULT_PRESENCE_OPTIONS.raiseDistance,
  approachMs: DEFAULT_PRESENCE_OPTIONS.approachMs,
};

/**
 * The model before warnings cleared on parting (footprints only aged, every clear waited
 * clearAfterMs): the "before" rows of docs/conflict-prediction.md.
 */
export const BEFORE_PARTING: Partial<PresenceOptions> = { ...DEFAULTS, activeWindowMs: 7_000, clearAfterMs: 10_000, partClearMs: Infinity, footprintLeaveBlocks: Infinity };

/** The whole evaluation as Markdown (`npm run bench -- conflict-eval`, a few minutes; `--no-tuning` skips the grid). */
export async function conflictEval(args: readonly string[] = process.argv.slice(2)): Promise<string> {
  const header =
    '| setting | collisions | predictions | precision | recall (±10 s) | recall (before) | time-to-clear p50 / p95 (parted) | false alarms |\n|---|---|---|---|---|---|---|---|';
  const out: string[] = [];
  const log = (line: string) => out.push(line);
  if (!args.includes('--no-tuning')) {
    const t0 = Date.now();
    const tuningLogs = TUNING_SEEDS.map((seed) => simulateSession({ seed }));
    process.stderr.write(`[conflict-eval] simulated ${TUNING_SEEDS.length} tuning sessions in ${((Date.now() - t0) / 1000).toFixed(0)} s; searching ${grid().length} settings…\n`);
    const tuned = grid().map((o, i) => {
      if (i % 6 === 0) process.stderr.write(`[conflict-eval] setting ${i + 1}/${grid().length}\n`);
      const r = evaluateLogs(tuningLogs, o);
      return { o, s: r.score, c: r.clearing };
    });
    const best = choose(tuned);
    log(`## Tuning seeds 1–20 (5 writers + 1 reader, 40 paragraphs, 30 min each)\n\n${header}`);
    for (const t of tuned) log(row(label(t.o), t.s, t.c));
    log(`\nchosen: ${label(best.o)}; defaults: ${label(DEFAULTS)}\n`);
  }
  const evalLogs = EVALUATION_SEEDS.map((seed) => simulateSession({ seed }));
  const highOnly = { ...DEFAULTS, raiseDistance: 0 };
  const settings = [
    ['defaults, high warnings (the prediction)', highOnly],
    ['defaults, all warnings (high + approach-gated medium)', DEFAULTS],
    ['before parting (footprints only age, clear 10 s), high', { ...BEFORE_PARTING, raiseDistance: 0 }],
    ['before parting, all', BEFORE_PARTING],
  ] as const;
  for (const [name, seeds] of [['101–130', evalLogs], ['101–112 (the first held-out set)', evalLogs.slice(0, 12)]] as const) {
    log(`## Evaluation seeds ${name}\n\n${header}`);
    for (const [label, o] of settings) { const r = evaluateLogs(seeds, o); log(row(label, r.score, r.clearing)); }
    log('');
  }
  const cs = clownschoolLog();
  log(`## clownschool (caret = latest edit, a proxy)\n\n${header}`);
  for (const [label, o] of settings) {
    const r = runModel(cs, o);
    log(row(label, score(r.spans, r.episodes), clearing(r.spans, r.episodes, r.durationMs)));
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await conflictEval());
