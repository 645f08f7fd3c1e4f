import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import type { Role } from '../../src/lib/identity.js';
import { createTokenVerifier, signToken } from '../../src/auth/tokens.js';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/gateway/gateway.js';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import { createLogger } from '../../src/lib/logger.js';
import { afterEach } from 'vitest';

/**
 * Same value as test-server.ts's TEST_SECRET; not imported from there because that module loads
 * the whole server, which the gateway tests neither need nor want to wait for.
 */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export interface GatewayServer {
  gateway: Gateway;
  port: number;
  /** ws://127.0.0.1:<port>/ws/<path> */
  url(path: 'analytics' | 'notifications' | 'presence', query?: string): string;
  close(): Promise<void>;
}

/** A real node:http server on port 0 whose `upgrade` event goes to a fresh gateway. */
export async function startGatewayServer(overrides: Partial<GatewayDeps> = {}): Promise<GatewayServer> {
  const gateway = createGateway({
    verifier: createTokenVerifier({ secret: TEST_SECRET }),
    logger: createLogger({ level: (process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent' }),
    ...overrides,
  });
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    gateway,
    port,
    url: (path, query) => `ws://127.0.0.1:${port}/ws/${path}${query ? `?${query}` : ''}`,
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function gatewayToken(userId: string, projects: Record<string, Role> = {}, extra: { expiresInSeconds?: number; nowMs?: number } = {}): Promise<string> {
  return signToken(TEST_SECRET, { userId, name: userId, projects, expiresInSeconds: extra.expiresInSeconds ?? 3600 }, extra.nowMs);
}

export interface GatewayTestClient {
  ws: WebSocket;
  /** Every server message received so far, in order. */
  messages: ServerMessage[];
  send(message: unknown): void;
  /** The first message (already received or future) matching `predicate`, after index `from`. */
  next(predicate: (message: ServerMessage) => boolean, from?: number): Promise<ServerMessage>;
  /** Subscribes and resolves with the reply for that channel (subscribed or error). */
  subscribe(channel: string): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Opens a real `ws` client; resolves once the upgrade completed. */
export async function connectGateway(url: string, options: ClientOptions = {}): Promise<GatewayTestClient> {
  const ws = new WebSocket(url, options);
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });

  function next(predicate: (message: ServerMessage) => boolean, from = 0): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = () => {
        for (; scanned < messages.length; scanned++) {
          const message = messages[scanned]!;
          if (predicate(message)) {
            cleanup();
            resolve(message);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message; got ${JSON.stringify(messages.slice(-5)).slice(0, 500)}`));
      }, 10_000);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  return {
    ws,
    messages,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next,
    subscribe(channel) {
      const from = messages.length;
      ws.send(JSON.stringify({ type: 'subscribe', channel }));
      return next((m) => (m.type === 'subscribed' || m.type === 'error') && 'channel' in m && m.channel === channel, from);
    },
    closed,
    close: () => ws.close(),
  };
}

/** Attempts an upgrade that should be refused; resolves with the HTTP status and body. */
export function refusedUpgrade(url: string, options: ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {});
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

/**
 * Per-test cleanup for gateway suites: servers and clients made through the returned functions
 * (and anything pushed onto `cleanups`) are closed after each test, newest first. Call it once
 * at the top level of a test file.
 */
export function gatewayFixtures(): {
  cleanups: (() => Promise<void> | void)[];
  gatewayServer(overrides?: Partial<GatewayDeps>): Promise<GatewayServer>;
  client(url: string, options?: ClientOptions): Promise<GatewayTestClient>;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return {
    cleanups,
    async gatewayServer(overrides = {}) {
      const server = await startGatewayServer(overrides);
      cleanups.push(() => server.close());
      return server;
    },
    async client(url, options = {}) {
      const c = await connectGateway(url, options);
      cleanups.push(() => c.close());
      return c;
    },
  };
}
