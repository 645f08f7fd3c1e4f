import type { Extension, afterLoadDocumentPayload, beforeSyncPayload, onChangePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { toRefusal } from '../close-codes.js';
import { safeHook } from '../safe-hook.js';
import type { CollabContext } from '../context.js';

/**
 * Document size limit. Message size is enforced earlier, by the WebSocket server's `maxPayload`
 * (close 1009). The size kept here is an upper bound (encoded size at load plus every update
 * since; deletions do not shrink it), so the check costs nothing per update and errs towards
 * refusing. An update that would pass the limit is refused before it is logged or applied, and
 * only the offending connection is closed (4413 `document-too-large`).
 */
export interface LimitsExtension {
  extension: Extension<CollabContext>;
  /**
   * The stored bytes a load just read (snapshot plus log rows): an upper bound of the encoded
   * size, known for free, where encoding a novel-sized document again would cost ~40 ms of
   * every cold load.
   */
  loaded(documentName: string, bytes: number): void;
}

export function createLimitsExtension(options: { maxDocumentBytes: number; logger: Logger }): LimitsExtension {
  const sizes = new Map<string, number>();
  const loadedBytes = new Map<string, number>();
  const extension: Extension<CollabContext> = {
    extensionName: 'storyloom-limits',
    // After auth, before persistence: a refused update must never reach the log.
    priority: 800,

    async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload<CollabContext>) {
      const stored = loadedBytes.get(documentName);
      loadedBytes.delete(documentName);
      sizes.set(documentName, stored ?? Y.encodeStateAsUpdate(document).byteLength);
    },

    async beforeSync({ type, payload, documentName, connection }: beforeSyncPayload<CollabContext>) {
      if (type === 0 || connection.readOnly) return;
      const size = sizes.get(documentName) ?? 0;
      if (size + payload.byteLength > options.maxDocumentBytes) {
        throw toRefusal(
          new AppError('document-too-large', `The document would exceed ${options.maxDocumentBytes} bytes`, {
            limit: options.maxDocumentBytes,
          }),
        );
      }
    },

    onChange: safeHook(options.logger, 'limits.onChange', ({ documentName, update }: onChangePayload<CollabContext>) => {
      sizes.set(documentName, (sizes.get(documentName) ?? 0) + update.byteLength);
    }),

    async afterUnloadDocument({ documentName }) {
      sizes.delete(documentName);
      loadedBytes.delete(documentName);
    },
  };
  return { extension, loaded: (documentName, bytes) => loadedBytes.set(documentName, bytes) };
}
