/**
 * Loaders for the real editing traces in tests/fixtures/editing-traces (see tests/fixtures/README.md):
 * sequential traces (one writer, patches in order) and concurrent traces (a causal graph of
 * transactions by several agents), plus replay helpers that drive Yjs documents with them.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as Y from 'yjs';

/** `[position, deleteCount, insertText]`, positions in code points (JS string indexes for these traces). */
export type Patch = readonly [number, number, string];

export interface SequentialTrace {
  startContent: string;
  endContent: string;
  txns: { time: string; patches: Patch[] }[];
}

export interface ConcurrentTxn {
  parents: number[];
  numChildren: number;
  agent: number;
  time: string;
  patches: Patch[];
}

export interface ConcurrentTrace {
  kind: 'concurrent';
  endContent: string;
  numAgents: number;
  txns: ConcurrentTxn[];
}

/** Origin of an agent's own transactions in its doc (anything else there is a merge of others' updates). */
export const AGENT_LOCAL_ORIGIN = Symbol('agent-local');
const LOCAL = AGENT_LOCAL_ORIGIN;

// In the repository (tests/fixtures), so a fresh clone needs nothing next to it.
const TRACES = new URL('../fixtures/editing-traces/', import.meta.url);

function loadGzippedJson(relative: string): unknown {
  return JSON.parse(gunzipSync(readFileSync(new URL(relative, TRACES))).toString('utf8'));
}

/** Loads `sequential/<name>.json.gz`, e.g. `seph-blog1`, `automerge-paper`. */
export function loadSequentialTrace(name: string): SequentialTrace {
  return loadGzippedJson(`sequential/${name}.json.gz`) as SequentialTrace;
}

/** Loads `concurrent/<name>.json.gz`, e.g. `clownschool`. */
export function loadConcurrentTrace(name: string): ConcurrentTrace {
  return loadGzippedJson(`concurrent/${name}.json.gz`) as ConcurrentTrace;
}

/** Applies one patch list to a Y.Text inside the current transaction. */
function applyPatches(text: Y.Text, patches: readonly Patch[]): void {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del);
    if (ins.length > 0) text.insert(pos, ins);
  }
}

/**
 * Replays a sequential trace into `text` (which should hold `trace.startContent`), one Yjs
 * transaction per trace transaction with `origin` as its origin. `onTxn` runs after each
 * transaction with its index and timestamp in ms.
 */
export function replaySequentialTrace(
  text: Y.Text,
  trace: SequentialTrace,
  onTxn?: (index: number, timeMs: number) => void,
  origin: unknown = 'trace',
): void {
  const doc = text.doc;
  if (doc === null) throw new Error('replaySequentialTrace: the Y.Text is not part of a Y.Doc');
  trace.txns.forEach((txn, i) => {
    doc.transact(() => applyPatches(text, txn.patches), origin);
    onTxn?.(i, Date.parse(txn.time));
  });
}

/**
 * Replays a sequential trace into a ProseMirror-shaped fragment: one `paragraph` element (holding
 * one Y.XmlText) per line of the trace's text, edited the way y-prosemirror expresses the same
 * change. Typing a newline splits a paragraph (the tail moves to a new one), deleting one merges
 * two (the next paragraph's text is appended, the paragraph removed). `root` must be empty.
 * The fragment's lines joined by newlines always equal the trace's text at that point.
 */
export function replaySequentialTraceIntoFragment(
  root: Y.XmlFragment,
  trace: SequentialTrace,
  onTxn?: (index: number, timeMs: number) => void,
  origin: unknown = 'trace',
): void {
  const doc = root.doc;
  if (doc === null || root.length !== 0) throw new Error('replaySequentialTraceIntoFragment: needs an empty fragment in a Y.Doc');
  const lengths: number[] = [];
  const text = (i: number) => (root.get(i) as Y.XmlElement).get(0) as Y.XmlText;
  const paragraph = (content: string): Y.XmlElement => {
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText();
    if (content.length > 0) t.insert(0, content);
    p.insert(0, [t]);
    return p;
  };
  // Position -> (paragraph, offset), scanning from the last paragraph used (edits are local).
  let cursor = 0;
  let cursorStart = 0;
  const locate = (pos: number): [number, number] => {
    if (pos < cursorStart) {
      cursor = 0;
      cursorStart = 0;
    }
    while (pos > cursorStart + lengths[cursor]!) {
      cursorStart += lengths[cursor]! + 1;
      cursor++;
    }
    return [cursor, pos - cursorStart];
  };
  const remove = (pos: number, count: number): void => {
    const [i, offset] = locate(pos);
    if (offset + count <= lengths[i]!) {
      text(i).delete(offset, count);
      lengths[i]! -= count;
      return;
    }
    // The deletion crosses newlines: keep paragraph i's head and paragraph j's tail.
    let j = i;
    let left = count - (lengths[i]! - offset);
    while (left > 0) {
      j++;
      left -= 1 + lengths[j]!; // the newline, then paragraph j
    }
    const cut = lengths[j]! + left; // where the deletion ends inside paragraph j
    const tail = text(j).toString().slice(cut);
    text(i).delete(offset, lengths[i]! - offset);
    if (tail.length > 0) text(i).insert(offset, tail);
    root.delete(i + 1, j - i);
    lengths.splice(i, j - i + 1, offset + tail.length);
  };
  const insert = (pos: number, content: string): void => {
    const [i, offset] = locate(pos);
    const lines = content.split('\n');
    if (lines.length === 1) {
      text(i).insert(offset, content);
      lengths[i]! += content.length;
      return;
    }
    const tail = text(i).toString().slice(offset);
    const head = lines[0]!;
    if (tail.length > 0) text(i).delete(offset, tail.length);
    if (head.length > 0) text(i).insert(offset, head);
    const rest = lines.slice(1);
    rest[rest.length - 1] += tail;
    root.insert(i + 1, rest.map(paragraph));
    lengths.splice(i, 1, offset + head.length, ...rest.map((l) => l.length));
  };
  doc.transact(() => {
    const initial = trace.startContent.split('\n');
    root.insert(0, initial.map(paragraph));
    lengths.push(...initial.map((l) => l.length));
  }, origin);
  trace.txns.forEach((txn, index) => {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) remove(pos, del);
        if (ins.length > 0) insert(pos, ins);
      }
    }, origin);
    onTxn?.(index, Date.parse(txn.time));
  });
}

/** One transaction of a concurrent trace turned into a Yjs update made by its agent. */
export interface AgentUpdate {
  index: number;
  agent: number;
  timeMs: number;
  /** The Yjs update holding exactly this transaction's changes (V1 encoding). */
  update: Uint8Array;
}

/**
 * Turns a concurrent trace into one Yjs update per transaction, each made by its agent's own
 * Y.Doc (client id = agent + 1) at exactly the version the trace names as its parents.
 *
 * Why not simply one doc per agent that receives everyone's updates as they come: a transaction's
 * positions are relative to the merge of its parents, and an agent's doc may already hold
 * concurrent transactions that are not among them. Here each agent's doc receives, before each of
 * its transactions, exactly the updates of the transactions in that transaction's causal past
 * that it lacks. This works because each agent's own transactions are totally ordered (a rule of
 * these traces), so what the agent's doc holds is always a subset of the next causal past.
 *
 * `observeAgentDoc` sees each agent's doc before its first change (to attach a word index: the
 * agent's own transactions have origin AGENT_LOCAL_ORIGIN, merges of others' updates 'remote').
 *
 * Applying the updates in index order to a fresh doc yields the final document (causal order:
 * parents always have smaller indexes). Traces with concurrent inserts at the same position
 * (git-makefile) merge differently under Yjs's tie-break and will not match `endContent`.
 */
export function concurrentTraceToUpdates(
  trace: ConcurrentTrace,
  options: { textName?: string; observeAgentDoc?: (doc: Y.Doc, agent: number) => void } = {},
): AgentUpdate[] {
  const textName = options.textName ?? 'text';
  const n = trace.txns.length;
  const docs = Array.from({ length: trace.numAgents }, (_, agent) => {
    const doc = new Y.Doc();
    doc.clientID = agent + 1;
    options.observeAgentDoc?.(doc, agent);
    return doc;
  });
  const seen = docs.map(() => new Uint8Array(n));
  const updates: AgentUpdate[] = [];
  // The update event of the agent's own transaction is exactly that transaction's changes.
  let captured: Uint8Array | null = null;
  for (const doc of docs) {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL) captured = update;
    });
  }
  trace.txns.forEach((txn, index) => {
    const doc = docs[txn.agent]!;
    const has = seen[txn.agent]!;
    // Collect the causal past not yet applied to this agent's doc (stop at what it already has:
    // that set is closed under parents).
    const missing: number[] = [];
    const stack = [...txn.parents];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (has[p] === 1) continue;
      has[p] = 1;
      missing.push(p);
      for (const q of trace.txns[p]!.parents) if (has[q] !== 1) stack.push(q);
    }
    if (missing.length > 0) {
      missing.sort((a, b) => a - b);
      // One transaction for the whole merge (Y.mergeUpdates is far slower than applying in turn).
      doc.transact(() => {
        for (const p of missing) Y.applyUpdate(doc, updates[p]!.update);
      }, 'remote');
    }
    captured = null;
    doc.transact(() => applyPatches(doc.getText(textName), txn.patches), LOCAL);
    has[index] = 1;
    const update = captured ?? new Uint8Array([0, 0]); // an empty txn (the last may have no patches)
    updates.push({ index, agent: txn.agent, timeMs: Date.parse(txn.time), update });
  });
  for (const doc of docs) doc.destroy();
  return updates;
}
