import type { Extension, afterUnloadDocumentPayload, beforeUnloadDocumentPayload, onLoadDocumentPayload } from '@hocuspocus/server';
import { LRUCache } from 'lru-cache';
import type * as Y from 'yjs';
import type { CollabContext } from './context.js';

export interface RecentlyClosedOptions {
  /** Documents kept decoded at most (least recently closed or read go first). */
  maxDocuments: number;
  /** How long a closed document is kept after its unload. */
  ttlMs: number;
}

export interface RecentlyClosed {
  extension: Extension<CollabContext>;
  /** The decoded state of a document this instance unloaded recently and nobody has loaded since. */
  get(documentName: string): Y.Doc | undefined;
}

/**
 * A few documents for a few minutes: a writer closes a chapter, then a version or export follows.
 * The memory this may hold: a decoded 127K-word novel with some typing is ~5.5 MB of heap
 * (measured), so 8 documents of that size ~45 MB, for at most 5 minutes after they closed.
 */
export const RECENTLY_CLOSED_DEFAULTS: RecentlyClosedOptions = { maxDocuments: 8, ttlMs: 5 * 60_000 };

/**
 * Keeps the last few documents this instance unloaded decoded, so a server-side read right after
 * everyone left (a version, an export, a diff) skips reading ~1 MB from storage and decoding it
 * again: for a 127K-word novel that decode is 15-100 ms, most of a version's cost
 * (BENCHMARKS.md "versions and export").
 *
 * Sound only while this instance is the document's only writer: Hocuspocus unloads a document
 * after persistence stored every change (its beforeUnloadDocument refuses otherwise), so the
 * decoded state equals the stored one until the document is loaded again, which drops the entry.
 * With several instances (REDIS_URL) another one may change a document this one closed, so the
 * composition root does not use it there.
 *
 * The entry is the unloaded Hocuspocus document itself (destroyed: no listeners, no connections),
 * read only: holding it costs no copy. It is captured before the unload and kept only if the
 * unload completes with no load of the name in between, so an unload that finishes while a new
 * load starts never brings the old state back.
 */
export function createRecentlyClosed(options: RecentlyClosedOptions = RECENTLY_CLOSED_DEFAULTS): RecentlyClosed {
  const closed = new LRUCache<string, Y.Doc>({ max: options.maxDocuments, ttl: options.ttlMs, ttlAutopurge: false });
  const unloading = new Map<string, Y.Doc>();

  return {
    extension: {
      extensionName: 'storyloom-recently-closed',

      async onLoadDocument({ documentName }: onLoadDocumentPayload<CollabContext>) {
        closed.delete(documentName);
        unloading.delete(documentName);
      },

      async beforeUnloadDocument({ documentName, document }: beforeUnloadDocumentPayload) {
        unloading.set(documentName, document);
      },

      async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
        const captured = unloading.get(documentName);
        unloading.delete(documentName);
        if (captured) closed.set(documentName, captured);
      },
    },
    get: (documentName) => closed.get(documentName),
  };
}
