import { describe, expect, it } from 'vitest';
import { tokenFromRequest } from '../../src/auth/request-token.js';
import { createTokenVerifier, signToken } from '../../src/auth/tokens.js';
import { parseDocumentName } from '../../src/collab/document-name.js';
import { AppError } from '../../src/lib/errors.js';

const SECRET = 'unit-secret-unit-secret-unit-secret-1234';

describe('tokens', () => {
  it('round-trips the fixed claims', async () => {
    const token = await signToken(SECRET, { userId: 'u1', name: 'Jane', projects: { demo: 'reviewer' }, admin: true, color: '#123456' });
    const identity = await createTokenVerifier({ secret: SECRET }).verify(token);
    expect(identity).toMatchObject({ userId: 'u1', name: 'Jane', color: '#123456', projects: { demo: 'reviewer' }, admin: true });
    expect(identity.expiresAt).toBeGreaterThan(Date.now());
  });

  it('rejects unknown roles in the claims as unauthorized', async () => {
    const token = await signToken(SECRET, { userId: 'u1', name: 'Jane', projects: { demo: 'god' as 'owner' } });
    await expect(createTokenVerifier({ secret: SECRET }).verify(token)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('finds the token in bearer, cookie and (only where allowed) query', () => {
    const h = (entries: Record<string, string>) => new Headers(entries);
    expect(tokenFromRequest(h({ authorization: 'Bearer abc' }), undefined, { allowQuery: false })).toBe('abc');
    expect(tokenFromRequest(h({ cookie: 'a=1; storyloom_session=xyz' }), undefined, { allowQuery: false })).toBe('xyz');
    const url = new URL('http://h/ws/presence?token=q');
    expect(tokenFromRequest(h({}), url, { allowQuery: false })).toBeUndefined();
    expect(tokenFromRequest(h({}), url, { allowQuery: true })).toBe('q');
  });
});

describe('token edge cases (issue 13)', () => {
  it('treats a malformed session cookie as no token instead of throwing', () => {
    const h = (cookie: string) => new Headers({ cookie });
    expect(tokenFromRequest(h('storyloom_session=%E0%A4%A'), undefined, { allowQuery: false })).toBeUndefined();
    expect(tokenFromRequest(h('storyloom_session=%; x=1'), undefined, { allowQuery: false })).toBeUndefined();
    expect(tokenFromRequest(h('storyloom_session=a%20b'), undefined, { allowQuery: false })).toBe('a b');
  });

  it('refuses a token one second past exp (no leeway)', async () => {
    const token = await signToken(SECRET, { userId: 'u1', name: 'Jane', expiresInSeconds: -1 });
    await expect(createTokenVerifier({ secret: SECRET }).verify(token)).rejects.toMatchObject({ code: 'unauthorized', message: 'The token has expired' });
  });

  it('requires iss and aud when the verifier is bound to them', async () => {
    const bound = createTokenVerifier({ secret: SECRET, issuer: 'https://auth.example', audience: 'storyloom' });
    await expect(bound.verify(await signToken(SECRET, { userId: 'u1', name: 'J' }))).rejects.toMatchObject({ code: 'unauthorized' });
    const good = await signToken(SECRET, { userId: 'u1', name: 'J', issuer: 'https://auth.example', audience: 'storyloom' });
    expect((await bound.verify(good)).userId).toBe('u1');
  });
});

describe('document names', () => {
  it('accepts <projectId>/<documentId>', () => {
    expect(parseDocumentName('my-book/chapter_01')).toEqual({ projectId: 'my-book', documentId: 'chapter_01', full: 'my-book/chapter_01' });
  });
  it.each(['', 'a', 'a/', '/b', 'a/b/c', 'a b/c', 'ä/b', `${'a'.repeat(65)}/b`])('rejects %j', (name) => {
    expect(() => parseDocumentName(name)).toThrow(AppError);
  });
});
