/**
 * The dedupe window of a consumer group (memory bus) or member (Redis): the last `size` event ids
 * it handled. Exact (no hashing that could drop a distinct event as a repeat) and O(1) per call.
 *
 * Why two stores: a full window of 20,000 ids kept as strings in a Set was ~70 bytes of heap per
 * id (the 36-character string, its Set entry, its ring slot), ~1.4 MB per group, and it only fills
 * after 20,000 events: a long load looked like 5.5 MB of heap growth over four groups. Our own ids
 * are lowercase UUIDs (src/lib/ids.ts), 128 bits each, so they go to preallocated typed arrays:
 * 16 bytes of ring plus two table slots per id, allocated once when the window is created and
 * never growing. Any other id (a ULID, an upper-case UUID: distinct strings, so kept distinct)
 * goes to a string window of the same size, created on first use. Each store remembers its own
 * last `size` ids, so every id is remembered for at least `size` later adds, as before.
 */
export class SeenIds {
  readonly #size: number;
  readonly #uuids: UuidWindow;
  #others: StringWindow | undefined;
  /** Scratch for the parsed id: parsing allocates nothing. */
  readonly #words = new Uint32Array(4);

  constructor(size: number) {
    this.#size = Math.max(1, size);
    this.#uuids = new UuidWindow(this.#size);
  }

  has(id: string): boolean {
    if (parseUuid(id, this.#words)) return this.#uuids.has(this.#words);
    return this.#others?.has(id) ?? false;
  }

  add(id: string): void {
    if (parseUuid(id, this.#words)) this.#uuids.add(this.#words);
    else (this.#others ??= new StringWindow(this.#size)).add(id);
  }
}

/**
 * Reads a canonical (lowercase, hyphenated) UUID into four 32-bit words; false for anything else.
 * Only the canonical form: 'A1..' and 'a1..' are different event ids and must stay different.
 */
function parseUuid(id: string, out: Uint32Array): boolean {
  if (id.length !== 36) return false;
  let word = 0;
  let nibbles = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // '-'
      continue;
    }
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 97 && c <= 102) v = c - 87;
    else return false;
    word = (word << 4) | v;
    if (++nibbles % 8 === 0) {
      out[nibbles / 8 - 1] = word >>> 0;
      word = 0;
    }
  }
  return true;
}

/**
 * A FIFO window of 128-bit ids: a ring of ids (4 words each) and an open-addressing hash table of
 * ring slots (linear probing, at most half full; deletion by backward shift, so no tombstones
 * pile up and lookups stay O(1) however long the window turns over).
 */
class UuidWindow {
  readonly #ring: Uint32Array;
  /** Ring slot + 1 per table position; 0 is empty. */
  readonly #table: Int32Array;
  readonly #mask: number;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#ring = new Uint32Array(size * 4);
    let capacity = 2;
    while (capacity < size * 2) capacity *= 2;
    this.#table = new Int32Array(capacity);
    this.#mask = capacity - 1;
  }

  has(w: Uint32Array): boolean {
    return this.#find(w) >= 0;
  }

  add(w: Uint32Array): void {
    if (this.#find(w) >= 0) return;
    const slot = this.#next;
    if (this.#count === this.#ring.length / 4) this.#remove(slot);
    else this.#count++;
    this.#ring.set(w, slot * 4);
    let pos = this.#home(slot);
    while (this.#table[pos] !== 0) pos = (pos + 1) & this.#mask;
    this.#table[pos] = slot + 1;
    this.#next = (slot + 1) % (this.#ring.length / 4);
  }

  /** Mixes the random low words (UUIDv7's high words are a timestamp, alike for ids of one ms). */
  #hash(a: number, b: number, c: number, d: number): number {
    let h = Math.imul(d ^ (c >>> 7), 0x9e3779b1) ^ Math.imul(b ^ (a >>> 11), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.#mask;
  }

  #home(slot: number): number {
    const r = this.#ring;
    const o = slot * 4;
    return this.#hash(r[o]!, r[o + 1]!, r[o + 2]!, r[o + 3]!);
  }

  /** The table position holding `w`, or -1. */
  #find(w: Uint32Array): number {
    const r = this.#ring;
    for (let pos = this.#hash(w[0]!, w[1]!, w[2]!, w[3]!); ; pos = (pos + 1) & this.#mask) {
      const entry = this.#table[pos]!;
      if (entry === 0) return -1;
      const o = (entry - 1) * 4;
      if (r[o] === w[0] && r[o + 1] === w[1] && r[o + 2] === w[2] && r[o + 3] === w[3]) return pos;
    }
  }

  /** Takes ring slot `slot`'s id out of the table, shifting later entries of its run back. */
  #remove(slot: number): void {
    let hole = this.#home(slot);
    while (this.#table[hole] !== slot + 1) hole = (hole + 1) & this.#mask;
    for (let pos = (hole + 1) & this.#mask; this.#table[pos] !== 0; pos = (pos + 1) & this.#mask) {
      const home = this.#home(this.#table[pos]! - 1);
      // The entry may fill the hole only if its home is not cyclically within (hole, pos].
      const stays = hole <= pos ? hole < home && home <= pos : hole < home || home <= pos;
      if (stays) continue;
      this.#table[hole] = this.#table[pos]!;
      hole = pos;
    }
    this.#table[hole] = 0;
  }
}

/**
 * A FIFO window of any string ids: a ring plus a Set, both O(1). Evicting through a Map's first
 * key instead would scan the deleted entries V8 keeps until it rehashes (measured: 16 µs per add
 * at 20,000 ids).
 */
class StringWindow {
  readonly #ids = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;
  constructor(size: number) {
    this.#ring = new Array<string | undefined>(size);
  }
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  add(id: string): void {
    if (this.#ids.has(id)) return;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#ids.add(id);
  }
}
