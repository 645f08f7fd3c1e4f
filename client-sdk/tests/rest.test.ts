import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, StoryloomError, createApi, fillPath, type OperationName } from '../src/index.js';

describe('route table', () => {
  it('has a typed method for every route and a route for every method', () => {
    const api = createApi({ baseUrl: 'http://127.0.0.1:1', token: async () => 't', refreshToken: async () => 't' });
    expect(Object.keys(api).sort()).toEqual(Object.keys(API_ROUTES).sort());
    for (const name of Object.keys(API_ROUTES) as OperationName[]) expect(typeof api[name]).toBe('function');
  });

  it('never lists one method and path twice', () => {
    const keys = Object.values(API_ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('fills and encodes path parameters', () => {
    expect(fillPath('/a/{id}/b', { id: 'p/d x' })).toBe('/a/p%2Fd%20x/b');
    expect(() => fillPath('/a/{id}', {})).toThrow(StoryloomError);
  });
});

describe('REST errors (against a real HTTP server)', () => {
  let server: Server;
  let base: string;
  const seen: { url: string; auth: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url?.startsWith('/api/realtime/writing/sessions/missing/metrics')) return json(404, { error: { code: 'not-found', message: 'No writing session missing', details: { sessionId: 'missing' } } });
      if (req.url === '/api/realtime/writing/preferences') {
        return req.headers.authorization === 'Bearer fresh'
          ? json(200, { userId: 'u', analyticsOptOut: false, timeZone: 'UTC' })
          : json(401, { error: { code: 'unauthorized', message: 'The token has expired', details: {} } });
      }
      if (req.url === '/readyz') return json(503, { status: 'fail', checks: { db: { status: 'fail', error: 'down' } } });
      if (req.url === '/healthz') return res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
      json(404, { error: { code: 'not-found', message: 'No route', details: {} } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const api = (token = 'stale', refreshed = 'fresh') => createApi({ baseUrl: base, token: async () => token, refreshToken: async () => refreshed });

  it('turns an error body into a typed StoryloomError', async () => {
    const error = (await api().getWritingSession('missing').catch((e: unknown) => e)) as StoryloomError;
    expect(error).toBeInstanceOf(StoryloomError);
    expect(error).toMatchObject({ code: 'not-found', status: 404, details: { sessionId: 'missing' } });
  });

  it('retries a 401 once with a refreshed token', async () => {
    seen.length = 0;
    expect(await api().getWritingPreferences()).toEqual({ userId: 'u', analyticsOptOut: false, timeZone: 'UTC' });
    expect(seen.map((s) => s.auth)).toEqual(['Bearer stale', 'Bearer fresh']);
    await expect(api('stale', 'still-stale').getWritingPreferences()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('returns the readiness report for 503, and sends no token to public routes', async () => {
    seen.length = 0;
    expect(await api().readiness()).toMatchObject({ status: 'fail' });
    expect(seen[0]?.auth).toBeUndefined();
  });

  it('maps a non-JSON error page to internal-error with the status', async () => {
    await expect(api().liveness()).rejects.toMatchObject({ code: 'internal-error', status: 502 });
  });

  it('maps a network failure to service-unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await createApi({ baseUrl: `http://127.0.0.1:${port}`, token: async () => 't', refreshToken: async () => 't' })
      .liveness()
      .catch((e: unknown) => e)) as StoryloomError;
    expect(error).toBeInstanceOf(StoryloomError);
    expect(error.code).toBe('service-unavailable');
    expect(error.cause).toBeDefined();
  });
});
