import { describe, expect, it } from 'vitest';
// The one place the SDK meets the server: the SDK itself imports nothing from it.
import { ERROR_CODES as SERVER_ERROR_CODES } from '../../src/lib/errors.js';
import { ERROR_CODES, StoryloomError, isErrorCode, parseErrorBody } from '../src/index.js';

describe('client SDK error table', () => {
  it('mirrors the server table exactly (same codes, HTTP statuses and close codes)', () => {
    expect(ERROR_CODES).toStrictEqual(SERVER_ERROR_CODES);
  });

  it('knows every server code', () => {
    for (const code of Object.keys(SERVER_ERROR_CODES)) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('parseErrorBody', () => {
  it('turns a server error body into a StoryloomError', () => {
    const error = parseErrorBody(
      { error: { code: 'not-found', message: 'No such document', details: { documentId: 'd1' } } },
      404,
    );
    expect(error).toBeInstanceOf(StoryloomError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StoryloomError');
    expect(error.code).toBe('not-found');
    expect(error.message).toBe('No such document');
    expect(error.details).toEqual({ documentId: 'd1' });
    expect(error.status).toBe(404);
  });

  it('defaults details to {} and leaves status unset when not given', () => {
    const error = parseErrorBody({ error: { code: 'rate-limited', message: 'Slow down' } });
    expect(error.code).toBe('rate-limited');
    expect(error.details).toEqual({});
    expect(error.status).toBeUndefined();
  });

  it('maps an unknown code to internal-error and keeps the original code', () => {
    const error = parseErrorBody({ error: { code: 'brand-new', message: 'Later server', details: { a: 1 } } }, 418);
    expect(error.code).toBe('internal-error');
    expect(error.message).toBe('Later server');
    expect(error.details).toEqual({ a: 1, code: 'brand-new' });
    expect(error.status).toBe(418);
  });

  it.each([null, 'Bad Gateway', [], {}, { error: 'nope' }, { message: 'x' }])(
    'never throws on a body of another shape: %j',
    (body) => {
      const error = parseErrorBody(body, 502);
      expect(error.code).toBe('internal-error');
      expect(error.details).toEqual({ body });
      expect(error.status).toBe(502);
    },
  );
});
