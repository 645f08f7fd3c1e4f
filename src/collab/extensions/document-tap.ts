import type { Extension, afterLoadDocumentPayload, afterUnloadDocumentPayload } from '@hocuspocus/server';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { DocumentEditConsumer } from '../../tracking/document-edit.js';
import type { CollabContext } from '../context.js';
import { parseDocumentName } from '../document-name.js';
import { tapDocument, type TapTarget } from '../document-tap.js';

export interface DocumentTapExtension {
  extension: Extension<CollabContext>;
  /** Adds a consumer of every document's edits from now on; returns its removal. */
  subscribe(consumer: DocumentEditConsumer): () => void;
}

/**
 * The single afterTransaction listener per loaded document (see document-tap.ts): attached at
 * afterLoadDocument, detached at unload. Consumers register once, here, instead of each keeping a
 * listener map of its own: `tap.subscribe((edit) => ...)` or `consumers: [...]` at creation.
 */
export function createDocumentTapExtension(deps: {
  clock: Clock;
  logger: Logger;
  consumers?: readonly DocumentEditConsumer[];
  /** Who owns a Yjs client id of a document: journaled words are credited by it (tracking/writing/word-credits.ts). */
  writerOf?: (documentName: string, clientId: number) => string | undefined;
  /** Give edits that change words their inserted ranges (tracking/update-ranges.ts): several instances share the log. */
  keyUpdates?: boolean;
}): DocumentTapExtension {
  const { clock, logger, writerOf } = deps;
  let consumers: readonly DocumentEditConsumer[] = [...(deps.consumers ?? [])];
  const taps = new Map<string, () => void>();
  const current = () => consumers;

  function detach(documentName: string): void {
    taps.get(documentName)?.();
    taps.delete(documentName);
  }

  /** The loading connection's context carries the ids (auth set them); parse only without one. */
  function targetOf(context: CollabContext | undefined, documentName: string): TapTarget | null {
    if (context?.projectId !== undefined && context.documentId !== undefined) return { projectId: context.projectId, documentId: context.documentId };
    try {
      return parseDocumentName(documentName);
    } catch {
      return null; // the auth extension refuses such names; nothing to attribute
    }
  }

  return {
    extension: {
      extensionName: 'storyloom-document-tap',
      priority: 500,

      async afterLoadDocument({ document, documentName, context }: afterLoadDocumentPayload<CollabContext>) {
        try {
          detach(documentName);
          const target = targetOf(context, documentName);
          if (target !== null) taps.set(documentName, tapDocument(document, target, { clock, logger, consumers: current, keyUpdates: deps.keyUpdates === true, ...(writerOf ? { writerOf: (id: number) => writerOf(documentName, id) } : {}) }));
        } catch (error) {
          // Never fail a load over analytics: the document works, its edits are just not reported.
          logger.error({ err: error, document: documentName }, 'document tap not attached');
        }
      },

      async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
        detach(documentName);
      },
    },
    subscribe(consumer) {
      consumers = [...consumers, consumer];
      return () => {
        consumers = consumers.filter((c) => c !== consumer);
      };
    },
  };
}
