import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { signToken } from '../../src/auth/tokens.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { TEST_SECRET, typeInto } from './test-server.js';

/** A server process for a fault test: PGlite's first start may take long on a loaded machine. */
export const startFaultServer = (env: Record<string, string>): Promise<ServerProcess> => startServerProcess(env, { startTimeoutMs: 120_000 });

/** What every fault-test writer types, one character per transaction (long enough for minutes). */
export const PROSE = 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(60);

/** A token for project `book` (every fault test's documents live there). */
export const writerToken = (user: string, role: 'owner' | 'editor' = 'editor') =>
  signToken(TEST_SECRET, { userId: user, name: user, projects: { book: role }, expiresInSeconds: 3600 });

export interface FaultWriter {
  readonly user: string;
  readonly paragraph: number;
  readonly provider: HocuspocusProvider;
  readonly ydoc: Y.Doc;
  /** Characters typed so far (PROSE[0..typed)). */
  typed(): number;
  /**
   * Characters the server has acknowledged for sure. Before the first reconnect this is exact
   * (typed - unsyncedChanges); the provider resets its counter on every reconnect, so from then
   * on it is the count at the last moment nothing was unsynced (a lower bound).
   */
  acked(): number;
  /** Sockets opened (1 + reconnects). */
  opens(): number;
  /** Close events seen, with their reasons (refusals included). */
  closes: { code: number; reason: string }[];
  typeOne(): void;
  destroy(): void;
}

/**
 * A writer as a browser tab would be: a HocuspocusProvider that reconnects (fast, for tests)
 * and keeps typing while offline; its Y.Doc holds what the server has not acknowledged.
 */
export function connectWriter(url: string, doc: string, token: string, user: string, paragraph: number): FaultWriter {
  const ydoc = new Y.Doc();
  const websocketProvider = new HocuspocusProviderWebsocket({ url, maxAttempts: 0, delay: 100, minDelay: 100, maxDelay: 1_000, factor: 1.5, jitter: false });
  let typed = 0;
  let opens = 0;
  let watermark = 0;
  const closes: { code: number; reason: string }[] = [];
  websocketProvider.on('open', () => opens++);
  const provider = new HocuspocusProvider({ websocketProvider, name: doc, document: ydoc, token });
  // Exact while the first socket lives; frozen into the watermark when it closes.
  const exact = () => (opens <= 1 ? typed - provider.unsyncedChanges : 0);
  websocketProvider.on('close', ({ event }: { event: { code: number; reason: string } }) => {
    watermark = Math.max(watermark, exact());
    closes.push({ code: event.code, reason: event.reason });
  });
  provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    if (number === 0) watermark = Math.max(watermark, typed);
  });
  provider.attach();
  return {
    user,
    paragraph,
    provider,
    ydoc,
    closes,
    typed: () => typed,
    acked: () => Math.max(watermark, exact()),
    opens: () => opens,
    typeOne() {
      if (typed >= PROSE.length) return;
      typeInto(ydoc, PROSE[typed]!, paragraph);
      typed++;
      if (provider.unsyncedChanges === 0) watermark = typed;
    },
    destroy() {
      provider.destroy();
      websocketProvider.destroy();
      ydoc.destroy();
    },
  };
}

/** Texts of the paragraphs of the `default` fragment (one per writer). */
export function paragraphs(ydoc: Y.Doc): string[] {
  return ydoc
    .getXmlFragment('default')
    .toArray()
    .map((p) => ((p as Y.XmlElement).get(0) as Y.XmlText | undefined)?.toString() ?? '');
}

/** Opens a one-shot provider, waits for its sync, returns its paragraphs (or the refusal). */
export async function readParagraphs(url: string, doc: string, timeoutMs = 20_000): Promise<string[]> {
  const ydoc = new Y.Doc();
  const websocketProvider = new HocuspocusProviderWebsocket({ url, maxAttempts: 0, delay: 100, minDelay: 100, maxDelay: 500 });
  const provider = new HocuspocusProvider({ websocketProvider, name: doc, document: ydoc, token: await writerToken('fault-reader', 'owner') });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reader of ${doc} did not sync in ${timeoutMs} ms`)), timeoutMs);
      provider.on('synced', () => {
        clearTimeout(timer);
        resolve();
      });
      provider.attach();
    });
    return paragraphs(ydoc);
  } finally {
    provider.destroy();
    websocketProvider.destroy();
    ydoc.destroy();
  }
}

/**
 * Creates `count` empty paragraphs before the writers join, so no two writers create the same
 * paragraph concurrently (each then types into its own).
 */
export async function seedParagraphs(url: string, doc: string, count: number): Promise<void> {
  const ydoc = new Y.Doc();
  const websocketProvider = new HocuspocusProviderWebsocket({ url, maxAttempts: 0, delay: 100, minDelay: 100, maxDelay: 500 });
  const provider = new HocuspocusProvider({ websocketProvider, name: doc, document: ydoc, token: await writerToken('fault-seeder', 'owner') });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`seeding ${doc} timed out`)), 20_000);
      provider.on('synced', () => {
        ydoc.transact(() => {
          const fragment = ydoc.getXmlFragment('default');
          while (fragment.length < count) {
            const p = new Y.XmlElement('paragraph');
            p.insert(0, [new Y.XmlText()]);
            fragment.push([p]);
          }
        });
        const check = () => {
          if (provider.unsyncedChanges === 0) {
            clearTimeout(timer);
            resolve();
          } else setTimeout(check, 10);
        };
        check();
      });
      provider.attach();
    });
  } finally {
    provider.destroy();
    websocketProvider.destroy();
    ydoc.destroy();
  }
}

/** Every writer types one character every `everyMs` (one shared timer) until stopped. */
export function startTyping(writers: FaultWriter[], everyMs: number): { stop(): void } {
  const timer = setInterval(() => {
    for (const w of writers) w.typeOne();
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}

/** Per writer: what it had acknowledged must be a prefix of what the server holds in its paragraph. */
export function lostEdits(writers: FaultWriter[], acked: number[], texts: string[]): { acked: number; recovered: number; lost: number } {
  let lost = 0;
  let recovered = 0;
  writers.forEach((w, i) => {
    const text = texts[w.paragraph] ?? '';
    const want = PROSE.slice(0, acked[i]);
    recovered += Math.min(text.length, w.typed());
    // Count the acknowledged characters not matched by the recovered text, position by position.
    let same = 0;
    while (same < want.length && text[same] === want[same]) same++;
    lost += want.length - same;
  });
  return { acked: acked.reduce((a, b) => a + b, 0), recovered, lost };
}

/** One parseable line per figure, so CI output carries them: `[faults] <test> key=value ...`. */
export function report(test: string, figures: Record<string, number | string | boolean>): void {
  console.log(`[faults] ${test} ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
