import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import fc from 'fast-check';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

/**
 * Issue 13 "Then prove it" item 2, the WebSocket half: random and mutated binary frames on
 * /collaboration (mutations of real Yjs sync/awareness frames captured from a provider, and
 * plain random bytes) and junk on /ws/* never crash the process, never change another
 * document (content and state vector of a bystander document, whose writers keep
 * collaborating), and every fuzzing socket on /collaboration ends with a close code.
 * Bounded: fixed numRuns and at most 30 frames a run.
 */

let t: TestServer;
let fuzzProject: string;
let bystanderName: string;
let writers: TestClient[];
const captured: Uint8Array[] = [];
const closes = new Map<string, number>();
let framesSent = 0;

const count = (key: string) => closes.set(key, (closes.get(key) ?? 0) + 1);

/** A `ws` WebSocket that records every frame the provider sends: the fuzzer's seed corpus. */
class RecordingWebSocket extends WebSocket {
  override send(data: unknown, ...rest: unknown[]): void {
    if (data instanceof Uint8Array || data instanceof ArrayBuffer) captured.push(new Uint8Array(data instanceof ArrayBuffer ? data : data.slice()));
    (super.send as (...args: unknown[]) => void)(data, ...rest);
  }
}

function serverDoc(name: string): Y.Doc {
  const doc = t.server.collaboration.hocuspocus.documents.get(name);
  if (!doc) throw new Error(`${name} is not loaded`);
  return doc;
}

const stateOf = (name: string) => ({ text: textOf(serverDoc(name)), vector: Buffer.from(Y.encodeStateVector(serverDoc(name))).toString('hex') });

beforeAll(async () => {
  t = await startTestServer({ COLLAB_MESSAGES_PER_SECOND: '100000', COLLAB_MESSAGE_BURST: '100000', MAX_CONNECTIONS_PER_IP: '0' });
  fuzzProject = uniqueName('fuzz');
  // The bystander lives in a project the fuzzer has no role in.
  const bystanderProject = uniqueName('by');
  bystanderName = `${bystanderProject}/bystander`;
  writers = [
    connectClient(t.wsUrl, bystanderName, await t.token('by1', { [bystanderProject]: 'editor' })),
    connectClient(t.wsUrl, bystanderName, await t.token('by2', { [bystanderProject]: 'editor' })),
  ];
  await Promise.all(writers.map((w) => w.synced));
  typeInto(writers[0]!.ydoc, 'The bystander text.');
  await vi.waitFor(() => expect(textOf(writers[1]!.ydoc)).toBe('The bystander text.'));
  await vi.waitFor(() => expect(writers[0]!.provider.unsyncedChanges).toBe(0));

  // Seed corpus: a real provider's auth, sync step 1/2, updates, awareness and close frames.
  const socket = new HocuspocusProviderWebsocket({ url: t.wsUrl, maxAttempts: 1, WebSocketPolyfill: RecordingWebSocket });
  const doc = new Y.Doc();
  let synced!: () => void;
  const done = new Promise<void>((resolve) => (synced = resolve));
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: `${fuzzProject}/seed`, document: doc, token: await t.token('fuzzer', { [fuzzProject]: 'editor' }), onSynced: () => synced() });
  provider.attach();
  await done;
  typeInto(doc, 'seed text for mutations');
  provider.setAwarenessField('user', { name: 'fuzzer', color: '#f00' });
  await vi.waitFor(() => expect(provider.unsyncedChanges).toBe(0));
  provider.destroy();
  socket.destroy();
  expect(captured.length).toBeGreaterThanOrEqual(4);
}, 60_000);

afterAll(async () => {
  for (const w of writers ?? []) w.destroy();
  await t?.cleanup();
});

/** Replaces the document name at the start of a frame (varString) with `name`. */
function readdress(frame: Uint8Array, name: string): Uint8Array {
  let length = 0;
  let shift = 0;
  let i = 0;
  for (; i < frame.length; i++) {
    length |= (frame[i]! & 0x7f) << shift;
    shift += 7;
    if (frame[i]! < 0x80) break;
  }
  const rest = frame.subarray(Math.min(frame.length, i + 1 + length));
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  encoding.writeUint8Array(encoder, rest);
  return encoding.toUint8Array(encoder);
}

/** Bytes of the document name and message type: mutating after them keeps a frame routable. */
function headerLength(frame: Uint8Array): number {
  try {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    decoding.readVarUint(decoder);
    return decoder.pos;
  } catch {
    return 0;
  }
}

const frameArb = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    // Real frames with a mutated body: they get past the header check into Hocuspocus and Yjs.
    fc.record({ i: fc.nat(), flips: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }) }).map(({ i, flips }) => {
      const frame = captured[i % captured.length]!.slice();
      const start = headerLength(frame);
      if (frame.length > start) for (const { at, byte } of flips) frame[start + (at % (frame.length - start))] = byte;
      return frame;
    }),
    // Real frames, mutated.
    fc.record({ i: fc.nat(), flips: fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { maxLength: 4 }) }).map(({ i, flips }) => {
      const frame = captured[i % captured.length]!.slice();
      for (const { at, bit } of flips) if (frame.length > 0) frame[at % frame.length]! ^= 1 << bit;
      return frame;
    }),
    fc.record({ i: fc.nat(), cut: fc.nat() }).map(({ i, cut }) => {
      const frame = captured[i % captured.length]!;
      return frame.slice(0, cut % (frame.length + 1));
    }),
    fc.record({ i: fc.nat(), at: fc.nat(), junk: fc.uint8Array({ maxLength: 64 }) }).map(({ i, at, junk }) => {
      const frame = captured[i % captured.length]!;
      const cut = at % (frame.length + 1);
      return Uint8Array.from([...frame.subarray(0, cut), ...junk, ...frame.subarray(cut)]);
    }),
    // Real frames aimed at the bystander (no role there) or at a bad document name.
    fc.record({ i: fc.nat(), target: fc.constantFrom('bystander', 'bad') }).map(({ i, target }) =>
      readdress(captured[i % captured.length]!, target === 'bystander' ? bystanderName : '../../etc/passwd'),
    ),
    // Plain random bytes, including empty frames.
    fc.uint8Array({ maxLength: 512 }),
  );

/** One fuzzing socket: optionally authenticated, sends the frames, then a text frame that must end it. */
async function fuzzSocket(authenticate: boolean, frames: Uint8Array[]): Promise<void> {
  const ws = new WebSocket(t.wsUrl);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', () => reject(new Error('upgrade refused')));
  });
  const auth = captured.find((f) => f[f[0]! + 1] === 2);
  if (authenticate && auth) ws.send(auth);
  for (const frame of frames) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(frame);
    framesSent++;
  }
  if (ws.readyState === WebSocket.OPEN) ws.send('not a Yjs frame');
  const timer = setTimeout(() => ws.terminate(), 10_000);
  const code = await closed;
  clearTimeout(timer);
  count(`collab ${code}`);
}

describe('fuzzing the WebSocket servers', () => {
  it('random and mutated frames on /collaboration crash nothing and change no other document', async () => {
    const before = stateOf(bystanderName);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frameArb(), { minLength: 1, maxLength: 40 }), async (authenticate, frames) => {
        await fuzzSocket(authenticate, frames);
      }),
      { numRuns: 500 },
    );
    expect(stateOf(bystanderName)).toEqual(before);
    // The bystander's writers still collaborate, and the server still answers HTTP.
    typeInto(writers[1]!.ydoc, ' Still here.');
    await vi.waitFor(() => expect(textOf(writers[0]!.ydoc)).toBe('The bystander text. Still here.'));
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBeLessThan(500);
    const unclosed = [...closes.entries()].filter(([k]) => k === 'collab 1006').reduce((n, [, v]) => n + v, 0);
    console.log(`[fuzz] /collaboration: ${framesSent} frames on ${[...closes.values()].reduce((a, b) => a + b, 0)} sockets; closes ${JSON.stringify(Object.fromEntries(closes))}; bystander documents changed: 0`);
    // Every socket got a close frame from the server (1006 would mean it was cut off without one).
    expect(unclosed).toBe(0);
  }, 120_000);

  it('junk on /ws/* (random and deep JSON, huge strings, invalid UTF-8, binary) never crashes the gateway', async () => {
    const token = await t.token('junk', { [fuzzProject]: 'reader' });
    const gatewayCloses = new Map<number | string, number>();
    let junkSent = 0;
    const junkArb = fc.oneof(
      fc.json().map((s) => ({ text: s })),
      fc.jsonValue().map((v) => ({ text: JSON.stringify({ type: 'subscribe', channel: v }) })),
      fc.integer({ min: 1, max: 5_000 }).map((depth) => ({ text: '['.repeat(depth) + ']'.repeat(depth) })),
      fc.integer({ min: 1_000, max: 200_000 }).map((n) => ({ text: JSON.stringify({ type: 'ping', id: 'x'.repeat(n) }) })),
      fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => ({ binary: bytes })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ invalidUtf8: Uint8Array.from([0xc3, 0x28, ...bytes, 0xff]) })),
      fc.string({ maxLength: 200 }).map((s) => ({ text: s })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(junkArb, { minLength: 1, maxLength: 30 }), async (junk) => {
        const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ws/analytics?token=${token}`);
        const replies: string[] = [];
        ws.on('message', (data) => replies.push(String(data)));
        ws.on('error', () => {});
        const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
        await new Promise<void>((resolve) => ws.once('open', () => resolve()));
        for (const item of junk) {
          if (ws.readyState !== WebSocket.OPEN) break;
          // A text frame with invalid UTF-8: ws sends Buffers as binary, so mark it text.
          if ('invalidUtf8' in item) ws.send(item.invalidUtf8, { binary: false });
          else if ('binary' in item) ws.send(item.binary, { binary: true });
          else ws.send(item.text);
          junkSent++;
        }
        if (ws.readyState === WebSocket.OPEN) {
          // Still open: it must still answer, then the client ends it.
          ws.send(JSON.stringify({ type: 'ping', id: 'alive' }));
          await vi.waitFor(() => expect(replies.some((r) => r.includes('"alive"')) || ws.readyState !== WebSocket.OPEN).toBe(true), { timeout: 10_000 });
          ws.close();
        }
        const code = await closed;
        gatewayCloses.set(code, (gatewayCloses.get(code) ?? 0) + 1);
      }),
      { numRuns: 200 },
    );
    const c = await (async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ws/analytics?token=${token}`);
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      return ws;
    })();
    c.close();
    console.log(`[fuzz] /ws/analytics: ${junkSent} junk messages on 200 sockets; closes ${JSON.stringify(Object.fromEntries(gatewayCloses))}`);
    expect(gatewayCloses.get(1006) ?? 0).toBe(0);
  }, 120_000);
});
