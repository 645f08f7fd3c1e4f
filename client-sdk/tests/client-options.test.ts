import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { providerRetry } from '../src/client.js';
import { createClient, type StoryloomDocument, type WebSocketConstructor, type WebSocketLike } from '../src/index.js';
import { StoryloomActivity, collaborationExtensions } from '../src/tiptap.js';

/** A WebSocket that never opens: enough to build providers without a server. */
class NeverOpens implements WebSocketLike {
  readyState = 0;
  binaryType = 'arraybuffer';
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  send(): void {}
  close(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
}

const noSocket = NeverOpens as unknown as WebSocketConstructor;
const FAR_FUTURE_TOKEN = `x.${Buffer.from(JSON.stringify({ sub: 'u', name: 'U', exp: 4_000_000_000 })).toString('base64url')}.y`;

describe('collaborationBackoff', () => {
  it('maps to the Hocuspocus socket retry settings', () => {
    const client = createClient({ url: 'http://localhost:1', token: FAR_FUTURE_TOKEN, WebSocketPolyfill: noSocket, collaborationBackoff: { initialMs: 500, maxMs: 5_000 } });
    const doc = client.document('novel/chapter-1');
    const config = doc.provider.configuration.websocketProvider.configuration;
    expect(config).toMatchObject({ delay: 500, minDelay: 250, maxDelay: 5_000, factor: 2, jitter: true });
    client.destroy();
  });

  it('keeps Hocuspocus defaults for what it leaves out, and leaves them alone when absent', () => {
    expect(providerRetry({ maxMs: 5_000 })).toEqual({ delay: 1_000, minDelay: 500, maxDelay: 5_000, factor: 2, jitter: true });
    const client = createClient({ url: 'http://localhost:1', token: FAR_FUTURE_TOKEN, WebSocketPolyfill: noSocket });
    const doc = client.document('novel/chapter-1');
    expect(doc.provider.configuration.websocketProvider.configuration).toMatchObject({ delay: 1_000, maxDelay: 30_000 });
    client.destroy();
  });

  it('refuses settings the retry library would choke on, at createClient', () => {
    for (const bad of [{ initialMs: -1 }, { initialMs: 2_000, maxMs: 1_000 }, { factor: 0.5 }, { maxMs: Number.NaN }]) {
      expect(() => createClient({ url: 'http://localhost:1', token: FAR_FUTURE_TOKEN, collaborationBackoff: bad })).toThrow(expect.objectContaining({ code: 'validation-failed' }));
    }
    expect(providerRetry({ initialMs: 333.6, maxMs: 4_000.4 })).toMatchObject({ delay: 334, minDelay: 167, maxDelay: 4_000 });
  });
});

describe('collaborationExtensions activity option', () => {
  const doc = { ydoc: new Y.Doc(), provider: {}, self: new Promise(() => undefined) } as unknown as StoryloomDocument;
  const activityOf = (options: Parameters<typeof collaborationExtensions>[1]) =>
    collaborationExtensions(doc, { user: { name: 'U', color: '#000000' }, ...options }).find((e) => e.name === StoryloomActivity.name);

  it('takes some of the options and keeps the defaults of the rest, on this document', () => {
    expect(activityOf({ activity: { idleAfterMs: 2_000 } })?.options).toEqual({ doc, idleAfterMs: 2_000, velocityEveryMs: 1_000 });
    expect(activityOf({})?.options).toEqual({ doc, idleAfterMs: 5_000, velocityEveryMs: 1_000 });
    expect(activityOf({ activity: true })?.options).toEqual({ doc, idleAfterMs: 5_000, velocityEveryMs: 1_000 });
    expect(activityOf({ activity: false })).toBeUndefined();
  });
});
