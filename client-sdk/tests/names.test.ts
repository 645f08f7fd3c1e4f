import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocumentName as serverParse } from '../../src/collab/document-name.js';
import { StoryloomError, parseDocumentName, serverUrls } from '../src/index.js';

const accepts = (parse: (name: string) => unknown, name: string) => {
  try {
    parse(name);
    return true;
  } catch {
    return false;
  }
};

describe('parseDocumentName', () => {
  it('splits a valid name', () => {
    expect(parseDocumentName('novel_1/chapter-2')).toEqual({ projectId: 'novel_1', documentId: 'chapter-2', name: 'novel_1/chapter-2' });
  });

  it.each(['', 'no-slash', '/d', 'p/', 'p/d/e', 'p d/x', `${'x'.repeat(65)}/d`, 'p/ü'])('refuses %j with invalid-document-name', (name) => {
    const error = (() => {
      try {
        parseDocumentName(name);
      } catch (e) {
        return e;
      }
    })() as StoryloomError;
    expect(error).toBeInstanceOf(StoryloomError);
    expect(error.code).toBe('invalid-document-name');
    expect(error.message).toMatch(/<projectId>\/<documentId>/);
  });

  it('accepts exactly what the server accepts', () => {
    const idChar = fc.constantFrom('a', 'Z', '0', '_', '-', '/', ' ', '.', 'é');
    fc.assert(
      fc.property(fc.array(idChar, { maxLength: 140 }).map((cs) => cs.join('')), (name) => accepts(parseDocumentName, name) === accepts(serverParse, name)),
      { numRuns: 2000 },
    );
  });
});

describe('serverUrls', () => {
  it('derives ws URLs from an http base', () => {
    const urls = serverUrls('http://localhost:8080/');
    expect(urls.http).toBe('http://localhost:8080');
    expect(urls.collaboration).toBe('ws://localhost:8080/collaboration');
    expect(urls.gateway('notifications')).toBe('ws://localhost:8080/ws/notifications');
  });

  it('keeps https, a base path behind a proxy, and accepts the collaboration URL itself', () => {
    expect(serverUrls('https://example.com/storyloom').collaboration).toBe('wss://example.com/storyloom/collaboration');
    expect(serverUrls('https://example.com/storyloom').http).toBe('https://example.com/storyloom');
    expect(serverUrls('wss://example.com/collaboration').http).toBe('https://example.com');
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => serverUrls('localhost:8080')).toThrow(/http/);
    expect(() => serverUrls('ftp://example.com')).toThrow(StoryloomError);
  });
});
