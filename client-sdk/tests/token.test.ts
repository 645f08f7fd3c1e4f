import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The server side of the contract, to compare against (the SDK itself imports nothing from it).
import { defaultColor as serverDefaultColor } from '../../src/lib/identity.js';
import { createTokenVerifier, signToken } from '../../src/auth/tokens.js';
import { StoryloomError, createTokenSource, decodeToken, defaultColor, refreshDelay } from '../src/index.js';
import { createManualTime } from './helpers/manual-time.js';

const SECRET = 'sdk-unit-secret-0123456789-abcdefghij';
const sign = (userId: string, nowMs: number, expiresInSeconds: number, extra: { color?: string; admin?: boolean } = {}) =>
  signToken(SECRET, { userId, name: `Name of ${userId}`, projects: { p1: 'owner', p2: 'reader' }, expiresInSeconds, ...extra }, nowMs);

describe('decodeToken', () => {
  it('reads the same identity the server verifies, without the secret', async () => {
    const token = await sign('ada', Date.now(), 600, { color: '#123abc', admin: true });
    const server = await createTokenVerifier({ secret: SECRET }).verify(token);
    expect(decodeToken(token)).toEqual(server);
  });

  it('fills in the server default colour when the token has none', async () => {
    const token = await sign('grace', Date.now(), 600);
    const server = await createTokenVerifier({ secret: SECRET }).verify(token);
    expect(decodeToken(token).color).toBe(server.color);
  });

  it('keeps the default colour equal to the server for any user id', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 300 }), (id) => defaultColor(id) === serverDefaultColor(id)));
  });

  it.each(['', 'abc', 'a.b.c', 'x.eyJzdWIiOiJhIn0.y', `x.${btoa(JSON.stringify({ sub: 'a', exp: 'soon' }))}.y`])('refuses %j as unauthorized', (token) => {
    expect(() => decodeToken(token)).toThrow(StoryloomError);
    try {
      decodeToken(token);
    } catch (error) {
      expect((error as StoryloomError).code).toBe('unauthorized');
    }
  });

  it('decodes UTF-8 names', async () => {
    const token = await signToken(SECRET, { userId: 'z', name: 'Zoë Ñandú 作家', expiresInSeconds: 60 });
    expect(decodeToken(token).name).toBe('Zoë Ñandú 作家');
  });
});

describe('refreshDelay', () => {
  const now = 1_000_000;
  it('refreshes a minute before expiry', () => expect(refreshDelay(now + 3_600_000, now)).toBe(3_540_000));
  it('refreshes short-lived tokens half-way, never in a hot loop', () => {
    expect(refreshDelay(now + 10_000, now)).toBe(5_000);
    expect(refreshDelay(now + 1_500, now)).toBe(1_000);
    expect(refreshDelay(now + 400, now)).toBe(400);
  });
  it('is 0 for an expired token', () => expect(refreshDelay(now - 1, now)).toBe(0));
  it('always lands before expiry and after now', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 10 }), fc.integer({ min: 0, max: 600_000 }), (remaining, lead) => {
        const delay = refreshDelay(now + remaining, now, lead);
        return delay > 0 && delay <= remaining;
      }),
    );
  });
});

describe('createTokenSource', () => {
  it('calls getToken about a minute before expiry, again and again, with an injected clock', async () => {
    const time = createManualTime();
    const calls: number[] = [];
    const refreshed: string[] = [];
    // Signed up front: each is issued at the time getToken is expected to be called.
    const issued = await Promise.all([0, 3_540_000, 7_080_000].map((t) => sign('ada', time.now() + t, 3600)));
    const source = createTokenSource({
      clock: time,
      timers: time,
      getToken: () => {
        calls.push(time.now());
        return issued[calls.length - 1]!;
      },
    });
    source.onRefresh((token) => refreshed.push(token));
    const first = await source.current();
    expect(calls).toHaveLength(1);
    expect(await source.current()).toBe(first); // cached
    expect(time.pending()).toEqual([3_540_000]);
    await time.advance(3_539_999);
    expect(calls).toHaveLength(1);
    await time.advance(1);
    expect(calls).toHaveLength(2);
    expect(refreshed).toHaveLength(1);
    await time.advance(3_540_000);
    expect(calls).toHaveLength(3);
    source.close();
    expect(time.pending()).toEqual([]);
  });

  it('shares one getToken call between concurrent callers', async () => {
    let calls = 0;
    const source = createTokenSource({ getToken: async () => (calls++, sign('ada', Date.now(), 600)) });
    const tokens = await Promise.all([source.current(), source.current(), source.refresh()]);
    expect(new Set(tokens).size).toBe(1);
    expect(calls).toBe(1);
    source.close();
  });

  it('refuses an expired static token with a clear unauthorized error', async () => {
    const source = createTokenSource({ token: await sign('ada', Date.now() - 7_200_000, 3600) });
    await expect(source.current()).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired at/) });
  });

  it('asks again once when getToken returns an expired token, and refuses a second one', async () => {
    let calls = 0;
    const source = createTokenSource({ getToken: () => (calls++, sign('ada', Date.now() - 7_200_000, 3600)) });
    await expect(source.current()).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired at/) });
    expect(calls).toBe(2);
    let n = 0;
    const recovering = createTokenSource({ getToken: () => sign('ada', Date.now() - (n++ === 0 ? 7_200_000 : 0), 3600) });
    expect(decodeToken(await recovering.current()).expiresAt).toBeGreaterThan(Date.now());
    recovering.close();
  });

  it('turns a throwing getToken into unauthorized, keeping the cause', async () => {
    const boom = new Error('auth server down');
    const source = createTokenSource({ getToken: () => Promise.reject(boom) });
    const error = (await source.current().catch((e: unknown) => e)) as StoryloomError;
    expect(error.code).toBe('unauthorized');
    expect(error.cause).toBe(boom);
  });

  it('retries a failed scheduled refresh while the token still works, then reports', async () => {
    const time = createManualTime();
    const errors: StoryloomError[] = [];
    let fail = false;
    let calls = 0;
    const source = createTokenSource({
      clock: time,
      timers: time,
      onError: (e) => errors.push(e),
      getToken: async () => {
        calls++;
        if (fail) throw new Error('down');
        return sign('ada', time.now(), 120);
      },
    });
    await source.current();
    fail = true;
    await time.advance(60_000); // scheduled refresh fails: 60 s left, retry in 30 s
    expect(calls).toBe(2);
    expect(errors).toEqual([]);
    await time.advance(60_000);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(errors.at(-1)?.code).toBe('unauthorized');
    source.close();
  });
});
