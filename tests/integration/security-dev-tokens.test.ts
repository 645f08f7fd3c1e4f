import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

/** A non-loopback IPv4 address of this machine, if it has one. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

/**
 * Issue 13, hole 2: GET /api/dev/token failed open (any non-production server, any network
 * client, signed with the real AUTH_SECRET). Now: off unless enabled; on by default only
 * without AUTH_SECRET outside production, and then only for loopback clients not behind a proxy.
 */
// Each case starts its own server (a config of its own); on a loaded machine that takes a while.
describe('security: the dev token endpoint fails closed', { timeout: 120_000 }, () => {
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string>) => {
    const t = await startTestServer(env);
    servers.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.cleanup()));
  }, 120_000);

  it('decides from the config: default on only without AUTH_SECRET outside production, never in production', () => {
    expect(loadConfig({}).devTokens).toMatchObject({ enabled: true, loopbackOnly: true });
    expect(loadConfig({ AUTH_SECRET: TEST_SECRET }).devTokens).toMatchObject({ enabled: false });
    expect(loadConfig({ AUTH_SECRET: TEST_SECRET, DEV_TOKENS: 'true' }).devTokens).toMatchObject({ enabled: true, loopbackOnly: false });
    expect(loadConfig({ DEV_TOKENS: 'false' }).devTokens).toMatchObject({ enabled: false });
    expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: TEST_SECRET }).devTokens).toMatchObject({ enabled: false });
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_SECRET: TEST_SECRET, DEV_TOKENS: 'true' })).toThrow(/DEV_TOKENS/);
    for (const env of [{}, { AUTH_SECRET: TEST_SECRET }, { DEV_TOKENS: 'true' }]) expect(loadConfig(env).devTokens.reason).toMatch(/\w/);
  });

  it('answers 404 on a server with AUTH_SECRET and no DEV_TOKENS', async () => {
    const t = await start({ DEV_TOKENS: '' });
    const res = await fetch(`${t.httpUrl}/api/dev/token?user=mallory&role=owner`);
    expect(res.status).toBe(404);
  });

  it('serves loopback clients by default without AUTH_SECRET, but not proxied requests', async () => {
    const t = await start({ AUTH_SECRET: '', DEV_TOKENS: '' });
    expect((await fetch(`${t.httpUrl}/api/dev/token?user=alice`)).status).toBe(200);
    const proxied = await fetch(`${t.httpUrl}/api/dev/token?user=alice`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(404);
  });

  it.skipIf(!lanAddress)('refuses non-loopback clients unless DEV_TOKENS=true', async () => {
    const auto = await start({ AUTH_SECRET: '', DEV_TOKENS: '', HOST: '0.0.0.0' });
    expect((await fetch(`http://${lanAddress}:${auto.port}/api/dev/token?user=alice`)).status).toBe(404);
    const explicit = await start({ DEV_TOKENS: 'true', HOST: '0.0.0.0' });
    expect((await fetch(`http://${lanAddress}:${explicit.port}/api/dev/token?user=alice`)).status).toBe(200);
  });
});
