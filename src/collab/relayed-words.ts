/**
 * Words of updates relayed from another instance whose log row never committed (issue 20, two
 * instances). An instance applies a client's update and relays it through Redis at once, then
 * commits its log row (with the words, in the word journal) before acknowledging it. If that
 * instance dies in between, the others already hold the update: the author's provider re-syncs
 * with one of them and has nothing to send, so no instance would ever journal those words.
 *
 * So every instance keeps the words of the updates relayed to it, with the struct ranges they
 * inserted (DocumentEdit.insertedRanges, equal on every replica), and a few seconds later asks,
 * in one query for the whole batch, which ranges no instance journaled; it journals those
 * updates' words itself, credited by the client ids that typed them (the document's client id ->
 * writer map), as words-only log records. The SQL log journals each range's words once
 * (db/repositories/word-ranges.ts): if the origin was only slow and commits later, or the author
 * re-sends the structs (merged) to a restarted instance, that row is logged and acknowledged
 * with only the words not journaled yet. Words no client id names (deletions, credited to the
 * sender on the origin) cannot be credited here: they are left out (counted in the log line).
 */
import type { UpdateRecord, WordRange, WordRangeStore } from '../db/document-store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ClientWriters } from '../services/writing/client-writers.js';
import type { DocumentEdit, DocumentEditConsumer } from '../tracking/document-edit.js';
import { creditWords } from '../tracking/writing/word-credits.js';
import { SENDER_CLIENT, type TransactionWords } from '../tracking/writing/word-index-types.js';

/** A Yjs v1 update with nothing in it: the carrier of a words-only log record. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** No writer: the part of the words no client id names. */
const NOBODY = '\u0000nobody';
/** Relayed updates kept at most (a long Postgres outage): the oldest are dropped past it. */
const MAX_KEPT = 20_000;
/** Claimed ranges are forgotten after this long: every update is committed or lost by then. */
const CLAIM_TTL_MS = 10 * 60_000;

interface Relayed {
  documentName: string;
  ranges: readonly WordRange[];
  at: number;
  words: TransactionWords;
  seenAt: number;
}

export interface RelayedWords {
  onEdit: DocumentEditConsumer;
  /** One reconciliation round now (tests; the timer calls it every `intervalMs`). */
  reconcile(): Promise<void>;
  close(): void;
}

export function createRelayedWords(deps: {
  ranges: WordRangeStore;
  writers: ClientWriters;
  appender: { append(record: UpdateRecord): Promise<number> };
  clock: Clock;
  logger: Logger;
  /** How long the origin gets to commit before this instance checks (default 2.5 s). */
  graceMs?: number;
  intervalMs?: number;
}): RelayedWords {
  const { writers, appender, clock, logger } = deps;
  const graceMs = deps.graceMs ?? 2_500;
  const intervalMs = deps.intervalMs ?? 1_000;
  let kept: Relayed[] = [];
  let running: Promise<void> | undefined;
  let lastPrune = clock.now();

  function onEdit(edit: DocumentEdit): void {
    if (edit.origin !== 'redis' || edit.insertedRanges === undefined || edit.words === null) return;
    kept.push({ documentName: edit.documentName, ranges: edit.insertedRanges, at: edit.at, words: edit.words, seenAt: clock.now() });
    if (kept.length > MAX_KEPT) {
      kept.splice(0, kept.length - MAX_KEPT);
      logger.warn({ kept: MAX_KEPT }, 'too many relayed updates wait for their words check; the oldest are dropped');
    }
  }

  /** Each writer's share of an uncovered update's words, with the ranges of that writer's client ids. */
  async function credited(due: readonly Relayed[]): Promise<{ records: UpdateRecord[]; uncredited: number }> {
    const unknown = new Set<string>();
    for (const r of due) for (const id of r.words.byClient?.keys() ?? []) if (id !== SENDER_CLIENT && writers.writerOf(r.documentName, id) === undefined) unknown.add(r.documentName);
    // Claims made on the origin after this instance loaded the map: one read per such document.
    for (const name of unknown) await writers.load(name);
    const records: UpdateRecord[] = [];
    let uncredited = 0;
    for (const r of due) {
      const writerOf = (id: number) => writers.writerOf(r.documentName, id);
      for (const c of creditWords(r.words, NOBODY, writerOf)) {
        const ranges = r.ranges.filter((range) => writerOf(range.client) === c.userId);
        if (c.userId === NOBODY || ranges.length === 0) {
          uncredited += Math.abs(c.net);
          continue;
        }
        records.push({ documentName: r.documentName, update: EMPTY_UPDATE, userId: c.userId, receivedAt: r.at, words: { added: c.added, removed: c.removed, net: c.net }, wordRanges: ranges });
      }
    }
    return { records, uncredited };
  }

  async function round(): Promise<void> {
    const now = clock.now();
    if (now - lastPrune >= CLAIM_TTL_MS / 10) {
      lastPrune = now;
      await deps.ranges.prune(new Date(now - CLAIM_TTL_MS)).catch((error: unknown) => logger.warn({ err: error }, 'old word ranges not pruned'));
    }
    const split = kept.findIndex((r) => now - r.seenAt < graceMs);
    const due = split < 0 ? kept : kept.slice(0, split);
    if (due.length === 0) return;
    kept = split < 0 ? [] : kept.slice(split);
    try {
      // One query for the round: most updates were journaled by their origin.
      const covered = await deps.ranges.covered(due);
      const lost = due.filter((_, i) => !covered[i]);
      if (lost.length === 0) return;
      const { records, uncredited } = await credited(lost);
      // The append claims again under the document's lock: whoever is first journals the words.
      const results = await Promise.allSettled(records.map((r) => appender.append(r)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      logger.warn({ updates: lost.length, journaled: records.length - failed, failed, uncredited }, 'journaled the words of relayed updates their instance never logged (it stopped before committing)');
      // Retried with the next round (their ranges are checked again).
      if (failed > 0) kept = [...lost, ...kept];
    } catch (error) {
      logger.warn({ err: error, updates: due.length }, 'relayed words not checked; retrying');
      kept = [...due, ...kept];
    }
  }

  const reconcile = (): Promise<void> => (running ??= round().finally(() => (running = undefined)));
  const timer = setInterval(() => void reconcile(), intervalMs);
  timer.unref();

  return { onEdit, reconcile, close: () => clearInterval(timer) };
}
