import * as Y from 'yjs';

/**
 * `Y.parseUpdateMeta` of a client's update, decoded once per message. Hocuspocus hands the same
 * payload array to every extension's beforeSync: the word claims (750) need the update's client
 * ids and persistence (700) must refuse an update that does not decode, and each used to decode
 * the whole update again (in the hot document ~50 µs per edit, a tenth of the tracking's share).
 * Keyed by the array itself, so an entry lives exactly as long as the message.
 */
export type UpdateMeta = ReturnType<typeof Y.parseUpdateMeta>;

const decoded = new WeakMap<Uint8Array, UpdateMeta | { invalid: unknown }>();

/** The update's meta; throws (every time) what the decoder threw when the update does not decode. */
export function updateMetaOf(payload: Uint8Array): UpdateMeta {
  let meta = decoded.get(payload);
  if (meta === undefined) {
    try {
      meta = Y.parseUpdateMeta(payload);
    } catch (error) {
      meta = { invalid: error };
    }
    decoded.set(payload, meta);
  }
  if ('invalid' in meta) throw meta.invalid;
  return meta;
}
