/**
 * One simulated writer: a real HocuspocusProvider on its own WebSocket (as a browser tab has),
 * editing a ProseMirror-shaped document (`Y.XmlFragment('default')` of `paragraph` elements,
 * each holding one Y.XmlText) and publishing its caret the way TipTap's collaboration caret does
 * (`cursor: {anchor, head}` as Y.relativePositionToJSON objects in awareness).
 *
 * Latency marker: each edit's transaction also sets this writer's entry in `Y.Map('bench')` to
 * `{s: seq, t: [send times of the last MARKER_WINDOW edits]}`. The entry is overwritten on every
 * edit, so the document grows by one small tombstone per edit, not by the timestamps. Yjs
 * applies a sender's updates in causal order, so a receiver that sees seq N has all edits up to
 * N: received = highest seq seen, and the window gives a latency sample even when several edits
 * arrive in one update. Times are `performance.timeOrigin + performance.now()`, comparable
 * across processes on one machine.
 */
import { createHash } from 'node:crypto';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import type { Histogram } from './histogram.js';

const MARKER_WINDOW = 16;
const MAX_PARAGRAPH = 400;
const PROSE = 'It is a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife ';

export interface WriterOptions {
  url: string;
  document: string;
  token: string;
  name: string;
  /** Records this client's receive latencies (shared by the worker's clients). */
  latency: Histogram;
  /**
   * The same for edits sent at or after `from` (epoch ms, set when typing starts): the steady
   * state, without the first seconds in which both servers warm up (JIT, session starts).
   */
  steady: { from: number; latency: Histogram };
}

export interface MarkerEntry {
  s: number;
  t: number[];
}

export interface WriterReport {
  key: string;
  document: string;
  sent: number;
  /** Highest seq received from each other writer of the document. */
  received: Record<string, number>;
  hash: string;
  disconnects: number;
}

export interface Writer {
  readonly key: string;
  readonly synced: Promise<void>;
  readonly sent: number;
  /** Types `editsPerSecond` edits and moves the caret `caretHz` times a second until `until` (epoch ms). */
  start(options: { editsPerSecond: number; caretHz: number; until: number }): void;
  stop(): void;
  report(): WriterReport;
  destroy(): void;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function createWriter(options: WriterOptions): Writer {
  const ydoc = new Y.Doc();
  const key = String(ydoc.clientID);
  const fragment = ydoc.getXmlFragment('default');
  const marker = ydoc.getMap<MarkerEntry>('bench');
  const received = new Map<string, number>();
  const sendTimes: number[] = [];
  let sent = 0;
  let disconnects = 0;
  let paragraph: Y.XmlText | undefined;
  let caret = 0;
  let anchorOffset = 0;
  let prose = Math.floor(Math.random() * PROSE.length);
  const timers: NodeJS.Timeout[] = [];

  marker.observe((event) => {
    if (event.transaction.local) return;
    const at = now();
    for (const sender of event.keysChanged) {
      const entry = marker.get(sender);
      if (!entry) continue;
      const last = received.get(sender) ?? 0;
      if (entry.s <= last) continue;
      // Every seq in (last, s] arrived with this update; the window holds their send times.
      for (let seq = last + 1; seq <= entry.s; seq++) {
        const t = entry.t[entry.t.length - 1 - (entry.s - seq)];
        if (t === undefined) continue;
        options.latency.record(at - t);
        if (t >= options.steady.from) options.steady.latency.record(at - t);
      }
      received.set(sender, entry.s);
    }
  });

  const socket = new HocuspocusProviderWebsocket({ url: options.url, maxAttempts: 5 });
  let resolveSynced!: () => void;
  let rejectSynced!: (error: Error) => void;
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: options.document,
    document: ydoc,
    token: options.token,
    onSynced: () => resolveSynced(),
    onAuthenticationFailed: ({ reason }) => rejectSynced(new Error(`authentication failed: ${reason}`)),
    onDisconnect: () => void disconnects++,
  });
  provider.attach();
  provider.awareness?.setLocalStateField('user', { name: options.name, color: '#3366cc' });

  function nextText(): string {
    const length = 1 + Math.floor(Math.random() * 4);
    let text = '';
    for (let i = 0; i < length; i++) text += PROSE[prose++ % PROSE.length];
    return text;
  }

  /** Starts a new paragraph after the current one (or at the end) and puts the caret in it. */
  function newParagraph(): void {
    const element = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    element.insert(0, [text]);
    const at = paragraph?.parent ? fragment.toArray().indexOf(paragraph.parent as Y.XmlElement) + 1 : fragment.length;
    fragment.insert(Math.max(0, Math.min(at, fragment.length)), [element]);
    paragraph = text;
    caret = 0;
  }

  function edit(): void {
    const t = now();
    ydoc.transact(() => {
      if (!paragraph || paragraph._item?.deleted || paragraph.length >= MAX_PARAGRAPH) newParagraph();
      const p = paragraph!;
      caret = Math.min(caret, p.length);
      const roll = Math.random();
      if (roll < 0.04) newParagraph();
      else if (roll < 0.1 && caret > 0) {
        const n = Math.min(caret, 1 + Math.floor(Math.random() * 5));
        p.delete(caret - n, n);
        caret -= n;
      } else {
        const text = nextText();
        p.insert(caret, text);
        caret += text.length;
      }
      sent++;
      sendTimes.push(t);
      if (sendTimes.length > MARKER_WINDOW) sendTimes.shift();
      marker.set(key, { s: sent, t: [...sendTimes] });
    });
    anchorOffset = 0;
    publishCaret();
  }

  function publishCaret(): void {
    if (!paragraph || !provider.awareness) return;
    const head = Math.min(caret, paragraph.length);
    const anchor = Math.max(0, Math.min(head + anchorOffset, paragraph.length));
    provider.awareness.setLocalStateField('cursor', {
      anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(paragraph, anchor)),
      head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(paragraph, head)),
    });
  }

  /** Arrow keys and shift-selections between edits: the caret wanders within the paragraph. */
  function moveCaret(): void {
    if (!paragraph) return;
    const step = Math.floor(Math.random() * 7) - 3;
    caret = Math.max(0, Math.min(paragraph.length, caret + step));
    anchorOffset = Math.random() < 0.2 ? Math.floor(Math.random() * 10) - 5 : 0;
    publishCaret();
  }

  function every(hz: number, until: number, action: () => void): void {
    if (hz <= 0) return;
    const period = 1000 / hz;
    // A random phase so a document's writers do not all fire in the same millisecond.
    const tick = (): void => {
      if (Date.now() >= until) return;
      action();
      timers.push(setTimeout(tick, period * (0.5 + Math.random())));
    };
    timers.push(setTimeout(tick, Math.random() * period));
  }

  return {
    key,
    synced,
    get sent() {
      return sent;
    },
    start({ editsPerSecond, caretHz, until }) {
      every(editsPerSecond, until, edit);
      every(caretHz, until, moveCaret);
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.length = 0;
    },
    report() {
      const state = JSON.stringify(fragment.toJSON()) + Buffer.from(Y.encodeStateVector(ydoc)).toString('base64');
      return {
        key,
        document: options.document,
        sent,
        received: Object.fromEntries([...received].filter(([sender]) => sender !== key)),
        hash: createHash('sha1').update(state).digest('hex'),
        disconnects,
      };
    },
    destroy() {
      this.stop();
      provider.destroy();
      socket.destroy();
      ydoc.destroy();
    },
  };
}
