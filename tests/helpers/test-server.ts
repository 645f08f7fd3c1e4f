import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import type { Role } from '../../src/lib/identity.js';
import { signToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createServer, type StoryloomServer } from '../../src/server.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export interface TestServer {
  server: StoryloomServer;
  port: number;
  httpUrl: string;
  wsUrl: string;
  dataDir: string;
  /** Signs a token with the server's secret. */
  token(userId: string, projects: Record<string, Role>, extra?: { name?: string; admin?: boolean; expiresInSeconds?: number }): Promise<string>;
  /** Graceful close; the data dir survives until `cleanup()`. */
  close(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A real Storyloom server on port 0 in this process, on PGlite in a fresh temp dir unless `env`
 * says otherwise (DATABASE_URL, REDIS_URL, DATA_DIR to reopen an earlier one, limits...).
 * `options.clock` replaces the system clock (trace replays drive a manual one).
 */
export async function startTestServer(env: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<TestServer> {
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'storyloom-test-')));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    // Suites send hundreds of requests from one address; the REST limits have their own test.
    REST_REQUESTS_PER_SECOND: '1000000',
    REST_REQUEST_BURST: '10000000',
    ...env,
    DATA_DIR: dataDir,
  });
  const server = await createServer(config, { logger: createLogger({ level: config.logLevel }), ...(options.clock ? { clock: options.clock } : {}) });
  const address = await server.listen();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return {
    server,
    port: address.port,
    httpUrl: `http://127.0.0.1:${address.port}`,
    wsUrl: `ws://127.0.0.1:${address.port}/collaboration`,
    dataDir,
    token: (userId, projects, extra = {}) =>
      signToken(config.authSecret!, { userId, name: extra.name ?? userId, projects, admin: extra.admin ?? false, expiresInSeconds: extra.expiresInSeconds ?? 3600, ...config.tokens }),
    close,
    async cleanup() {
      await close();
      if (!env.DATA_DIR) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestClient {
  provider: HocuspocusProvider;
  ydoc: Y.Doc;
  /** Resolves once the first sync completed. */
  synced: Promise<void>;
  /** Resolves with the refusal reason if authentication fails. */
  refused: Promise<string>;
  /** Resolves with the close event of the socket. */
  closed: Promise<{ code: number; reason: string }>;
  destroy(): void;
}

/** A real HocuspocusProvider on its own WebSocket. */
export function connectClient(url: string, name: string, token: string): TestClient {
  const ydoc = new Y.Doc();
  const websocketProvider = new HocuspocusProviderWebsocket({ url, maxAttempts: 1 });
  let resolveSynced!: () => void;
  let resolveRefused!: (reason: string) => void;
  let resolveClosed!: (e: { code: number; reason: string }) => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const refused = new Promise<string>((r) => (resolveRefused = r));
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  websocketProvider.on('close', ({ event }: { event: { code: number; reason: string } }) => resolveClosed({ code: event.code, reason: event.reason }));
  const provider = new HocuspocusProvider({
    websocketProvider,
    name,
    document: ydoc,
    token,
    onSynced: () => resolveSynced(),
    onAuthenticationFailed: ({ reason }) => resolveRefused(reason),
  });
  provider.attach();
  return {
    provider,
    ydoc,
    synced,
    refused,
    closed,
    destroy() {
      provider.destroy();
      websocketProvider.destroy();
      ydoc.destroy();
    },
  };
}

/** Types text into the document's first paragraph the way a ProseMirror binding would. */
export function typeInto(ydoc: Y.Doc, text: string, paragraph = 0): void {
  const fragment = ydoc.getXmlFragment('default');
  ydoc.transact(() => {
    while (fragment.length <= paragraph) fragment.push([new Y.XmlElement('paragraph')]);
    const p = fragment.get(paragraph) as Y.XmlElement;
    let textNode = p.get(0) as Y.XmlText | undefined;
    if (!textNode) {
      textNode = new Y.XmlText();
      p.insert(0, [textNode]);
    }
    textNode.insert(textNode.length, text);
  });
}

export function textOf(ydoc: Y.Doc): string {
  return ydoc
    .getXmlFragment('default')
    .toArray()
    .map((p) => ((p as Y.XmlElement).get(0) as Y.XmlText | undefined)?.toString() ?? '')
    .join('\n');
}
