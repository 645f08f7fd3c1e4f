import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { DocumentStore } from '../db/document-store.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DocumentRef, LiveDocuments, LiveEditActor } from '../services/documents/ports.js';
import type { CollabContext } from './context.js';

export interface LiveDocumentsDeps {
  hocuspocus: Hocuspocus<CollabContext>;
  /** Reads a document nobody has open here, without loading it into Hocuspocus. */
  store: Pick<DocumentStore, 'load'>;
  /** Documents this instance closed recently, still decoded (recently-closed.ts); only with one instance. */
  recent?: { get(documentName: string): Y.Doc | undefined };
  /** Resolves once the document's appended updates are in the log (persistence.settled). */
  settled(documentName: string): Promise<void>;
  logger: Logger;
}

const nameOf = (ref: DocumentRef) => `${ref.projectId}/${ref.documentId}`;

/**
 * LiveDocuments over Hocuspocus 4 direct connections. A direct connection's transaction has the
 * origin `{source: 'local', context}`: the persistence extension logs it (with the actor's user
 * id from `context.liveEdit`), Hocuspocus broadcasts it to every connected provider (and the
 * Redis extension to other instances), and the document tap credits it to no writer, so a
 * restore or an import never counts as words typed.
 */
export function createLiveDocuments(deps: LiveDocumentsDeps): LiveDocuments {
  const { hocuspocus, logger } = deps;

  /** The document's decoded state when this instance has it: open here, or closed here a moment ago. */
  const inMemory = (name: string): Y.Doc | undefined => hocuspocus.documents.get(name) ?? deps.recent?.get(name);

  async function snapshot(ref: DocumentRef): Promise<Y.Doc> {
    const name = nameOf(ref);
    const copy = new Y.Doc();
    const decoded = inMemory(name);
    if (decoded) {
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(decoded));
      return copy;
    }
    // Not open here: the store has every acknowledged change (snapshot plus log), also those
    // made on other instances.
    const stored = await deps.store.load(name);
    copy.transact(() => {
      if (stored.snapshot) Y.applyUpdate(copy, stored.snapshot);
      for (const row of stored.updates) {
        try {
          Y.applyUpdate(copy, row.update);
        } catch (error) {
          // As the persistence extension does on load: a row that does not apply is skipped.
          logger.warn({ err: error, document: name, seq: row.seq }, 'skipping an update that does not apply');
        }
      }
    });
    return copy;
  }

  return {
    async transact(ref: DocumentRef, actor: LiveEditActor, fn: (doc: Y.Doc) => void) {
      const name = nameOf(ref);
      const context: CollabContext = { projectId: ref.projectId, documentId: ref.documentId, liveEdit: { userId: actor.userId, reason: actor.reason } };
      const connection = await hocuspocus.openDirectConnection(name, context).catch((error: unknown) => {
        // A failed load rejects with a Hocuspocus refusal ({code, reason}), not an Error.
        if (error instanceof Error) throw error;
        throw new AppError('service-unavailable', `The document ${name} could not be opened; try again`, { document: name }, { cause: error });
      });
      try {
        await connection.transact((doc) => fn(doc));
        await deps.settled(name);
      } finally {
        // Stores at once, and unloads the document if this connection was its only one.
        await connection.disconnect().catch((error: unknown) => logger.warn({ err: error, document: name }, 'closing a direct connection failed'));
      }
      logger.info({ document: name, actor: actor.userId, reason: actor.reason }, 'server-side edit applied');
    },

    snapshot,
    async read<T>(ref: DocumentRef, fn: (doc: Y.Doc) => T): Promise<T> {
      const decoded = inMemory(nameOf(ref));
      return decoded ? fn(decoded) : fn(await snapshot(ref));
    },
  };
}
