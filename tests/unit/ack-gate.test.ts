import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { isSyncStatus } from '../../src/collab/extensions/ack-gate.js';

/** A frame as Hocuspocus writes it: varString address, varUint type, then the body. */
function frame(address: string, type: number, body: number[] = [1, 0]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, address);
  encoding.writeVarUint(encoder, type);
  for (const b of body) encoding.writeUint8(encoder, b);
  return encoding.toUint8Array(encoder);
}

/** The straightforward reading (decode the address, then the type) the fast one must equal. */
function decoded(bytes: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(bytes);
    decoding.readVarString(decoder);
    return decoding.readVarUint(decoder) === 8;
  } catch {
    return false;
  }
}

describe('ack gate: isSyncStatus', () => {
  const addresses = ['', 'demo/chapter-1', 'ü'.repeat(64), 'x'.repeat(127), 'x'.repeat(128), 'p/'.repeat(400)];
  it('finds the SyncStatus type behind addresses of every length-prefix size', () => {
    for (const address of addresses) {
      for (const type of [0, 1, 2, 3, 7, 8, 9, 127, 136, 1000]) {
        const bytes = frame(address, type);
        expect(isSyncStatus(bytes), `${address.length} chars, type ${type}`).toBe(type === 8);
        expect(isSyncStatus(bytes)).toBe(decoded(bytes));
      }
    }
  });

  it('says no to truncated and empty frames instead of throwing', () => {
    const whole = frame('x'.repeat(200), 8);
    for (let cut = 0; cut < whole.length - 2; cut++) expect(isSyncStatus(whole.subarray(0, cut))).toBe(false);
    expect(isSyncStatus(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(false);
  });
});
