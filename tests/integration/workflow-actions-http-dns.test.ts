import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionError, type ActionContext } from '../../src/services/workflows/action-handlers.js';
import { createHttpAction } from '../../src/services/workflows/actions/http.js';
import { isLoopbackAddress, isPublicAddress, type ResolvedAddress, type Resolver } from '../../src/services/workflows/actions/http-pinned.js';
import type { Json } from '../../src/workflows/definition.js';

/**
 * The `http` action's allowlist against what names resolve to, with a real local HTTP server:
 * an allowed name that resolves to loopback or a private network is refused before any
 * connection; the operator reaches such an address only by listing it as an IP; and the
 * connection goes to the address that was checked, even when the name resolves elsewhere a
 * moment later (DNS rebinding). Names are resolved by a table here (the system resolver cannot
 * be told what `api.test` is); the connection itself is real.
 */

const context = (over: Partial<ActionContext> = {}): ActionContext => ({
  runId: 'run-1',
  workflowId: 'wf-1',
  projectId: 'proj-a',
  stepId: 'step-1',
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

/** Resolves from `answers` (the n-th call of a name gets its n-th answer, the last one after that) and records the calls. */
function tableResolver(answers: Record<string, string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string): Promise<ResolvedAddress[]> => {
    const seen = calls.filter((c) => c === hostname).length;
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return list[Math.min(seen, list.length - 1)]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

async function outcome(promise: Promise<Json>): Promise<ActionError | Record<string, Json>> {
  return promise.then(
    (v) => v as Record<string, Json>,
    (e: unknown) => {
      expect(e).toBeInstanceOf(ActionError);
      return e as ActionError;
    },
  );
}

describe('http: allowlist against resolved addresses, connection pinned', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      hits.push(`${req.headers.host} ${req.method} ${req.url}`);
      if (req.url?.startsWith('/redirect')) res.writeHead(302, { location: `http://api.test:${port}/json` }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ host: req.headers.host }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const call = (allow: string, resolve: Resolver, url: string) => {
    const action = createHttpAction({ allow, resolve });
    return outcome(action.run(action.spec.input.parse({ url }) as Json, context()));
  };

  it('refuses an allowed name that resolves to loopback, a private network or link-local, before connecting', async () => {
    const before = hits.length;
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.10', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1']) {
      const resolve = tableResolver({ 'rebind.test': [[address]] });
      const result = await call(`rebind.test:${port}, *.wild.test`, resolve, `http://rebind.test:${port}/json`);
      expect(result, address).toBeInstanceOf(ActionError);
      expect((result as ActionError).permanent).toBe(true);
      expect((result as ActionError).message).toContain(`resolves to ${address}`);
      // A wildcard entry is no way around it.
      const wild = await call(`*.wild.test`, tableResolver({ 'a.wild.test': [[address]] }), `http://a.wild.test:${port}/json`);
      expect((wild as ActionError).message, address).toContain('not a public address');
    }
    // A name with a public and a private address is refused too (the connection could take either).
    const mixed = await call(`mixed.test:${port}`, tableResolver({ 'mixed.test': [['93.184.215.14', '127.0.0.1']] }), `http://mixed.test:${port}/json`);
    expect((mixed as ActionError).message).toContain('resolves to 127.0.0.1');
    expect(hits.slice(before)).toEqual([]);
  });

  it('reaches a non-public address only when the allowlist names it as an IP (and its port, if given)', async () => {
    const resolve = tableResolver({ 'api.test': [['127.0.0.1']] });
    const ok = await call(`api.test:${port}, 127.0.0.1:${port}`, resolve, `http://api.test:${port}/json`);
    expect(ok).toMatchObject({ status: 200, body: { host: `api.test:${port}` } });
    const otherPort = await call(`api.test:${port}, 127.0.0.1:1`, resolve, `http://api.test:${port}/json`);
    expect((otherPort as ActionError).message).toContain('resolves to 127.0.0.1');
    // An IP literal URL on the list (what the other tests and the fault tests use) still works.
    expect(await call(`127.0.0.1:${port}`, tableResolver({ '127.0.0.1': [['127.0.0.1']] }), `http://127.0.0.1:${port}/json`)).toMatchObject({ status: 200 });
    // `localhost` itself may reach loopback when it is listed; no other name may.
    expect(await call(`localhost:${port}`, tableResolver({ localhost: [['127.0.0.1']] }), `http://localhost:${port}/json`)).toMatchObject({ status: 200 });
    expect(await call(`localhost:${port}`, tableResolver({ localhost: [['10.0.0.1']] }), `http://localhost:${port}/json`)).toBeInstanceOf(ActionError);
  });

  it('connects to the address it checked: a name that resolves elsewhere a moment later (rebinding) is not asked again', async () => {
    // First answer: the listed loopback address (here standing for a public one); every later answer: a private one.
    const resolve = tableResolver({ 'api.test': [['127.0.0.1'], ['10.66.0.1']] });
    const before = hits.length;
    const ok = await call(`api.test:${port}, 127.0.0.1:${port}`, resolve, `http://api.test:${port}/json`);
    expect(ok).toMatchObject({ status: 200, body: { host: `api.test:${port}` } });
    // One resolution for the one hop: the connection did not resolve the name again (the
    // system resolver does not know api.test, so an unpinned connection would have failed).
    expect(resolve.calls).toEqual(['api.test']);
    expect(hits.slice(before)).toEqual([`api.test:${port} GET /json`]);

    // Each redirect hop is resolved and checked again: the second hop now gets the private address.
    const hop = tableResolver({ 'api.test': [['127.0.0.1'], ['10.66.0.1']] });
    const refused = await call(`api.test:${port}, 127.0.0.1:${port}`, hop, `http://api.test:${port}/redirect`);
    expect((refused as ActionError).message).toContain('resolves to 10.66.0.1');
    expect(hop.calls).toEqual(['api.test', 'api.test']);
  });

  it('over HTTPS the pinned connection still sends the name as TLS server name and checks the certificate', async () => {
    // A self-signed certificate for api.test (tests/fixtures/tls): the action must reach the
    // pinned address, say `api.test` in the ClientHello and refuse the certificate.
    const fixture = (name: string) => readFile(new URL(`../fixtures/tls/${name}`, import.meta.url));
    const secure = createSecureContext({ key: await fixture('api-test.key.pem'), cert: await fixture('api-test.cert.pem') });
    const serverNames: string[] = [];
    const tls = createHttpsServer({ SNICallback: (name, cb) => (serverNames.push(name), cb(null, secure)) }, (_req, res) => res.writeHead(200).end('{}'));
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const tlsPort = (tls.address() as AddressInfo).port;
    try {
      const result = await call(`api.test:${tlsPort}, 127.0.0.1:${tlsPort}`, tableResolver({ 'api.test': [['127.0.0.1']] }), `https://api.test:${tlsPort}/json`);
      expect(result).toBeInstanceOf(ActionError);
      expect((result as ActionError).message).toMatch(/SELF_SIGNED|self[- ]signed/i);
      expect(serverNames).toEqual(['api.test']);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  it('a name that does not resolve is a transient failure', async () => {
    const result = await call('nowhere.test', tableResolver({}), 'http://nowhere.test/');
    expect((result as ActionError).permanent).toBe(false);
    expect((result as ActionError).message).toContain('ENOTFOUND');
  });

  it('classifies addresses', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1']) expect(isPublicAddress(address), address).toBe(true);
    for (const address of ['127.0.0.2', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '224.0.0.1', '255.255.255.255', '::', '::1', 'fc00::1', 'fe80::1', 'ff02::1', '64:ff9b::a00:1', '2001:db8::1', 'not-an-ip'])
      expect(isPublicAddress(address), address).toBe(false);
    expect(isLoopbackAddress('127.5.5.5')).toBe(true);
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
  });
});
